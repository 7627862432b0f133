// Server-Sent Events read from a fetch() body. EventSource cannot send an Authorization
// header, so the dashboard reads the stream itself and parses it here, as the HTML
// standard's event-stream interpretation does: lines end with CRLF, LF or CR; a blank
// line dispatches the event; "data" lines are joined with "\n"; lines starting with
// ":" are comments; the "id" and "retry" fields are not used by the dashboard.

/** Feeds text chunks in, calls `onEvent({type, data})` for each complete event. */
export class SseParser {
  #onEvent;
  #buffer = "";
  #type = "";
  #data = [];
  #pendingCR = false; // a chunk ended with CR: a following LF belongs to the same line end

  constructor(onEvent) {
    this.#onEvent = onEvent;
  }

  /** Parse `text`, the next decoded chunk of the stream (lines may span chunks). */
  push(text) {
    if (this.#pendingCR && text.startsWith("\n")) text = text.slice(1);
    this.#pendingCR = text.endsWith("\r");
    this.#buffer += text;
    const lines = this.#buffer.split(/\r\n|\r|\n/);
    this.#buffer = lines.pop(); // the unfinished last line
    for (const line of lines) this.#line(line);
  }

  #line(line) {
    if (line === "") {
      this.#dispatch();
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.#type = value;
    else if (field === "data") this.#data.push(value);
  }

  #dispatch() {
    const [type, data] = [this.#type || "message", this.#data];
    this.#type = "";
    this.#data = [];
    if (data.length) this.#onEvent({ type, data: data.join("\n") });
  }
}
