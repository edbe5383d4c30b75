// Bundles the agent CLI (agent/cli/main.ts and everything it imports, zod and undici included) with esbuild into
// dist/cli/: appwacht.js plus the chunks its commands load on demand. Run by `npm run build` after tsc.
//
// Why: a start of the CLI spent most of its time resolving, reading and compiling ~200 separate ES modules (zod alone
// is ~95); a bundle is a handful of files. Why chunks and not one file: `appwacht --help` and the resident supervisor
// of `appwacht run` would otherwise parse all ~2.5 MB of it; with code splitting each command loads only the chunks it
// needs (BENCHMARKS.md, "Start-up"). The chunks live in one folder, which is what an installer copies.
//
// Left outside the bundle: packages that find files of their own next to their code at run time (node-notifier's
// helper binaries, ps-list's fastlist.exe), and yaml, loaded with createRequire on first use (agent/lazy-yaml.ts). Code
// that only some runs need (the plist parsers, undici, each command) is in chunks of its own, imported when needed.
// dist/cli/meta.json (esbuild's metafile) tells which source files each chunk holds; tests use it to check what a
// process loaded (test/helpers/loaded-sources.ts).
import { build } from 'esbuild';
import { rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * zod re-exports all its ~50 error-message locales as `z.locales` (366 kB, half of zod in the bundle), and a namespace
 * re-export cannot be tree-shaken. The agent speaks German and English, so `z.locales` keeps `de` and `en` here.
 */
const zodLocales = {
  name: 'zod-locales-de-en',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      args.importer.includes('/node_modules/zod/')
        ? { path: join(dirname(args.importer), '..', 'locales', 'index.js'), namespace: 'zod-locales' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: `export { default as de } from ${JSON.stringify(join(dirname(args.path), 'de.js'))};\nexport { default as en } from ${JSON.stringify(join(dirname(args.path), 'en.js'))};\n`,
      resolveDir: dirname(args.path),
    }));
  },
};

/**
 * The agent only parses property lists, but `plist` re-exports its builder too, which imports xmlbuilder (160 kB), and
 * plist does not declare itself free of side effects, so esbuild keeps every module it imports. Said here for its own
 * modules: the unused builder and xmlbuilder drop out of the bundle.
 */
const plistParseOnly = {
  name: 'plist-parse-only',
  setup(b) {
    b.onResolve({ filter: /^\.\/.*\.js$/ }, async (args) => {
      if (!args.importer.includes('/node_modules/plist/') || args.pluginData?.plist) return undefined;
      const { path, errors } = await b.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: { plist: true },
      });
      return errors.length > 0 ? { errors } : { path, sideEffects: false };
    });
  },
};

const repo = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${repo}dist/cli`;

await rm(outdir, { recursive: true, force: true });
const result = await build({
  absWorkingDir: repo,
  entryPoints: { appwacht: 'agent/cli/main.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  external: ['node-notifier', 'ps-list'],
  plugins: [zodLocales, plistParseOnly],
  // CommonJS packages inside the bundle (undici) require Node's builtins; an ES module has no `require` of its own.
  banner: {
    js: "import { createRequire as __appwachtCreateRequire } from 'node:module';\nconst require = __appwachtCreateRequire(import.meta.url);",
  },
  // Readable stack traces without --enable-source-maps: names and lines stay as written; the maps are for the rest.
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
});
await writeFile(`${outdir}/meta.json`, JSON.stringify(result.metafile));
