// The live stream (GET /v2/realtime/stream) kept open: read with the signed-in
// client's fetch (EventSource cannot send the Authorization header), parsed by
// sse.js, reconnected by itself after a network error, an ended stream or a server
// error, waiting 1 s, 2 s, 4 s, 8 s, then 10 s between attempts. A refused key (401,
// 403) or refused options (417) would be refused again: the stream stops and says so.

import { ApiError, problemsOf } from "./api.js";
import { SseParser } from "./sse.js";

const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 10_000;
/** The server sends at least a keep-alive comment every 15 s: a longer silence means
 * the connection is dead without the browser knowing (a cable pulled, a laptop woken). */
const SILENCE_MS = 45_000;
const FINAL = new Set([401, 403, 417]);

/** The delay before reconnection attempt `attempt` (1, 2, ...). */
export function backoff(attempt) {
  return Math.min(FIRST_DELAY_MS * 2 ** (attempt - 1), MAX_DELAY_MS);
}

export class LiveStream {
  #client;
  #path;
  #on;
  #controller = null;
  #timer = null;
  #attempt = 0;

  /** `on` is {snapshot(value), status(state, detail)}; states: "connecting", "live",
   * "reconnecting" (detail {seconds, problems}), "stopped" (detail {problems}). */
  constructor(client, params, on) {
    this.#client = client;
    this.#path = `/v2/realtime/stream${params.toString() ? `?${params}` : ""}`;
    this.#on = on;
  }

  start() {
    this.stop();
    this.#on.status("connecting", {});
    this.#connect();
  }

  /** Close the connection and cancel any pending attempt; no callback runs afterwards. */
  stop() {
    clearTimeout(this.#timer);
    this.#timer = null;
    this.#controller?.abort();
    this.#controller = null;
    this.#attempt = 0;
  }

  async #connect() {
    const controller = new AbortController();
    this.#controller = controller;
    try {
      const response = await this.#client.fetch(this.#path, {
        signal: controller.signal, headers: { Accept: "text/event-stream" },
      });
      await this.#read(response, controller);
      if (controller.signal.aborted) return;
      this.#retry([{ code: "error.stream", message: "the server ended the stream", param: null }]);
    } catch (error) {
      if (this.#controller !== controller) return; // stopped meanwhile
      if (error instanceof ApiError && FINAL.has(error.status)) {
        this.#controller = null;
        this.#on.status("stopped", { problems: problemsOf(error) });
      } else {
        this.#retry(problemsOf(error));
      }
    }
  }

  /** Read events until the stream ends; a silence longer than SILENCE_MS aborts it. */
  async #read(response, controller) {
    const parser = new SseParser((event) => this.#event(event, controller));
    const decoder = new TextDecoder();
    const reader = response.body.getReader();
    let silence = setTimeout(() => controller.abort(), SILENCE_MS);
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        clearTimeout(silence);
        silence = setTimeout(() => controller.abort(), SILENCE_MS);
        parser.push(decoder.decode(value, { stream: true }));
      }
    } finally {
      clearTimeout(silence);
    }
  }

  #event(event, controller) {
    if (event.type !== "snapshot" || this.#controller !== controller) return;
    this.#attempt = 0;
    this.#on.snapshot(JSON.parse(event.data));
    this.#on.status("live", {});
  }

  #retry(problems) {
    if (this.#controller === null) return;
    this.#controller = null;
    this.#attempt += 1;
    const delay = backoff(this.#attempt);
    this.#on.status("reconnecting", { seconds: delay / 1000, problems });
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#connect();
    }, delay);
  }
}
