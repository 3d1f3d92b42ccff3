// Building the page's elements. Text from messages only ever goes in as text (textContent,
// text nodes, attributes): never as HTML.

/**
 * An element: h("p", {className: "x", title: "y", dataset: {id: "1"}, onclick: f}, "text", child)
 * Strings among the children become text nodes; null and false are skipped.
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "dataset") Object.assign(element.dataset, value);
    else if (key.startsWith("on")) element.addEventListener(key.slice(2), value);
    else if (key === "className") element.className = value;
    else element.setAttribute(key, value === true ? "" : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** ``element`` emptied, then given ``children``. */
export function fill(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

const STYLES = [
  ["```", "code"],
  ["*", "strong"],
  ["_", "em"],
  ["~", "s"],
];

/** WhatsApp's formatting (*bold*, _italic_, ~strike~, ```monospace```) as elements. */
export function formatted(text) {
  const fragment = document.createDocumentFragment();
  let rest = String(text ?? "");
  while (rest) {
    let best = null;
    for (const [mark, tag] of STYLES) {
      const start = rest.indexOf(mark);
      if (start < 0) continue;
      const end = rest.indexOf(mark, start + mark.length + 1);
      if (end < 0) continue;
      if (best === null || start < best.start) best = { start, end, mark, tag };
    }
    if (best === null) {
      fragment.append(document.createTextNode(rest));
      break;
    }
    fragment.append(document.createTextNode(rest.slice(0, best.start)));
    const inner = rest.slice(best.start + best.mark.length, best.end);
    fragment.append(h(best.tag, {}, inner));
    rest = rest.slice(best.end + best.mark.length);
  }
  return fragment;
}

/** The first http(s) URL in ``text``. */
export function firstUrl(text) {
  const match = /https?:\/\/[^\s<>"]+/i.exec(String(text ?? ""));
  return match ? match[0] : null;
}

/** A link shown, never followed by the page itself: http(s) only, opened on a click. */
export function link(url, label) {
  const text = label ?? url;
  if (!/^https?:\/\//i.test(String(url ?? ""))) return h("span", { className: "link" }, text);
  return h("a", { href: url, target: "_blank", rel: "noopener noreferrer", className: "link" }, text);
}

const two = (n) => String(n).padStart(2, "0");

/**
 * "14:05" for a time in seconds since the epoch, with ``withSeconds`` "14:05:09"; with
 * ``withDate`` the day first. (Formatted by hand: the locale formatter's first use costs a
 * noticeable part of the first paint.)
 */
export function clock(seconds, { withSeconds = false, withDate = false } = {}) {
  const d = new Date(seconds * 1000);
  let text = `${two(d.getHours())}:${two(d.getMinutes())}`;
  if (withSeconds) text += `:${two(d.getSeconds())}`;
  if (withDate) text = `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${text}`;
  return text;
}
