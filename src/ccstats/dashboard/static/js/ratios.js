// The contact-centre KPIs of GET /v2/statistics/kpis: human labels, values shown in the
// KPI's unit (from GET /v2/statistics/kpis/definitions), and roll-ups, which add
// numerators and denominators (averaging the values would weigh a quiet queue like a busy one).

import { duration, percent, quotient } from "./format.js";

const LABELS = {
  aht: "Average handle time",
  avgTalkIn: "Talk time, inbound",
  avgTalkOut: "Talk time, outbound",
  avgAfterwork: "After-call work",
  occupancy: "Occupancy",
  utilisation: "Utilisation",
  callInAnswerRate: "Inbound answer rate",
  callOutReachRate: "Outbound reach rate",
  dispositionSuccessRate: "Successful dispositions",
  serviceLevel: "Service level",
  serviceLevelExShortAbandons: "Service level without short abandons",
  asa: "Average speed of answer",
  abandonmentRate: "Abandonment rate",
  avgAbandonWait: "Wait before abandoning",
  avgTalk: "Talk time",
};

/** Shown where a KPI has no value: nothing was handled (its denominator is 0). */
export const NO_VALUE = "–";

/** The human label of a KPI; a service level names its threshold ("Service level (30 s)"). */
export function kpiLabel(kpi, sla) {
  const label = LABELS[kpi] ?? kpi;
  return kpi.startsWith("serviceLevel") ? `${label} (${sla} s)` : label;
}

/** The entry ({kpi, value, numerator, denominator}) of `kpi` in an API record. */
export function entryOf(record, kpi) {
  return record.kpis.find((entry) => entry.kpi === kpi);
}

/** `kpi` over all of `records`: their numerators and denominators added up. */
export function rollUp(records, kpi) {
  const total = { kpi, numerator: 0, denominator: 0 };
  for (const record of records) {
    const entry = entryOf(record, kpi);
    total.numerator += entry.numerator;
    total.denominator += entry.denominator;
  }
  return total;
}

/** An entry as shown: "81.3%" for a ratio, h:mm:ss for seconds, NO_VALUE without a value.
 * Computed from the numerator and denominator, so a roll-up is shown like a record. */
export function display(entry, unit) {
  if (entry.denominator === 0) return NO_VALUE;
  return unit === "ratio"
    ? percent(entry.numerator, entry.denominator)
    : duration(quotient(entry.numerator, entry.denominator));
}

/** An entry's value for sorting: null without a value. */
export function sortValue(entry) {
  return entry.denominator === 0 ? null : entry.numerator / entry.denominator;
}
