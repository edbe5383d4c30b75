#!/usr/bin/env node
// Builds the status window (app/renderer/) into dist/app/renderer/: index.html, style.css and one bundled script
// (renderer.js, an IIFE for the browser; the CSP allows no inline script and nothing from outside). The Electron main
// process loads dist/app/renderer/index.html; the renderer tests load the same files.
import { copyFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
const src = join(root, 'app/renderer');
const out = resolve(root, process.env.RENDERER_OUT ?? 'dist/app/renderer');
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(src, 'main.ts')],
  outfile: join(out, 'renderer.js'),
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: ['chrome130'],
  minify: false,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
});
for (const file of ['index.html', 'style.css']) copyFileSync(join(src, file), join(out, file));
