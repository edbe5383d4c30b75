#!/usr/bin/env node
// npm run icons — draws the tray icons (hand-written SVG) and renders every size and format into assets/tray/:
//   <icon>.png / <icon>@2x.png              16/32 px, Windows and Linux tray (Electron picks @2x on HiDPI)
//   <icon>-24.png / <icon>-24@2x.png        24/48 px, Linux panels that draw tray icons at 22–24 px
//   <icon>.ico                              Windows: 16, 20, 24, 32, 48 px in one file
//   <icon>Template.png / <icon>Template@2x.png   macOS menu bar: black + alpha, macOS tints it for light/dark
//   svg/<icon>.svg, svg/<icon>Template.svg  the sources
// and docs/tray-icons.png, a contact sheet on light and dark taskbars at 1x and enlarged, to look at.
// Rendering: @resvg/resvg-js (prebuilt per platform on npm, no download); .ico: png-to-ico.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import pngToIco from 'png-to-ico';

const root = new URL('..', import.meta.url).pathname;
const out = join(root, 'assets', 'tray');

// 32-unit grid: one unit is half a pixel at 16 px, so strokes of 4 units are 2 px and land on whole pixels.
const SHIELD = 'M16 1.5 L29 6 V15 C29 23 23.5 28.5 16 31 C8.5 28.5 3 23 3 15 V6 Z';

/** The glyph of each state: the state is told by this shape; the colour only helps. */
const GLYPHS = {
  // a check mark: all good
  compliant: { fill: '#1b7a34', edge: '#0d4a1e', glyph: '<path d="M9 16.5 L14 21.5 L23 11" class="g"/>' },
  // an exclamation mark: a banned app, remove it by the deadline
  banned: {
    fill: '#d35400',
    edge: '#7a3000',
    glyph: '<path d="M16 7.5 V17.5" class="g"/><circle cx="16" cy="23.5" r="2.6" class="d"/>',
  },
  // a cross: the deadline passed (or sync blocked)
  overdue: { fill: '#c0182b', edge: '#6e0b16', glyph: '<path d="M10.5 10.5 L21.5 21.5 M21.5 10.5 L10.5 21.5" class="g"/>' },
  // a dash: a notice, an app the policy only warns about (an "i" was tried: at 16 px it differs from "!" in 2 pixels)
  warning: { fill: '#1f5fbf', edge: '#0f3270', glyph: '<path d="M10 16.5 H22" class="g"/>' },
  // a question mark on a hollow shield: cannot say (not checked, offline, policy problem, incomplete)
  unknown: {
    fill: '#6b6b6b',
    edge: '#2e2e2e',
    hollow: true,
    glyph:
      '<path d="M11.5 12 C11.5 9 13.5 7.5 16 7.5 C18.6 7.5 20.5 9.2 20.5 11.6 C20.5 14.6 16 15.2 16 18.5" class="g" fill="none"/><circle cx="16" cy="23.7" r="2.5" class="d"/>',
  },
};

/** Colour icon: a filled shield with a light edge (so it shows on dark taskbars) and a dark edge (on light ones). */
function colourSvg({ fill, edge, glyph, hollow }) {
  const body = hollow
    ? `<path d="${SHIELD}" fill="#ffffff" stroke="${edge}" stroke-width="2.5"/>` +
      `<path d="${SHIELD}" fill="none" stroke="#ffffff" stroke-width="0.8" transform="translate(16 16) scale(1.08) translate(-16 -16)" opacity="0.9"/>`
    : `<path d="${SHIELD}" fill="${fill}" stroke="#ffffff" stroke-width="3" stroke-linejoin="round" opacity="0.85"/>` +
      `<path d="${SHIELD}" fill="${fill}" stroke="${edge}" stroke-width="1.2" stroke-linejoin="round"/>`;
  const ink = hollow ? edge : '#ffffff';
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32" width="32" height="32">
<style>.g{fill:none;stroke:${ink};stroke-width:4;stroke-linecap:round;stroke-linejoin:round}.d{fill:${ink}}</style>
${body}
${glyph}
</svg>
`;
}

/** macOS template: black shield, glyph cut out (alpha), so the menu bar tints it for light and dark mode. */
function templateSvg({ glyph, hollow }) {
  const cut = glyph.replace(/class="g"/g, 'class="g"').replace(/class="d"/g, 'class="d"');
  if (hollow)
    return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32" width="32" height="32">
<style>.g{fill:none;stroke:#000;stroke-width:4;stroke-linecap:round;stroke-linejoin:round}.d{fill:#000}</style>
<path d="${SHIELD}" fill="none" stroke="#000" stroke-width="2.5"/>
${cut}
</svg>
`;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32" width="32" height="32">
<defs><mask id="m"><rect width="32" height="32" fill="#fff"/>
<g><style>.g{fill:none;stroke:#000;stroke-width:4;stroke-linecap:round;stroke-linejoin:round}.d{fill:#000}</style>${cut}</g></mask></defs>
<path d="${SHIELD}" fill="#000" mask="url(#m)"/>
</svg>
`;
}

const render = (svg, px) =>
  new Resvg(svg, { fitTo: { mode: 'width', value: px }, font: { loadSystemFonts: false } }).render().asPng();

mkdirSync(join(out, 'svg'), { recursive: true });
const rendered = {};
for (const [name, spec] of Object.entries(GLYPHS)) {
  const colour = colourSvg(spec);
  const template = templateSvg(spec);
  writeFileSync(join(out, 'svg', `${name}.svg`), colour);
  writeFileSync(join(out, 'svg', `${name}Template.svg`), template);
  const sizes = {};
  for (const px of [16, 20, 24, 32, 48]) sizes[px] = render(colour, px);
  writeFileSync(join(out, `${name}.png`), sizes[16]);
  writeFileSync(join(out, `${name}@2x.png`), sizes[32]);
  writeFileSync(join(out, `${name}-24.png`), sizes[24]);
  writeFileSync(join(out, `${name}-24@2x.png`), sizes[48]);
  writeFileSync(join(out, `${name}.ico`), await pngToIco([sizes[16], sizes[20], sizes[24], sizes[32], sizes[48]]));
  const t16 = render(template, 16);
  const t32 = render(template, 32);
  writeFileSync(join(out, `${name}Template.png`), t16);
  writeFileSync(join(out, `${name}Template@2x.png`), t32);
  rendered[name] = { 16: sizes[16], 32: sizes[32], t16, t32 };
}

// Contact sheet: each icon at its real tray size on Windows 11 light/dark taskbars, a GNOME panel, macOS light/dark
// menu bars (templates tinted as macOS does), and enlarged 4x without smoothing to see the pixels.
const names = Object.keys(GLYPHS);
const bgs = [
  { label: 'Windows light', bg: '#f3f3f3', kind: 'colour' },
  { label: 'Windows dark', bg: '#202020', kind: 'colour' },
  { label: 'GNOME panel', bg: '#000000', kind: 'colour' },
  { label: 'macOS light', bg: '#e8e8e8', kind: 'template', tint: 0 },
  { label: 'macOS dark', bg: '#2b2b2b', kind: 'template', tint: 1 },
];
const uri = (png) => `data:image/png;base64,${Buffer.from(png).toString('base64')}`;
const W = 150 + names.length * 110;
const rowH = 90;
let body = '';
bgs.forEach((b, r) => {
  const y = 30 + r * rowH;
  body += `<rect x="0" y="${y}" width="${W}" height="${rowH}" fill="${b.bg}"/>`;
  body += `<text x="8" y="${y + 50}" font-family="DejaVu Sans" font-size="13" fill="${b.bg === '#f3f3f3' || b.bg === '#e8e8e8' ? '#000' : '#fff'}">${b.label}</text>`;
  names.forEach((n, c) => {
    const x = 150 + c * 110;
    const img = rendered[n];
    const one = b.kind === 'colour' ? img[16] : img.t16;
    const two = b.kind === 'colour' ? img[32] : img.t32;
    const tint = b.kind === 'template' && b.tint ? ' filter="url(#white)"' : '';
    body += `<image x="${x}" y="${y + 12}" width="16" height="16" href="${uri(one)}"${tint}/>`;
    body += `<image x="${x + 24}" y="${y + 12}" width="16" height="16" href="${uri(two)}"${tint}/>`;
    body += `<image x="${x}" y="${y + 32}" width="64" height="64" href="${uri(one)}" style="image-rendering:pixelated"${tint}/>`;
  });
});
names.forEach((n, c) => (body += `<text x="${150 + c * 110}" y="20" font-family="DejaVu Sans" font-size="13">${n}</text>`));
const sheet = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${30 + bgs.length * rowH}">
<defs><filter id="white"><feColorMatrix type="matrix" values="0 0 0 0 1  0 0 0 0 1  0 0 0 0 1  0 0 0 1 0"/></filter></defs>
<rect width="100%" height="100%" fill="#fff"/>${body}</svg>`;
mkdirSync(join(root, 'docs'), { recursive: true });
writeFileSync(
  join(root, 'docs', 'tray-icons.png'),
  new Resvg(sheet, { font: { loadSystemFonts: true }, imageRendering: 1 }).render().asPng(),
);
console.log(`wrote ${names.length} icons × 10 files to assets/tray/ and docs/tray-icons.png`);
