// The wallboard: what is happening now, for a wall screen. It shows the snapshots of
// GET /v2/realtime/stream (stream.js): a tile per queue and a card per online agent,
// replaced whole by each snapshot. Between snapshots the clocks tick locally: a shown
// duration is the snapshot's value plus the whole seconds since the snapshot arrived,
// so the browser's own clock, which may be off, never enters it. Its options are the
// URL hash "view=wallboard&projects=…", so a wall screen's address bookmarks it.

import { byId, h, showProblems } from "./dom.js";
import { count, duration, share } from "./format.js";
import { DEFAULT_SLA } from "./overview.js";
import { NO_VALUE } from "./ratios.js";
import { LiveStream } from "./stream.js";

const TICK_MS = 500; // twice a second, so that a shown second is never more than half late

/** Each user state's label and colour group (events-and-kpis.md §2). */
export const STATES = {
  available: { label: "Available", group: "ready" },
  waitingForCall: { label: "Waiting for a call", group: "ready" },
  waitingForRecall: { label: "Waiting for a recall", group: "ready" },
  ringing: { label: "Ringing", group: "ringing" },
  call: { label: "On a call", group: "call" },
  prework: { label: "Preparing a call", group: "work" },
  afterwork: { label: "After-call work", group: "work" },
  break: { label: "Break", group: "pause" },
  unavailable: { label: "Unavailable", group: "away" },
};
const DIRECTIONS = { in: "Inbound call", out: "Outbound call" };

/** Whether a URL hash's options describe the wallboard. */
export function isWallboard(params) {
  return params.get("view") === "wallboard";
}

/** The wallboard state of a URL hash's options: {projects: "" (all) or "1,2"}. */
export function wallboardFromParams(params) {
  return { projects: params.get("projects") ?? "" };
}

/** The URL hash of a wallboard state. */
export function wallboardParams(state) {
  const params = new URLSearchParams({ view: "wallboard" });
  if (state.projects) params.set("projects", state.projects);
  return params;
}

/** The stream's options: the agents only (no system users), of the chosen projects. */
function streamParams(state) {
  const params = new URLSearchParams({ hide_system_users: "true", manual_sla: DEFAULT_SLA });
  if (state.projects) params.set("projects", state.projects);
  return params;
}

/** A duration that ticks: `seconds` at the snapshot's arrival (see Wallboard.#tick). */
function ticking(seconds, attributes = {}) {
  return h("span", { ...attributes, "data-seconds": seconds ?? "", text: seconds === null ? NO_VALUE : duration(seconds) });
}

/** A labelled figure of a tile; `figure` names it for tests. */
function figure(name, label, value, big = false) {
  return h("div", { class: big ? "figure big" : "figure", "data-figure": name },
    h("dt", { text: label }),
    h("dd", {}, typeof value === "string" ? document.createTextNode(value) : value));
}

function queueTile(queue) {
  return h("li", { class: queue.waiting > 0 ? "queue-tile waiting" : "queue-tile", "data-id": String(queue.queueId) },
    h("h4", { text: queue.name ?? `Queue #${queue.queueId}` }),
    h("dl", {},
      figure("waiting", "Waiting", count(queue.waiting), true),
      figure("longestWait", "Longest wait", ticking(queue.longestWait), true),
      figure("talking", "Talking", count(queue.talking)),
      figure("serviceLevel", `Service level today (${DEFAULT_SLA} s)`,
        queue.serviceLevel === null ? NO_VALUE : share(queue.serviceLevel)),
      figure("abandoned", "Abandoned today", count(queue.abandoned)),
      figure("asa", "Speed of answer today", queue.asa === null ? NO_VALUE : duration(queue.asa))));
}

/** The seconds from `since` (an API instant) to the server's clock when the snapshot
 * was made, which is the state's start plus its duration. */
function secondsAt(user, since) {
  return Date.parse(user.since) / 1000 + user.stateDuration - Date.parse(since) / 1000;
}

function callLine(user, queueNames) {
  const { call } = user;
  if (!call) return null;
  const parts = [DIRECTIONS[call.direction] ?? call.direction, call.answered ? "answered" : "ringing"];
  if (call.queueId !== null) parts.push(queueNames.get(call.queueId) ?? `queue #${call.queueId}`);
  return h("p", { class: "call" },
    h("span", { class: "what", text: parts.join(" · ") }), " ",
    ticking(Math.max(0, secondsAt(user, call.since)), { class: "time", title: "Call duration" }));
}

function agentCard(user, queueNames) {
  const state = STATES[user.state] ?? { label: user.state, group: "other" };
  return h("li", { class: `agent-card ${state.group}`, "data-id": String(user.userId), "data-state": user.state },
    h("h4", { text: user.name ?? `User #${user.userId}` }),
    h("p", { class: "state" },
      h("span", { class: "badge", text: state.label }), " ",
      ticking(user.stateDuration, { class: "time", title: "Time in this state" })),
    callLine(user, queueNames));
}

/** The messages of a stream status for the status line. */
function statusText(state, detail) {
  const why = (detail.problems ?? []).map((problem) => problem.message).join("; ");
  switch (state) {
    case "connecting": return "Connecting to the live stream…";
    case "live": return "Live.";
    case "reconnecting": return `Reconnecting… ${why ? `(${why}) ` : ""}next attempt in ${detail.seconds} s.`;
    default: return `Stopped: ${why}`;
  }
}

export class Wallboard {
  #stream = null;
  #ticker = null;
  #arrived = 0;

  /** `onChange` runs when another project is chosen. */
  constructor(onChange) {
    this.select = byId("wallboard-projects");
    this.select.addEventListener("change", onChange);
    byId("wallboard-full-screen").addEventListener("click", () => byId("wallboard").requestFullscreen?.());
  }

  /** Offer the customer's projects ({projectid, name}) in the filter. */
  populate(projects) {
    this.select.replaceChildren(h("option", { value: "", text: "All projects" }),
      ...projects.map((project) => h("option", { value: String(project.projectid), text: project.name })));
  }

  read() {
    return { projects: this.select.value };
  }

  /** Show `state`'s filter; a bookmark's several projects ("1,2") become an option of their own. */
  apply(state) {
    if (![...this.select.options].some((option) => option.value === state.projects)) {
      this.select.append(h("option", { value: state.projects, text: `Projects ${state.projects}` }));
    }
    this.select.value = state.projects;
  }

  /** Open the stream of `state` with the signed-in `session`'s client and show its snapshots. */
  start(session, state) {
    this.stop();
    this.#clearShown();
    this.#stream = new LiveStream(session.client, streamParams(state), {
      snapshot: (value) => this.#show(value),
      status: (name, detail) => this.#status(name, detail),
    });
    this.#stream.start();
    this.#ticker = setInterval(() => this.#tick(), TICK_MS);
  }

  /** Close the stream and stop the clocks (on leaving the view). */
  stop() {
    this.#stream?.stop();
    this.#stream = null;
    clearInterval(this.#ticker);
    this.#ticker = null;
  }

  /** Stop and forget what is shown (on sign-out). */
  clear() {
    this.stop();
    this.#clearShown();
    this.#status("", {});
  }

  #clearShown() {
    byId("wall-queues").replaceChildren();
    byId("wall-agents").replaceChildren();
    byId("wall-queues-empty").hidden = true;
    byId("wall-agents-empty").hidden = true;
    byId("wallboard-updated").textContent = "";
    showProblems(byId("wallboard-errors"), []);
  }

  #show({ users, queues }) {
    this.#arrived = performance.now();
    const queueNames = new Map(queues.response.map((queue) => [queue.queueId, queue.name]));
    byId("wall-queues").replaceChildren(...queues.response.map(queueTile));
    byId("wall-queues-empty").hidden = queues.response.length > 0;
    byId("wall-agents").replaceChildren(...users.response.map((user) => agentCard(user, queueNames)));
    byId("wall-agents-empty").hidden = users.response.length > 0;
    byId("wallboard-updated").textContent = `Updated ${new Date().toLocaleTimeString()}`;
    showProblems(byId("wallboard-errors"), [...users.errors, ...queues.errors]);
  }

  /** Every ticking duration: its snapshot value plus the whole seconds since it arrived. */
  #tick() {
    const elapsed = Math.floor((performance.now() - this.#arrived) / 1000);
    for (const element of byId("wallboard").querySelectorAll("[data-seconds]")) {
      if (element.dataset.seconds === "") continue;
      element.textContent = duration(Number(element.dataset.seconds) + elapsed);
    }
  }

  /** The stream's state as text and as an attribute, for tests and styles. */
  #status(state, detail) {
    byId("wallboard").dataset.stream = state;
    const text = state ? statusText(state, detail) : "";
    const line = byId("wallboard-status");
    if (line.textContent !== text) line.textContent = text; // unchanged: not announced again
  }
}
