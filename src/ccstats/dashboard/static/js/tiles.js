// The overview's tiles (one card per queue or project, and one for all of them) and the
// columns of its agent table, built from KPI records; the KPI definitions give each
// value its unit and its description (as title text).

import { h } from "./dom.js";
import { display, entryOf, kpiLabel, rollUp, sortValue } from "./ratios.js";

/** A tile: a heading and, for each KPI, its label and value. `id` names it for tests. */
function tile(id, title, entries, context) {
  return h("li", { class: id === "all" ? "tile total" : "tile", "data-id": id },
    h("h4", { text: title }),
    h("dl", {}, ...entries.map((entry) => {
      const definition = context.definitions.get(entry.kpi);
      return h("div", { class: "kpi", "data-kpi": entry.kpi },
        h("dt", { text: kpiLabel(entry.kpi, context.sla), title: definition?.description }),
        h("dd", { text: display(entry, definition?.unit) }));
    })));
}

/** The tiles of `records` (one per value of `dimension`: "queue" or "project"), then,
 * when there are several, the tile of all of them. `context` is
 * {kpis, names: Map id -> name, definitions: Map kpi -> definition, sla, all: title}. */
export function tiles(records, dimension, context) {
  const key = `${dimension}Id`;
  const shown = records.map((record) => tile(String(record[key]),
    context.names.get(record[key]) ?? `#${record[key]}`,
    context.kpis.map((kpi) => entryOf(record, kpi)), context));
  if (records.length > 1) {
    shown.push(tile("all", context.all, context.kpis.map((kpi) => rollUp(records, kpi)), context));
  }
  return shown;
}

/** The agent table's columns (see table.js): the agent's name, then each of `kpis`. */
export function agentColumns(kpis, names, definitions) {
  const name = (id) => names.get(id) ?? `#${id}`;
  return [
    {
      key: "user", label: "Agent", numeric: false,
      value: (record) => record.userId, show: name, sortValue: (record) => name(record.userId),
    },
    ...kpis.map((kpi) => {
      const definition = definitions.get(kpi);
      return {
        key: kpi, label: kpiLabel(kpi), title: definition?.description, numeric: true,
        value: (record) => entryOf(record, kpi),
        show: (entry) => display(entry, definition?.unit),
        sortValue: (record) => sortValue(entryOf(record, kpi)),
      };
    }),
  ];
}
