// Bundles the admin dashboard (server/web/ui/) with esbuild into dist/web/: index.html, app.js and app.css, which the
// server serves itself (server/web/serve.ts) — no CDN, nothing loaded from elsewhere. Run by `npm run build`; tests call
// buildWeb() with a folder of their own. Preact + htm need no JSX step; uPlot's stylesheet comes along as app.css.
import { build } from 'esbuild';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));

export async function buildWeb(outdir = `${repo}dist/web`) {
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  await build({
    entryPoints: { app: `${repo}server/web/ui/main.ts` },
    bundle: true,
    format: 'esm',
    target: 'es2020',
    minify: true,
    sourcemap: false,
    outdir,
    logLevel: 'warning',
    legalComments: 'none',
  });
  await copyFile(`${repo}server/web/ui/index.html`, `${outdir}/index.html`);
  return outdir;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildWeb(process.argv[2]);
