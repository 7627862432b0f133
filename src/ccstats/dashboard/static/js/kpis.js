// The KPI catalog (GET /v2/statistics/fields) grouped into families by name.

const FAMILIES = [
  ["userstate", "Agent states"],
  ["call", "Calls"],
  ["disposition", "Dispositions"],
  ["email", "E-mails"],
  ["ticket", "Tickets"],
  ["chat", "Chats"],
];

/** The family title of a KPI name ("callOutReached" -> "Calls"). */
export function family(field) {
  const found = FAMILIES.find(([prefix]) => field.startsWith(prefix));
  return found ? found[1] : "Other";
}

/** [[family title, [kpi, ...]], ...] in catalog order. */
export function families(catalog) {
  const groups = new Map();
  for (const kpi of catalog) {
    const title = family(kpi.field);
    if (!groups.has(title)) groups.set(title, []);
    groups.get(title).push(kpi);
  }
  return [...groups.entries()];
}

/** The measures of `fields` (names): one per count and one per sum the catalog defines.
 * A measure is {field, part: "count" | "sum", seconds, label, meaning}. */
export function measures(fields, catalog) {
  const byName = new Map(catalog.map((kpi) => [kpi.field, kpi]));
  const found = [];
  for (const field of fields) {
    const kpi = byName.get(field);
    if (!kpi) continue;
    if (kpi.count !== null) {
      found.push({ field, part: "count", seconds: false, label: `${field} count`, meaning: kpi.count });
    }
    if (kpi.sum !== null) {
      const seconds = kpi.unit === "seconds";
      found.push({ field, part: "sum", seconds, label: `${field} ${seconds ? "time" : "sum"}`, meaning: kpi.sum });
    }
  }
  return found;
}

/** The value of `measure` in an API record: its count or sum, or null when absent. */
export function valueOf(record, measure) {
  let entries = indexed.get(record);
  if (!entries) {
    entries = new Map(record.data.map((item) => [item.field, item]));
    indexed.set(record, entries);
  }
  const entry = entries.get(measure.field);
  return entry ? entry[measure.part] : null;
}

const indexed = new WeakMap();
