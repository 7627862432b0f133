// The public API as the dashboard uses it: every call carries the key in an
// Authorization header held in memory only, and never sends cookies or lets the
// browser's own credential prompt or cache take part (credentials: "omit").

/** A failed API call: the HTTP status and the envelope's errors ({code, message, param}). */
export class ApiError extends Error {
  constructor(status, errors) {
    super(errors.map((e) => e.message).join("; "));
    this.status = status;
    this.errors = errors;
  }
}

/** The problems of a failed call (an ApiError's envelope errors), or of any other error. */
export function problemsOf(error) {
  if (error instanceof ApiError) return error.errors;
  return [{ code: "error.page", message: String(error), param: null }];
}

/** The value of an `Authorization: Basic` header for `user`:`password` (UTF-8). */
export function basicAuthorization(user, password) {
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return `Basic ${btoa(binary)}`;
}

async function envelopeErrors(response) {
  try {
    const body = await response.json();
    if (Array.isArray(body.errors) && body.errors.length > 0) return body.errors;
  } catch {
    // not an envelope: fall through to a generic description
  }
  return [{ code: "error.http", message: `the server answered ${response.status}`, param: null }];
}

/** A signed-in customer's view of the API. */
export class Client {
  #authorization;

  constructor(customer, key) {
    this.#authorization = basicAuthorization(customer, key);
  }

  /** The successful Response of `path`, or an ApiError with the envelope's errors. */
  async fetch(path, init = {}) {
    let response;
    try {
      response = await fetch(path, {
        ...init,
        credentials: "omit",
        cache: "no-store",
        headers: { ...init.headers, Authorization: this.#authorization },
      });
    } catch (error) {
      throw new ApiError(0, [{ code: "error.network", message: `the server cannot be reached (${error.message})`, param: null }]);
    }
    if (!response.ok) throw new ApiError(response.status, await envelopeErrors(response));
    return response;
  }

  /** The `response` member of a JSON answer. */
  async value(path, init = {}) {
    const response = await this.fetch(path, init);
    return (await response.json()).response;
  }

  fields() { return this.value("/v2/statistics/fields"); }
  projects() { return this.value("/v2/projects"); }
  users() { return this.value("/v2/users"); }
  queues() { return this.value("/v2/queues"); }
  kpiDefinitions() { return this.value("/v2/statistics/kpis/definitions"); }
  presets() { return this.value("/v2/statistics/presets"); }

  createPreset(name, fields) {
    return this.value("/v2/statistics/presets", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ name, fields }),
    });
  }

  /** The records of `GET /v2/statistics/userbased` for the query string `params`. */
  statistics(params) {
    return this.value(`/v2/statistics/userbased?${params}`);
  }

  /** The records of `GET /v2/statistics/kpis` for the query string `params`. */
  kpis(params) {
    return this.value(`/v2/statistics/kpis?${params}`);
  }

  /** The answer of the same query in `format` (csv, xlsx, tab, json), as the server's bytes. */
  async download(params, format) {
    const query = new URLSearchParams(params);
    query.set("of", format);
    const response = await this.fetch(`/v2/statistics/userbased?${query}`);
    return response.blob();
  }
}
