// Clients for the two back ends. Each call has a timeout and fails with an ApiError that the page
// can show; neither service being down breaks the other's part of the page.

const TIMEOUT_MS = 8000;

export class ApiError extends Error {
  constructor(message, { status = 0, code = "network_error" } = {}) {
    super(message);
    this.status = status;
    this.code = code;
  }
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
    throw new ApiError(message, { status: response.status, code: error.code ?? "http_error" });
  }
  return { data, headers: response.headers };
}

export async function loadConfig() {
  const { data } = await request("config.json");
  if (!data?.api_url || !data?.container_api_url) {
    throw new ApiError("config.json lacks api_url or container_api_url", { code: "bad_config" });
  }
  return { apiUrl: data.api_url.replace(/\/+$/, ""), containerApiUrl: data.container_api_url.replace(/\/+$/, "") };
}

// Each client takes a promise of its base URL (config.json arrives over the network): a call made
// before it is in waits for it, and if it never comes the call fails with its reason.
function client(baseUrl) {
  return async (path, options) => (await request(`${await baseUrl}${path}`, options)).data;
}

export function postcardsApi(baseUrl) {
  const call = client(baseUrl);
  return {
    health: () => call("/v1/health"),
    list: (cursor) => {
      const query = new URLSearchParams({ limit: "10" });
      if (cursor) query.set("cursor", cursor);
      return call(`/v1/postcards?${query}`);
    },
    get: (id) => call(`/v1/postcards/${encodeURIComponent(id)}`),
    // The idempotency key makes a retry after a lost response safe: the API answers the first
    // result again instead of storing a second card.
    create: (card, idempotencyKey) =>
      call("/v1/postcards", { method: "POST", body: card, headers: { "Idempotency-Key": idempotencyKey } }),
    createUpload: (file) =>
      call("/v1/uploads", { method: "POST", body: { content_type: file.type, size_bytes: file.size } }),
    instance: () => call("/v1/instance"),
  };
}

export function stampsApi(baseUrl) {
  const call = client(baseUrl);
  return {
    health: () => call("/health"),
    list: () => call("/stamps?limit=12"),
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
