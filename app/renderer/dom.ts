/**
 * The one way the status window makes elements: text goes in through `textContent` only, attributes through
 * `setAttribute` from a fixed list of names. No innerHTML anywhere, so an app name like `<img onerror=…>` stays text.
 */
type Child = Node | string | null | undefined | false;
type Attrs = Partial<
  Record<
    | 'class'
    | 'id'
    | 'role'
    | 'scope'
    | 'lang'
    | 'dir'
    | 'type'
    | 'title'
    | 'tabindex'
    | 'hidden'
    | `aria-${string}`
    | `data-${string}`,
    string
  >
>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) if (value !== undefined) el.setAttribute(name, value);
  for (const c of children)
    if (c !== null && c !== undefined && c !== false) el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return el;
}

/**
 * Explicit bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069). Real names in Arabic or Hebrew need
 * none of them; a name like `WhatsApp<U+202E>exe.ppa` uses them to show as something it is not ("…app.exe").
 */
export const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g;

/**
 * Text that came from the machine or the server (app names, paths): in <bdi>, so an RTL name keeps its own direction
 * without reordering the line around it, and with bidi controls shown as � rather than obeyed.
 */
export function data(text: string, tag: 'bdi' | 'code' = 'bdi'): HTMLElement {
  const el = document.createElement(tag);
  el.textContent = text.replace(BIDI_CONTROLS, '\uFFFD');
  if (tag === 'code') el.setAttribute('dir', 'ltr');
  return el;
}

const SVG = 'http://www.w3.org/2000/svg';

/** A small inline icon from path data (no external files, allowed by the CSP's img-src). Decorative: the text says it. */
export function icon(paths: readonly string[], cls: string): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.setAttribute('class', `icon ${cls}`);
  for (const d of paths) {
    const p = document.createElementNS(SVG, 'path');
    p.setAttribute('d', d);
    svg.append(p);
  }
  return svg;
}
