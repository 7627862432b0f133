// Small helpers for building elements without HTML strings.

/** A new element: attributes (`text` sets textContent, `on*` add listeners) and children. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "text") element.textContent = value;
    else if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, value);
  }
  element.append(...children.filter((child) => child !== null && child !== undefined));
  return element;
}

/** `id` -> element, failing loudly when the page lacks it. */
export function byId(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element;
}

/** Show `errors` ({message}) as a list in `slot`, or empty it; repeated messages once. */
export function showProblems(slot, errors) {
  const messages = [...new Set(errors.map((error) => error.message))];
  slot.replaceChildren(...(messages.length
    ? [h("ul", {}, ...messages.map((message) => h("li", { text: message })))]
    : []));
}
