// Bundles the tray app's main process and preload with esbuild into dist/app/ (npm run build):
//   main.js      ESM, the Electron entry (package.json "main"); agent code bundled in, the per-user agent in chunks
//                loaded only in per-user mode.
//   preload.cjs  CommonJS: a sandboxed preload cannot be an ES module and may require only `electron`.
// The renderer is built by scripts/bundle-renderer.mjs into dist/app/renderer/.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const common = { absWorkingDir: repo, bundle: true, platform: 'node', target: 'node20', sourcemap: 'linked', logLevel: 'warning' };
await build({
  ...common,
  entryPoints: { main: 'app/main/main.ts' },
  outdir: 'dist/app',
  format: 'esm',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  // Packages that find files of their own at run time, and electron itself, stay outside.
  external: ['electron', 'node-notifier', 'ps-list', 'systeminformation'],
  banner: {
    js: "import { createRequire as __appwachtCreateRequire } from 'node:module';\nconst require = __appwachtCreateRequire(import.meta.url);",
  },
});
await build({
  ...common,
  entryPoints: ['app/preload/preload.ts'],
  outfile: 'dist/app/preload.cjs',
  format: 'cjs',
  external: ['electron'],
});
