// A report's parameters: the form's state <-> the API's query string, which is also
// the page's URL hash, so that a report can be bookmarked and shared (never the key).

export const DIMENSIONS = ["project", "user", "date", "time"];
export const INTERVALS = ["60", "30", "15"];

/** An empty report state. */
export function emptyState() {
  return {
    from: "", to: "", dimensions: [], projects: [], users: [], hideSystemUsers: false,
    fields: [], timezone: "", interval: "60",
  };
}

/** What the user typed -> the API's yyyymmdd ("2026-10-12" and "20261012" both work).
 * Anything else is sent as typed, so that the API's own error message explains it. */
export function apiDate(text) {
  const trimmed = text.trim();
  return /^\d{4}-\d{2}-\d{2}$/.test(trimmed) ? trimmed.replaceAll("-", "") : trimmed;
}

/** The API's yyyymmdd -> "yyyy-mm-dd" for the form; other text unchanged. */
export function formDate(text) {
  return /^\d{8}$/.test(text) ? `${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6)}` : text;
}

/** A local calendar date -> "yyyy-mm-dd". */
export function isoDate(date) {
  const month = String(date.getMonth() + 1).padStart(2, "0");
  const day = String(date.getDate()).padStart(2, "0");
  return `${date.getFullYear()}-${month}-${day}`;
}

/** [first, last] local dates of a named quick period relative to `today`. */
export function period(name, today = new Date()) {
  const day = (offset) => new Date(today.getFullYear(), today.getMonth(), today.getDate() + offset);
  const sinceMonday = (today.getDay() + 6) % 7;
  switch (name) {
    case "yesterday": return [day(-1), day(-1)];
    case "last-7-days": return [day(-6), day(0)];
    case "last-week": return [day(-sinceMonday - 7), day(-sinceMonday - 1)];
    case "last-4-weeks": return [day(-sinceMonday - 28), day(-sinceMonday - 1)];
    case "this-month": return [new Date(today.getFullYear(), today.getMonth(), 1), day(0)];
    case "last-month": {
      const first = new Date(today.getFullYear(), today.getMonth() - 1, 1);
      return [first, new Date(today.getFullYear(), today.getMonth(), 0)];
    }
    default: throw new Error(`unknown period ${name}`);
  }
}

/** The API query string of `state`, options in a fixed order, empty ones left out. */
export function toParams(state) {
  const params = new URLSearchParams();
  params.set("from", apiDate(state.from));
  params.set("to", apiDate(state.to));
  params.set("dimensions", state.dimensions.join(","));
  if (state.projects.length) params.set("projects", state.projects.join(","));
  if (state.users.length) params.set("users", state.users.join(","));
  if (state.hideSystemUsers) params.set("hide_system_users", "true");
  if (state.fields.length) params.set("fields", state.fields.join(","));
  if (state.timezone.trim()) params.set("timezone", state.timezone.trim());
  if (state.interval !== "60") params.set("interval", state.interval);
  return params;
}

function list(text) {
  return (text ?? "").split(",").map((item) => item.trim()).filter(Boolean);
}

/** The state a query string (e.g. the URL hash) describes; unknown options are ignored. */
export function fromParams(params) {
  const state = emptyState();
  state.from = formDate(params.get("from") ?? "");
  state.to = formDate(params.get("to") ?? "");
  state.dimensions = list(params.get("dimensions"));
  state.projects = list(params.get("projects"));
  state.users = list(params.get("users"));
  state.hideSystemUsers = ["true", "1"].includes(params.get("hide_system_users") ?? "");
  state.fields = list(params.get("fields"));
  state.timezone = params.get("timezone") ?? "";
  state.interval = INTERVALS.includes(params.get("interval")) ? params.get("interval") : "60";
  return state;
}
