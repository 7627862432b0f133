// The dashboard: sign in, open on the KPI overview; or build a report, show it as a
// table and charts, download it; or watch the live wallboard. Everything goes through the public API (api.js); the
// key lives in memory only. The URL hash records the overview or report on screen.

import { Client, problemsOf } from "./api.js";
import { Builder } from "./builder.js";
import { Charts } from "./charts.js";
import { byId, h, showProblems } from "./dom.js";
import { count } from "./format.js";
import { measures } from "./kpis.js";
import { Overview, defaultOverview, isOverview, overviewFromParams, overviewParams } from "./overview.js";
import { emptyState, fromParams, isoDate, period, toParams } from "./query.js";
import { ResultsTable, columns } from "./table.js";
import { Wallboard, isWallboard, wallboardFromParams, wallboardParams } from "./wallboard.js";

const EXTENSIONS = { csv: "csv", xlsx: "xlsx", tab: "tsv", json: "json" };

const builder = new Builder();
const charts = new Charts();
const table = new ResultsTable(byId("table"), byId("table-note"));
const overview = new Overview(() => showOverview());
const wallboard = new Wallboard(() => showWallboard());

/** What the page holds while signed in; dropped whole on sign-out. */
let session = null; // {client, catalog, definitions: Map, names: {project, user, queue: Map}}
let shown = null; // the report on screen: {params, state, records, measures}
let runs = 0; // answers of superseded runs are ignored

/** The customer named by this page's host (`demo.localhost` -> "demo"), if any. */
function hostCustomer() {
  const labels = location.hostname.split(".");
  const isAddress = /^[\d.]+$/.test(location.hostname) || location.hostname.includes(":");
  return labels.length >= 2 && !isAddress ? labels[0] : "";
}

/** What the URL hash asks for: {view: "overview" | "report" | "wallboard", state}, or null. */
function route() {
  const text = location.hash.replace(/^#/, "");
  if (!text) return null;
  const params = new URLSearchParams(text);
  if (isWallboard(params)) return { view: "wallboard", state: wallboardFromParams(params) };
  return isOverview(params)
    ? { view: "overview", state: overviewFromParams(params) }
    : { view: "report", state: fromParams(params) };
}

function defaultState() {
  const state = emptyState();
  const [first, last] = period("last-4-weeks");
  state.from = isoDate(first);
  state.to = isoDate(last);
  state.dimensions = ["user"];
  return state;
}

async function signIn(event) {
  event.preventDefault();
  const errors = byId("sign-in-errors");
  const customer = byId("customer").value.trim();
  const client = new Client(customer, byId("api-key").value);
  byId("sign-in").disabled = true;
  showProblems(errors, []);
  try {
    const [catalog, projects, users, presets, queues, definitions] = await Promise.all([
      client.fields(), client.projects(), client.users(), client.presets(), client.queues(),
      client.kpiDefinitions(),
    ]);
    session = {
      client, catalog,
      definitions: new Map(definitions.map((d) => [d.kpi, d])),
      names: {
        project: new Map(projects.map((p) => [p.projectid, p.name])),
        user: new Map(users.map((u) => [u.userid, u.name])),
        queue: new Map(queues.map((q) => [q.queueid, q.name])),
      },
    };
    byId("api-key").value = "";
    builder.populate({ catalog, projects, users });
    wallboard.populate(projects);
    builder.setPresets(presets);
    byId("session-customer").textContent = customer;
    byId("session").hidden = false;
    byId("sign-in-view").hidden = true;
    byId("app").hidden = false;
    await openRoute(route());
  } catch (error) {
    showProblems(errors, problemsOf(error));
  } finally {
    byId("sign-in").disabled = false;
  }
}

/** The view `asked` names (a route, see route()), else the default overview. */
async function openRoute(asked) {
  builder.apply(asked?.view === "report" ? asked.state : defaultState());
  overview.apply(asked?.view === "overview" ? asked.state : defaultOverview());
  wallboard.apply(asked?.view === "wallboard" ? asked.state : { projects: "" });
  if (asked?.view === "wallboard") {
    showWallboard();
    byId("wallboard-title").focus();
  } else if (asked?.view === "report") {
    switchTo("report");
    byId("builder-title").focus();
    await run();
  } else {
    switchTo("overview");
    byId("overview-title").focus();
    const state = overview.read();
    history.replaceState(null, "", `#${overviewParams(state)}`);
    await overview.load(session, state);
  }
}

/** Show one view (overview, report or wallboard), marking its tab as the current one;
 * the wallboard's stream is closed when it is left. */
function switchTo(view) {
  byId("overview").hidden = view !== "overview";
  byId("report-view").hidden = view !== "report";
  byId("wallboard").hidden = view !== "wallboard";
  if (view !== "wallboard") wallboard.stop();
  for (const tab of document.querySelectorAll("[data-view]")) {
    if (tab.dataset.view === view) tab.setAttribute("aria-current", "page");
    else tab.removeAttribute("aria-current");
  }
}

/** Record `params` in the URL hash as a new history entry, unless they are there already. */
function remember(params) {
  if (location.hash.slice(1) !== params.toString()) {
    history.pushState(null, "", `#${params}`);
  }
}

/** Show the overview the form describes. */
async function showOverview() {
  if (!session) return;
  switchTo("overview");
  const state = overview.read();
  remember(overviewParams(state));
  await overview.load(session, state);
}

/** Show the report view: the report on screen, else the form's report, run now. */
function showReportView() {
  if (!session) return;
  switchTo("report");
  if (shown) remember(shown.params);
  else run();
}

/** Show the wallboard of the chosen project, fed by the live stream. */
function showWallboard() {
  if (!session) return;
  switchTo("wallboard");
  const state = wallboard.read();
  remember(wallboardParams(state));
  wallboard.start(session, state);
}

function signOut() {
  session = null;
  shown = null;
  runs += 1;
  charts.clear();
  overview.clear();
  wallboard.clear();
  byId("report").hidden = true;
  setState("");
  byId("app").hidden = true;
  byId("session").hidden = true;
  byId("sign-in-view").hidden = false;
  byId("report-status").textContent = "Choose a period and run a report.";
  showProblems(byId("report-errors"), []);
  byId("api-key").focus();
}

/** Run the report the form describes; the URL hash records it. */
async function run() {
  if (!session) return;
  const state = builder.read();
  const params = toParams(state);
  remember(params);
  const ticket = ++runs;
  setState("running");
  builder.clearErrors();
  showProblems(byId("report-errors"), []);
  byId("report-status").textContent = "Running the report…";
  try {
    const records = await session.client.statistics(params);
    if (ticket !== runs) return;
    const fields = state.fields.length ? state.fields : session.catalog.map((kpi) => kpi.field);
    shown = { params, state, records, measures: measures(fields, session.catalog) };
    showReport();
    setState("shown");
  } catch (error) {
    if (ticket !== runs) return;
    const problems = problemsOf(error);
    builder.showErrors(problems);
    showProblems(byId("report-errors"), problems);
    byId("report-status").textContent = "The report could not be run.";
    byId("report").hidden = true;
    setState("failed");
  }
}

/** The results' state (running, shown, failed) as an attribute, for tests and styles. */
function setState(state) {
  byId("results").dataset.state = state;
}

function showReport() {
  const { state, records } = shown;
  byId("report").hidden = false;
  byId("report-status").textContent = `${count(records.length)} ${records.length === 1 ? "record" : "records"}, ` +
    `${state.from} to ${state.to}, by ${state.dimensions.join(", ")}.`;
  table.show(records, columns(state.dimensions, shown.measures, session.names));
  const select = byId("chart-measures");
  const previous = new Set([...select.selectedOptions].map((option) => option.value));
  select.replaceChildren(...shown.measures.map((measure) => h("option", {
    value: `${measure.field}.${measure.part}`, text: measure.label, title: measure.meaning,
  })));
  const options = [...select.options];
  const keep = options.filter((option) => previous.has(option.value));
  (keep.length ? keep : options.slice(0, 1)).forEach((option) => { option.selected = true; });
  drawCharts();
}

function drawCharts() {
  if (!shown) return;
  const chosen = new Set([...byId("chart-measures").selectedOptions].map((option) => option.value));
  const charted = shown.measures.filter((m) => chosen.has(`${m.field}.${m.part}`));
  charts.show(shown.records, shown.state.dimensions, charted, session.names.user);
}

async function download(format) {
  if (!session || !shown) return;
  try {
    const blob = await session.client.download(shown.params, format);
    const link = h("a", {
      href: URL.createObjectURL(blob),
      download: `ccstats-${shown.params.get("from")}-${shown.params.get("to")}.${EXTENSIONS[format]}`,
    });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
  } catch (error) {
    showProblems(byId("report-errors"), problemsOf(error));
  }
}

function loadPreset() {
  const preset = builder.chosenPreset();
  byId("preset-status").textContent = preset
    ? `Loaded “${preset.name}”: ${preset.fields.length} KPIs.`
    : "Choose a preset first.";
  if (preset) builder.setFields(preset.fields);
}

async function savePreset() {
  const status = byId("preset-status");
  const name = byId("preset-name").value;
  try {
    const id = await session.client.createPreset(name, builder.fields);
    builder.setPresets(await session.client.presets(), id);
    status.textContent = `Saved “${name}” as preset ${id}.`;
    byId("preset-name").value = "";
  } catch (error) {
    status.textContent = problemsOf(error).map((problem) => problem.message).join(" ");
  }
}

byId("customer").value = hostCustomer();
byId("sign-in-form").addEventListener("submit", signIn);
byId("sign-out").addEventListener("click", signOut);
byId("builder").addEventListener("submit", (event) => { event.preventDefault(); run(); });
byId("chart-measures").addEventListener("change", drawCharts);
byId("load-preset").addEventListener("click", loadPreset);
byId("save-preset").addEventListener("click", savePreset);
for (const button of document.querySelectorAll("[data-download]")) {
  button.addEventListener("click", () => download(button.dataset.download));
}
for (const tab of document.querySelectorAll("[data-view]")) {
  const show = { overview: showOverview, report: showReportView, wallboard: showWallboard }[tab.dataset.view];
  tab.addEventListener("click", () => show());
}
window.addEventListener("popstate", () => {
  const asked = route() ?? { view: "overview", state: defaultOverview() };
  if (!session) return;
  if (asked.view === "wallboard") {
    wallboard.apply(asked.state);
    showWallboard();
    return;
  }
  switchTo(asked.view);
  if (asked.view === "report") {
    builder.apply(asked.state);
    run();
  } else {
    overview.apply(asked.state);
    overview.load(session, asked.state);
  }
});
(byId("customer").value ? byId("api-key") : byId("customer")).focus();
document.documentElement.dataset.ready = "true";
