// Small helpers shared by the demo page's modules: building elements, and telling what a frame holds.

export const byId = (id) => document.getElementById(id);

/** Builds an element: `el('td', { class: 'x', title: 'y' }, child, 'text')`. */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export function wsUrl(path) {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${path}`;
}

export function timeOf(ms = Date.now()) {
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
}

/** A plain object (not null, not an array): what a frame, an event or a table row must be. */
export function isRecord(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
