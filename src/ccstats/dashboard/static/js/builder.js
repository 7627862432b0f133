// The report builder: the form's controls <-> a report state (see query.js).

import { byId, h } from "./dom.js";
import { families } from "./kpis.js";
import { DIMENSIONS, emptyState, isoDate, period } from "./query.js";

const DIMENSION_LABELS = { project: "Project", user: "User", date: "Date", time: "Time slot" };

/** Form controls named by the API's `param` of an error, for marking them invalid. */
const PARAM_CONTROLS = {
  from: "from", to: "to", dimensions: "dimensions", projects: "projects", users: "users",
  fields: "kpis", timezone: "timezone", interval: "interval",
};

export class Builder {
  constructor() {
    this.form = byId("builder");
    this.catalog = [];
    /** KPI names in the order they were checked (the columns' order). */
    this.fields = [];
    this.#periodButtons();
    this.#dimensionList();
    byId("clear-selection").addEventListener("click", () => {
      for (const id of ["projects", "users"]) {
        for (const option of byId(id).options) option.selected = false;
      }
    });
  }

  /** Fill the choices from the API's catalog, projects and users. */
  populate({ catalog, projects, users }) {
    this.catalog = catalog;
    const projectSelect = byId("projects");
    projectSelect.replaceChildren(...projects.map((project) => h("option", {
      value: String(project.projectid),
      text: project.status === "active" ? project.name : `${project.name} (inactive)`,
    })));
    const userSelect = byId("users");
    userSelect.replaceChildren(...users.map((user) => h("option", {
      value: String(user.userid),
      text: [user.name, user.kind === "system" ? "(system)" : "", user.status === "active" ? "" : "(inactive)"]
        .filter(Boolean).join(" "),
    })));
    this.#kpiFamilies();
    const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
    byId("timezones").replaceChildren(...zones.map((zone) => h("option", { value: zone })));
  }

  /** Show `presets` in the preset list, selecting `selected` (an id) if given. */
  setPresets(presets, selected = null) {
    this.presets = presets;
    byId("preset").replaceChildren(
      h("option", { value: "", text: presets.length ? "Choose a preset" : "No presets yet" }),
      ...presets.map((preset) => h("option", {
        value: String(preset.id),
        text: `${preset.name} (${preset.fields.length} KPIs)`,
        selected: String(preset.id) === String(selected),
      })),
    );
  }

  /** The fields of the chosen preset, or null when none is chosen. */
  chosenPreset() {
    const id = byId("preset").value;
    return (this.presets ?? []).find((preset) => String(preset.id) === id) ?? null;
  }

  /** The report the form describes. */
  read() {
    const state = emptyState();
    state.from = byId("from").value;
    state.to = byId("to").value;
    state.dimensions = [...byId("dimensions").querySelectorAll("input:checked")].map((box) => box.value);
    state.projects = [...byId("projects").selectedOptions].map((option) => option.value);
    state.users = [...byId("users").selectedOptions].map((option) => option.value);
    state.hideSystemUsers = byId("hide-system-users").checked;
    state.fields = [...this.fields];
    state.timezone = byId("timezone").value;
    state.interval = byId("interval").value;
    return state;
  }

  /** Set every control to `state` (dimensions keep the given order, unchecked ones after). */
  apply(state) {
    byId("from").value = state.from;
    byId("to").value = state.to;
    const list = byId("dimensions");
    const order = [...state.dimensions.filter((d) => DIMENSIONS.includes(d)),
      ...DIMENSIONS.filter((d) => !state.dimensions.includes(d))];
    for (const name of order) {
      const item = list.querySelector(`li[data-dimension="${name}"]`);
      item.querySelector("input").checked = state.dimensions.includes(name);
      list.append(item);
    }
    this.#select("projects", state.projects);
    this.#select("users", state.users);
    byId("hide-system-users").checked = state.hideSystemUsers;
    this.setFields(state.fields);
    byId("timezone").value = state.timezone;
    byId("interval").value = state.interval;
  }

  /** Check exactly `fields`, in that order. */
  setFields(fields) {
    const known = new Set(this.catalog.map((kpi) => kpi.field));
    this.fields = fields.filter((field, index) => known.has(field) && fields.indexOf(field) === index);
    for (const box of byId("kpis").querySelectorAll("input[type=checkbox]")) {
      box.checked = this.fields.includes(box.value);
    }
    this.#familyCounts();
  }

  /** Mark the controls the API's errors name; the messages go below them. */
  showErrors(errors) {
    this.clearErrors();
    for (const error of errors) {
      const control = PARAM_CONTROLS[error.param];
      if (!control) continue;
      byId(control).setAttribute("aria-invalid", "true");
      const slot = document.getElementById(`${error.param}-error`);
      if (slot) slot.textContent = [slot.textContent, error.message].filter(Boolean).join(" ");
    }
  }

  clearErrors() {
    for (const marked of this.form.querySelectorAll("[aria-invalid]")) marked.removeAttribute("aria-invalid");
    for (const slot of this.form.querySelectorAll(".field-error")) slot.textContent = "";
  }

  #select(id, values) {
    for (const option of byId(id).options) option.selected = values.includes(option.value);
  }

  #periodButtons() {
    for (const button of this.form.querySelectorAll("[data-period]")) {
      button.addEventListener("click", () => {
        const [first, last] = period(button.dataset.period);
        byId("from").value = isoDate(first);
        byId("to").value = isoDate(last);
      });
    }
  }

  #dimensionList() {
    const list = byId("dimensions");
    const move = (item, step, button) => {
      const sibling = step < 0 ? item.previousElementSibling : item.nextElementSibling;
      if (!sibling) return;
      if (step < 0) list.insertBefore(item, sibling);
      else list.insertBefore(sibling, item);
      button.focus();
    };
    for (const name of DIMENSIONS) {
      const label = DIMENSION_LABELS[name];
      const item = h("li", { "data-dimension": name });
      const up = h("button", { type: "button", class: "icon", "aria-label": `Move ${label} up`, title: "Move up", text: "↑" });
      const down = h("button", { type: "button", class: "icon", "aria-label": `Move ${label} down`, title: "Move down", text: "↓" });
      up.addEventListener("click", () => move(item, -1, up));
      down.addEventListener("click", () => move(item, 1, down));
      item.append(
        h("label", { class: "check" }, h("input", { type: "checkbox", value: name, id: `dimension-${name}` }), ` ${label}`),
        h("span", { class: "moves" }, up, down),
      );
      list.append(item);
    }
  }

  #kpiFamilies() {
    const box = byId("kpis");
    box.replaceChildren(...families(this.catalog).map(([title, kpis]) => {
      const checkboxes = kpis.map((kpi) => h("input", {
        type: "checkbox", value: kpi.field, id: `kpi-${kpi.field}`,
        "aria-describedby": `kpi-${kpi.field}-description`,
        onchange: (event) => this.#toggle(kpi.field, event.target.checked),
      }));
      const all = h("button", { type: "button", class: "secondary small", text: "All", "aria-label": `Check every KPI of ${title}` });
      const none = h("button", { type: "button", class: "secondary small", text: "None", "aria-label": `Uncheck every KPI of ${title}` });
      all.addEventListener("click", () => kpis.forEach((kpi) => this.#toggle(kpi.field, true)));
      none.addEventListener("click", () => kpis.forEach((kpi) => this.#toggle(kpi.field, false)));
      return h("details", { class: "family", "data-family": title },
        h("summary", {}, h("span", { text: title }), " ", h("span", { class: "family-count" })),
        h("div", { class: "family-actions" }, all, none),
        h("ul", { class: "kpi-list" }, ...kpis.map((kpi, index) => h("li", {},
          h("label", { class: "check", for: `kpi-${kpi.field}` }, checkboxes[index], ` ${kpi.field}`),
          h("p", { class: "description", id: `kpi-${kpi.field}-description`, text: kpi.description }),
        ))),
      );
    }));
    this.#familyCounts();
  }

  #toggle(field, checked) {
    const present = this.fields.includes(field);
    if (checked && !present) this.fields.push(field);
    if (!checked && present) this.fields = this.fields.filter((name) => name !== field);
    const box = document.getElementById(`kpi-${field}`);
    if (box) box.checked = checked;
    this.#familyCounts();
  }

  #familyCounts() {
    for (const details of byId("kpis").querySelectorAll("details")) {
      const boxes = [...details.querySelectorAll("input[type=checkbox]")];
      const checked = boxes.filter((box) => box.checked).length;
      details.querySelector(".family-count").textContent = `${checked} of ${boxes.length}`;
    }
  }
}
