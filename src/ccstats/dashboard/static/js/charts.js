// The charts of a report, computed from its records: KPIs over time (Chart.js line),
// agents side by side (Chart.js bars) and an hour × weekday heat map (a table).
// Seconds are charted in hours; counts on their own axis.

import { byId, h } from "./dom.js";
import { WEEKDAYS, count, decimal, duration, slot, weekday } from "./format.js";
import { valueOf } from "./kpis.js";

// Distinguishable for common colour-vision deficiencies (Okabe–Ito), dark enough on white.
const COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"];

/** Sums of `measures` per key of `keyOf(record)`; keys in first-seen order. */
export function totals(records, measures, keyOf) {
  const sums = new Map();
  for (const record of records) {
    const key = keyOf(record);
    if (!sums.has(key)) sums.set(key, measures.map(() => 0));
    const row = sums.get(key);
    measures.forEach((measure, index) => { row[index] += valueOf(record, measure) ?? 0; });
  }
  return sums;
}

function plotted(measure, value) {
  return measure.seconds ? value / 3600 : value;
}

function axes(measures) {
  const scales = {};
  const anyHours = measures.some((m) => m.seconds);
  const anyCounts = measures.some((m) => !m.seconds);
  if (anyHours) scales.hours = { position: "left", beginAtZero: true, title: { display: true, text: "hours" } };
  if (anyCounts) {
    scales.counts = {
      position: anyHours ? "right" : "left", beginAtZero: true,
      title: { display: true, text: "count" }, grid: { drawOnChartArea: !anyHours },
    };
  }
  return scales;
}

function datasets(measures, rows, valueAxis) {
  return measures.map((measure, index) => ({
    label: measure.label,
    data: rows.map((row) => plotted(measure, row[index])),
    borderColor: COLOURS[index % COLOURS.length],
    backgroundColor: COLOURS[index % COLOURS.length],
    [`${valueAxis}AxisID`]: measure.seconds ? "hours" : "counts",
    measure,
  }));
}

function tooltipLabel(context) {
  const measure = context.dataset.measure;
  const value = context.raw;
  return `${measure.label}: ${measure.seconds ? duration(value * 3600) : count(value)}`;
}

function chartOptions(measures, extra = {}) {
  return {
    animation: false,
    responsive: true,
    maintainAspectRatio: false,
    interaction: { mode: "nearest", intersect: false },
    plugins: {
      legend: { position: "bottom" },
      tooltip: { callbacks: { label: tooltipLabel } },
    },
    scales: axes(measures),
    ...extra,
  };
}

export class Charts {
  constructor() {
    this.charts = {};
  }

  /** Draw all three for `records` of a report with `dimensions`; `userNames` maps ids. */
  show(records, dimensions, measures, userNames) {
    this.#overTime(records, dimensions, measures);
    this.#agents(records, dimensions, measures, userNames);
    this.#heatMap(records, dimensions, measures[0]);
  }

  clear() {
    for (const name of Object.keys(this.charts)) this.#drop(name);
    byId("heatmap").replaceChildren();
  }

  #drop(name) {
    this.charts[name]?.destroy();
    delete this.charts[name];
  }

  #draw(name, type, labels, measures, rows, extra = {}) {
    this.#drop(name);
    const canvas = byId(name);
    canvas.setAttribute("aria-label", `${canvas.closest("figure").querySelector("figcaption").textContent}: ${measures.map((m) => m.label).join(", ")}`);
    this.charts[name] = new window.Chart(canvas, {
      type, data: { labels, datasets: datasets(measures, rows, extra.indexAxis === "y" ? "x" : "y") }, options: chartOptions(measures, extra),
    });
  }

  #available(name, possible) {
    byId(`${name}-note`).hidden = possible;
    const box = byId(name).closest(".canvas-box, .scroll");
    box.hidden = !possible;
    if (!possible) this.#drop(name);
    return possible;
  }

  #overTime(records, dimensions, measures) {
    const hasDate = dimensions.includes("date");
    const hasTime = dimensions.includes("time");
    if (!this.#available("over-time", (hasDate || hasTime) && measures.length > 0)) return;
    const keyOf = (r) => [hasDate ? r.date : "", hasTime ? String(r.time).padStart(4, "0") : ""].join(" ");
    const sums = totals(records, measures, keyOf);
    const keys = [...sums.keys()].sort();
    const label = (key) => {
      const [date, time] = key.split(" ");
      return [date, time ? slot(Number(time)) : ""].filter(Boolean).join(" ");
    };
    this.#draw("over-time", "line", keys.map(label), measures, keys.map((k) => sums.get(k)),
      { elements: { point: { radius: keys.length > 60 ? 0 : 3 } } });
  }

  #agents(records, dimensions, measures, userNames) {
    if (!this.#available("agents", dimensions.includes("user") && measures.length > 0)) return;
    const sums = totals(records, measures, (r) => r.userId);
    const ids = [...sums.keys()].sort((a, b) => a - b);
    byId("agents").closest(".canvas-box").style.height = `${Math.max(240, 60 + ids.length * 14 * Math.min(measures.length, 3))}px`;
    this.#draw("agents", "bar", ids.map((id) => userNames.get(id) ?? `#${id}`), measures,
      ids.map((id) => sums.get(id)), { indexAxis: "y", scales: horizontal(measures) });
  }

  #heatMap(records, dimensions, measure) {
    const table = byId("heatmap");
    const possible = dimensions.includes("date") && dimensions.includes("time") && measure !== undefined;
    if (!this.#available("heatmap", possible)) { table.replaceChildren(); return; }
    const grid = WEEKDAYS.map(() => new Array(24).fill(0));
    for (const record of records) {
      grid[weekday(record.date)][Math.floor(record.time / 100)] += valueOf(record, measure) ?? 0;
    }
    const highest = Math.max(1, ...grid.flat());
    const show = measure.seconds ? duration : count;
    const hours = [...Array(24).keys()];
    table.replaceChildren(
      h("caption", { text: `${measure.label}${measure.seconds ? " in hours" : ""}, summed per weekday and hour` }),
      h("thead", {}, h("tr", {}, h("td"), ...hours.map((hour) => h("th", { scope: "col", text: String(hour).padStart(2, "0") })))),
      h("tbody", {}, ...grid.map((row, day) => h("tr", {},
        h("th", { scope: "row", text: WEEKDAYS[day].slice(0, 3), title: WEEKDAYS[day] }),
        ...row.map((value, hour) => {
          const cell = h("td", { title: `${WEEKDAYS[day]} ${String(hour).padStart(2, "0")}:00: ${show(value)}`, "data-value": String(value) });
          const shade = heat(value / highest);
          cell.style.backgroundColor = shade.background;
          cell.classList.toggle("dark", shade.dark);
          cell.textContent = value ? (measure.seconds ? decimal(value / 3600) : count(value)) : "";
          return cell;
        })))),
    );
  }
}

const HEAT_BASE = [8, 48, 107]; // the darkest cell; the lightest is near white

/** The background of a heat map cell at `share` (0..1) of the highest value, and whether
 * its text must be white: the text colour (black or white) keeps a contrast of 4.5:1. */
export function heat(share) {
  const alpha = 0.04 + 0.96 * share;
  const channels = HEAT_BASE.map((base) => Math.round(255 - alpha * (255 - base)));
  const linear = channels.map((c) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  const luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2];
  return { background: `rgb(${channels.join(", ")})`, dark: luminance < 0.18 };
}

function horizontal(measures) {
  // bars run along x: the value axes are horizontal, one on top for counts if mixed
  const scales = axes(measures);
  for (const [name, scale] of Object.entries(scales)) {
    scale.axis = "x";
    scale.position = name === "counts" && scales.hours ? "top" : "bottom";
  }
  scales.y = { type: "category", ticks: { autoSkip: false } };
  return scales;
}
