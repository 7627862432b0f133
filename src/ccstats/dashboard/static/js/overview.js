// The overview, the view the dashboard opens on: for a period, each queue's service level,
// speed of answer and abandonment, each project's handle time and occupancy, and every
// agent KPI per agent. One GET /v2/statistics/kpis per group, not one per KPI. Its
// options are the URL hash "view=overview&from=…&to=…&manual_sla=…", so it bookmarks too.

import { problemsOf } from "./api.js";
import { byId, h, showProblems } from "./dom.js";
import { apiDate, formDate, isoDate, period } from "./query.js";
import { kpiLabel } from "./ratios.js";
import { ResultsTable } from "./table.js";
import { agentColumns, tiles } from "./tiles.js";

export const QUEUE_KPIS = ["serviceLevel", "asa", "abandonmentRate"];
export const PROJECT_KPIS = ["aht", "occupancy"];
export const DEFAULT_SLA = "30";

/** Form controls named by the API's `param` of an error. */
const PARAM_CONTROLS = { from: "overview-from", to: "overview-to", manual_sla: "overview-sla" };

/** The overview a supervisor opens on: the last whole week, Monday to Sunday, which
 * compares with the weeks before it (every weekday once). */
export function defaultOverview(today = new Date()) {
  const [first, last] = period("last-week", today);
  return { from: isoDate(first), to: isoDate(last), sla: DEFAULT_SLA };
}

/** Whether a URL hash's options describe the overview (else they are a report's). */
export function isOverview(params) {
  return params.get("view") === "overview";
}

/** The URL hash of an overview state. */
export function overviewParams(state) {
  return new URLSearchParams({
    view: "overview", from: apiDate(state.from), to: apiDate(state.to), manual_sla: state.sla.trim(),
  });
}

/** The overview state of a URL hash's options. */
export function overviewFromParams(params) {
  return {
    from: formDate(params.get("from") ?? ""),
    to: formDate(params.get("to") ?? ""),
    sla: params.get("manual_sla") || DEFAULT_SLA,
  };
}

/** The query strings of the three groups; the agents' table asks for `agentKpis`.
 * The handle time, occupancy and agent KPIs are the agents' own: system users are left out. */
function requests(state, agentKpis) {
  const dates = { from: apiDate(state.from), to: apiDate(state.to) };
  return [
    { kpis: QUEUE_KPIS.join(","), dimensions: "queue", ...dates, manual_sla: state.sla.trim() },
    { kpis: PROJECT_KPIS.join(","), dimensions: "project", ...dates, hide_system_users: "true" },
    { kpis: agentKpis.join(","), dimensions: "user", ...dates, hide_system_users: "true" },
  ].map((options) => new URLSearchParams(options));
}

export class Overview {
  /** `onChange` runs when the period or threshold is submitted. */
  constructor(onChange) {
    this.form = byId("overview-form");
    this.table = new ResultsTable(byId("overview-agents"), byId("overview-agents-note"));
    this.loads = 0; // answers of superseded loads are ignored
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      onChange();
    });
    for (const button of this.form.querySelectorAll("[data-period]")) {
      button.addEventListener("click", () => {
        const [first, last] = period(button.dataset.period);
        byId("overview-from").value = isoDate(first);
        byId("overview-to").value = isoDate(last);
        onChange();
      });
    }
  }

  /** The state the form describes. */
  read() {
    return { from: byId("overview-from").value, to: byId("overview-to").value, sla: byId("overview-sla").value };
  }

  apply(state) {
    byId("overview-from").value = state.from;
    byId("overview-to").value = state.to;
    byId("overview-sla").value = state.sla;
  }

  /** Ask for the three groups of `state` and show them; `session` is
   * {client, names: {queue, project, user}, definitions: Map kpi -> definition}. */
  async load(session, state) {
    const ticket = ++this.loads;
    this.#setState("loading");
    this.#showErrors([]);
    byId("overview-status").textContent = "Loading the overview…";
    const agentKpis = [...session.definitions.values()]
      .filter((definition) => definition.source === "userbased").map((definition) => definition.kpi);
    const answers = await Promise.allSettled(
      requests(state, agentKpis).map((params) => session.client.kpis(params)));
    if (ticket !== this.loads) return;
    const failed = answers.filter((answer) => answer.status === "rejected");
    if (failed.length) {
      this.#showErrors(failed.flatMap((answer) => problemsOf(answer.reason)));
      byId("overview-status").textContent = "The overview could not be loaded.";
      byId("overview-results").hidden = true;
      this.#setState("failed");
      return;
    }
    const [queues, projects, agents] = answers.map((answer) => answer.value);
    this.#show({ queues, projects, agents, agentKpis }, session, state.sla.trim());
    byId("overview-status").textContent = `${state.from} to ${state.to}, ` +
      `service level threshold ${state.sla.trim()} s.`;
    this.#setState("shown");
  }

  /** Forget what is shown (on sign-out). */
  clear() {
    this.loads += 1;
    byId("overview-results").hidden = true;
    this.#showErrors([]);
    this.#setState("");
  }

  #show({ queues, projects, agents, agentKpis }, session, sla) {
    const shared = { definitions: session.definitions, sla };
    byId("queue-tiles").replaceChildren(...tiles(queues, "queue",
      { ...shared, kpis: QUEUE_KPIS, names: session.names.queue, all: "All queues" }));
    byId("queue-tiles-empty").hidden = queues.length > 0;
    byId("project-tiles").replaceChildren(...tiles(projects, "project",
      { ...shared, kpis: PROJECT_KPIS, names: session.names.project, all: "All projects" }));
    byId("project-tiles-empty").hidden = projects.length > 0;
    this.table.show(agents, agentColumns(agentKpis, session.names.user, session.definitions));
    byId("overview-agents-empty").hidden = agents.length > 0;
    byId("overview-agents-box").hidden = agents.length === 0;
    byId("overview-glossary").replaceChildren(...[...QUEUE_KPIS, ...agentKpis].flatMap((kpi) => [
      h("dt", { text: kpiLabel(kpi, sla) }),
      h("dd", { text: session.definitions.get(kpi)?.description ?? "" }),
    ]));
    byId("overview-results").hidden = false;
  }

  /** List the API's errors and mark the controls they name. */
  #showErrors(errors) {
    showProblems(byId("overview-errors"), errors);
    const named = new Set(errors.map((error) => PARAM_CONTROLS[error.param]));
    for (const id of Object.values(PARAM_CONTROLS)) {
      if (named.has(id)) byId(id).setAttribute("aria-invalid", "true");
      else byId(id).removeAttribute("aria-invalid");
    }
  }

  /** The state (loading, shown, failed) as an attribute, for tests and styles. */
  #setState(state) {
    byId("overview").dataset.state = state;
  }
}
