// Clients for the two back ends. Each call has a timeout and fails with an ApiError that the page
// can show; neither service being down breaks the other's part of the page.
//
// Reads are idempotent, so a passing failure is tried again after a pause; each API has a circuit
// breaker, so that a service that keeps failing is left alone for a while (and the page says so)
// instead of being sent every call the page would make.

const TIMEOUT_MS = 8000;

export class ApiError extends Error {
  constructor(message, { status = 0, code = "network_error", retryAfterMs = 0 } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfterMs = retryAfterMs;
  }
}

// A failure that may pass: no answer at all, or the service said "not now" (429, 503) or failed on
// the way (500 is also how API Gateway answers a call Lambda throttled; 502, 504). Any other 4xx is
// the request's own fault, and the same request would get the same answer. An open breaker's refusal
// is not a failure of the service: it is the page not asking.
export function isTransient(error) {
  return (
    error instanceof ApiError &&
    error.code !== "circuit_open" &&
    (error.status === 0 || error.status === 429 || error.status >= 500)
  );
}

function retryAfterMs(response) {
  const seconds = Number(response.headers.get("Retry-After"));
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 0;
}

async function request(url, { method = "GET", body, headers = {}, timeoutMs = TIMEOUT_MS } = {}) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  let response;
  try {
    response = await fetch(url, {
      method,
      headers: body === undefined ? headers : { "Content-Type": "application/json", ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: controller.signal,
      // Nothing the APIs answer may be reused (they say Cache-Control: no-store), and without this
      // Chromium's cache lock sends concurrent GETs of one URL one after another, waiting each time
      // to learn whether the previous answer can be reused.
      cache: "no-store",
    });
  } catch (error) {
    const reason = error.name === "AbortError" ? "timed out" : "is unreachable";
    throw new ApiError(`${new URL(url, document.baseURI).host} ${reason}`);
  } finally {
    clearTimeout(timer);
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    // Our API answers {"error": {code, message}}; API Gateway's own errors answer {"message"}.
    const error = data?.error ?? {};
    const message = error.message ?? data?.message ?? `HTTP ${response.status}`;
    throw new ApiError(message, {
      status: response.status,
      code: error.code ?? "http_error",
      retryAfterMs: retryAfterMs(response),
    });
  }
  return { data, headers: response.headers };
}

// --- retries -------------------------------------------------------------------------------------

export const RETRIES = { attempts: 3, baseMs: 300, capMs: 3000 };

// Exponential backoff with full jitter: the pause before try n+1 is a random part of base * 2^n
// (capped), so that many pages that failed together do not all come back at the same moment.
// https://aws.amazon.com/builders-library/timeouts-retries-and-backoff-with-jitter/
export function backoffMs(retry, { baseMs, capMs } = RETRIES) {
  return Math.random() * Math.min(capMs, baseMs * 2 ** retry);
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Runs ``call`` until it succeeds, fails for good (not transient, or the last attempt), or
// ``retryable`` says otherwise. A Retry-After from the service is a floor for the pause.
export async function withRetries(call, { retryable = isTransient, attempts = RETRIES.attempts } = {}) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= attempts || !retryable(error)) throw error;
      await pause(Math.max(backoffMs(attempt - 1), error.retryAfterMs ?? 0));
    }
  }
}

// --- circuit breaker -----------------------------------------------------------------------------

// Closed: calls go through. After ``threshold`` transient failures in a row it opens: calls fail at
// once, with the last failure's reason, until ``retryAt``. Then it is half-open: one trial call goes
// through (the page makes it: the API's health); its success closes the breaker, its failure opens
// it again for twice as long (at most ``maxCooldownMs``). It says each change with a "change" event.
export class CircuitBreaker extends EventTarget {
  constructor(name, { threshold = 3, cooldownMs = 20_000, maxCooldownMs = 80_000 } = {}) {
    super();
    this.name = name;
    this.threshold = threshold;
    this.baseCooldownMs = cooldownMs;
    this.maxCooldownMs = maxCooldownMs;
    this.cooldownMs = cooldownMs;
    this.state = "closed";
    this.failures = 0;
    this.reason = "";
    this.retryAt = 0;
    this.trialInFlight = false;
  }

  async run(call) {
    if (this.state === "open" && Date.now() >= this.retryAt) this.#set("half-open");
    if (this.state === "open" || (this.state === "half-open" && this.trialInFlight)) {
      throw new ApiError(this.reason, { code: "circuit_open" });
    }
    const trial = this.state === "half-open";
    this.trialInFlight ||= trial;
    try {
      const result = await call();
      this.#succeeded();
      return result;
    } catch (error) {
      // Only failures of the service count: a 4xx answer means it is up and working.
      if (isTransient(error)) this.#failed(error, trial);
      else if (error instanceof ApiError && error.status >= 400) this.#succeeded();
      throw error;
    } finally {
      if (trial) this.trialInFlight = false;
    }
  }

  secondsLeft() {
    return Math.max(0, Math.ceil((this.retryAt - Date.now()) / 1000));
  }

  #succeeded() {
    this.failures = 0;
    this.cooldownMs = this.baseCooldownMs;
    if (this.state !== "closed") this.#set("closed");
  }

  #failed(error, trial) {
    this.failures += 1;
    this.reason = error.message;
    if (trial) this.cooldownMs = Math.min(this.maxCooldownMs, this.cooldownMs * 2);
    if (trial || (this.state === "closed" && this.failures >= this.threshold)) {
      this.retryAt = Date.now() + this.cooldownMs;
      this.#set("open");
    }
  }

  #set(state) {
    this.state = state;
    this.dispatchEvent(new Event("change"));
  }
}

// --- the two APIs --------------------------------------------------------------------------------

export async function loadConfig() {
  const { data } = await withRetries(() => request("config.json"));
  if (!data?.api_url || !data?.container_api_url) {
    throw new ApiError("config.json lacks api_url or container_api_url", { code: "bad_config" });
  }
  return {
    apiUrl: data.api_url.replace(/\/+$/, ""),
    containerApiUrl: data.container_api_url.replace(/\/+$/, ""),
    // The API function's concurrency as deployed (Terraform writes it); absent in older configs.
    apiFunction: data.api_function ?? null,
  };
}

// Each client takes a promise of its base URL (config.json arrives over the network): a call made
// before it is in waits for it, and if it never comes the call fails with its reason (the breaker
// is not involved: the API was never asked).
function client(baseUrl, breaker) {
  const call = async (path, options) => {
    const base = await baseUrl;
    return (await breaker.run(() => request(`${base}${path}`, options))).data;
  };
  return {
    call,
    read: (path) => withRetries(() => call(path)),
  };
}

export function postcardsApi(baseUrl, breaker = new CircuitBreaker("Postcards")) {
  const { call, read } = client(baseUrl, breaker);
  return {
    breaker,
    health: () => call("/v1/health"), // the breaker's trial, and the pill: one try, no retries
    list: (cursor) => {
      const query = new URLSearchParams({ limit: "10" });
      if (cursor) query.set("cursor", cursor);
      return read(`/v1/postcards?${query}`);
    },
    get: (id) => read(`/v1/postcards/${encodeURIComponent(id)}`),
    // The idempotency key makes a retry safe: the API answers the first result again instead of
    // storing a second card (app.js decides when to retry).
    create: (card, idempotencyKey) =>
      call("/v1/postcards", { method: "POST", body: card, headers: { "Idempotency-Key": idempotencyKey } }),
    createUpload: (file) =>
      call("/v1/uploads", { method: "POST", body: { content_type: file.type, size_bytes: file.size } }),
    // The Lambda lab's probe: neither retried nor counted by the breaker, since its point is to see
    // every call as Lambda answers it, throttles included.
    instance: async (holdMs) => (await request(`${await baseUrl}/v1/instance?hold_ms=${holdMs}`)).data,
  };
}

export function stampsApi(baseUrl, breaker = new CircuitBreaker("Stamps")) {
  const { call, read } = client(baseUrl, breaker);
  return {
    breaker,
    health: () => call("/health"),
    list: () => read("/stamps?limit=12"),
  };
}

// The browser sends the photo straight to S3 with the presigned POST: the bytes never pass
// through Lambda or API Gateway (whose payload limits are far below a photo's size).
export async function uploadToS3(presignedPost, file) {
  const form = new FormData();
  for (const [name, value] of Object.entries(presignedPost.fields)) form.append(name, value);
  form.append("file", file);
  let response;
  try {
    response = await fetch(presignedPost.url, { method: "POST", body: form });
  } catch {
    throw new ApiError("the photo upload did not reach storage");
  }
  if (!response.ok) {
    throw new ApiError(`storage refused the photo (HTTP ${response.status})`, { status: response.status });
  }
}
