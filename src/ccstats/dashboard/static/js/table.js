// The results table: one row per API record, dimensions first, then each measure,
// in human units; a click (or Enter) on a column header sorts by it.

import { h } from "./dom.js";
import { count, duration, slot } from "./format.js";
import { valueOf } from "./kpis.js";

/** Rows shown at most; the downloads hold every record. */
export const ROW_LIMIT = 1000;

const DIMENSION_COLUMNS = {
  date: { label: "Date", value: (r) => r.date, show: (v) => v },
  time: { label: "Time", value: (r) => r.time, show: (v) => slot(v) },
  project: { label: "Project", value: (r) => r.projectId },
  user: { label: "User", value: (r) => r.userId },
};

/** The columns of a report: its dimensions (names looked up in `names`) and measures. */
export function columns(dimensions, measures, names) {
  const dimensionColumns = dimensions.map((dimension) => {
    const column = DIMENSION_COLUMNS[dimension];
    const lookup = names[dimension];
    return {
      key: dimension, label: column.label, numeric: false, value: column.value,
      show: lookup ? (id) => lookup.get(id) ?? `#${id}` : column.show,
      sortValue: lookup ? (r) => lookup.get(column.value(r)) ?? "" : column.value,
    };
  });
  const measureColumns = measures.map((measure) => ({
    key: `${measure.field}.${measure.part}`, label: measure.label, title: measure.meaning,
    numeric: true, value: (r) => valueOf(r, measure), show: measure.seconds ? duration : count,
    sortValue: (r) => valueOf(r, measure),
  }));
  return [...dimensionColumns, ...measureColumns];
}

function compare(a, b) {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1;
  if (b === null || b === undefined) return -1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}

/** A sortable table bound to one `<table>` element. */
export class ResultsTable {
  constructor(table, note) {
    this.table = table;
    this.note = note;
    this.records = [];
    this.columns = [];
    this.sort = null; // {key, descending}
  }

  show(records, columns) {
    this.records = records;
    this.columns = columns;
    this.sort = null;
    this.#render();
  }

  sortBy(key) {
    const descending = this.sort?.key === key ? !this.sort.descending : false;
    this.sort = { key, descending };
    this.#render();
    this.table.querySelector(`th[data-key="${CSS.escape(key)}"] button`)?.focus();
  }

  #ordered() {
    if (!this.sort) return this.records;
    const column = this.columns.find((c) => c.key === this.sort.key);
    const sign = this.sort.descending ? -1 : 1;
    return this.records
      .map((record, index) => ({ record, index, value: column.sortValue(record) }))
      .sort((a, b) => {
        // absent values stay last in both directions; ties keep the API's order
        if (a.value === null && b.value !== null) return 1;
        if (b.value === null && a.value !== null) return -1;
        return sign * compare(a.value, b.value) || a.index - b.index;
      })
      .map((item) => item.record);
  }

  #render() {
    const header = h("tr", {}, ...this.columns.map((column) => {
      const sorted = this.sort?.key === column.key;
      const direction = sorted ? (this.sort.descending ? "descending" : "ascending") : null;
      return h("th", {
        scope: "col", "data-key": column.key, class: column.numeric ? "num" : null,
        "aria-sort": direction ?? "none", title: column.title ?? null,
      }, h("button", {
        type: "button", class: "sort", onclick: () => this.sortBy(column.key),
      }, column.label, h("span", { class: "arrow", "aria-hidden": "true", text: sorted ? (this.sort.descending ? " ▼" : " ▲") : "" })));
    }));
    const rows = this.#ordered().slice(0, ROW_LIMIT).map((record) => h("tr", {},
      ...this.columns.map((column) => {
        const value = column.value(record);
        return h(column === this.columns[0] ? "th" : "td", {
          class: column.numeric ? "num" : null, scope: column === this.columns[0] ? "row" : null,
          text: value === null || value === undefined ? "" : column.show(value),
        });
      })));
    this.table.replaceChildren(h("thead", {}, header), h("tbody", {}, ...rows));
    const total = this.records.length;
    this.note.textContent = total > ROW_LIMIT
      ? `The table shows the first ${count(ROW_LIMIT)} of ${count(total)} records; the downloads hold them all.`
      : "";
  }
}
