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
    throw new ApiError(`${new URL(url).host} ${reason}`);
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

export function postcardsApi(baseUrl) {
  return {
    health: () => request(`${baseUrl}/v1/health`).then((r) => r.data),
    list: (cursor) => {
      const query = new URLSearchParams({ limit: "10" });
      if (cursor) query.set("cursor", cursor);
      return request(`${baseUrl}/v1/postcards?${query}`).then((r) => r.data);
    },
    // The idempotency key makes a retry after a lost response safe: the API answers the first
    // result again instead of storing a second card.
    create: (card, idempotencyKey) =>
      request(`${baseUrl}/v1/postcards`, {
        method: "POST",
        body: card,
        headers: { "Idempotency-Key": idempotencyKey },
      }).then((r) => r.data),
    createUpload: (file) =>
      request(`${baseUrl}/v1/uploads`, {
        method: "POST",
        body: { content_type: file.type, size_bytes: file.size },
      }).then((r) => r.data),
    instance: () => request(`${baseUrl}/v1/instance`).then((r) => r.data),
  };
}

export function stampsApi(baseUrl) {
  return {
    health: () => request(`${baseUrl}/health`).then((r) => r.data),
    list: () => request(`${baseUrl}/stamps?limit=12`).then((r) => r.data),
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
