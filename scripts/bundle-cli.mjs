// Bundles the agent CLI (agent/cli/main.ts and everything it imports, zod and undici included) with esbuild into
// dist/cli/: appwacht.js (the entry), errors.js, and a folder per command with its chunks. Run by `npm run build` after
// tsc.
//
// Why: a start of the CLI spent most of its time resolving, reading and compiling ~200 separate ES modules (zod alone
// is ~95); a bundle is a handful of files. Why chunks and not one file: `appwacht --help` and the resident supervisor
// of `appwacht run` would otherwise parse all ~2.5 MB of it; with code splitting each command loads only the chunks it
// needs (BENCHMARKS.md, "Start-up"). Everything lives under dist/cli/, which is what an installer copies.
//
// Left outside the bundle: packages that find files of their own next to their code at run time (node-notifier's
// helper binaries, ps-list's fastlist.exe), and yaml, loaded with createRequire on first use (agent/lazy-yaml.ts). Code
// that only some runs need (the plist parsers, undici, each command) is in chunks of its own, imported when needed.
// dist/cli/meta.json (the metafiles of all builds) tells which source files each file holds; tests use it to check what a
// process loaded (test/helpers/loaded-sources.ts).
import { build } from 'esbuild';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
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

/**
 * agent/errors.ts is built once, into dist/cli/errors.js, and every build below imports that file. The entry catches
 * what a command throws and tells a UsageError from other errors with `instanceof`, which needs one copy of the
 * classes in the process, not one per build. `at` is where errors.js lies as seen from that build's folder.
 */
const sharedErrors = (at) => ({
  name: 'shared-errors',
  setup(b) {
    const errors = join(repo, 'agent', 'errors.js');
    b.onResolve({ filter: /\/errors\.js$/ }, (args) =>
      resolve(args.resolveDir, args.path) === errors ? { path: at, external: true } : undefined,
    );
  },
});

/**
 * The commands that agent/cli/commands/index.ts imports on demand (`import('./scan.js')`) are builds of their own:
 * the entry's build keeps each such import as `./scan/scan.js`, and `names` collects them for their builds.
 */
const commandsApart = (names) => ({
  name: 'commands-apart',
  setup(b) {
    const index = join(repo, 'agent', 'cli', 'commands', 'index.ts');
    b.onResolve({ filter: /^\.\/[a-z-]+\.js$/ }, (args) => {
      if (args.importer !== index || args.kind !== 'dynamic-import') return undefined;
      const name = args.path.slice(2, -3);
      names.add(name);
      return { path: `./${name}/${name}.js`, external: true };
    });
  },
});

const common = {
  absWorkingDir: repo,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['node-notifier', 'ps-list'],
  // CommonJS packages inside the bundle (undici) require Node's builtins; an ES module has no `require` of its own.
  // Made on first call: createRequire costs ~3 ms the first time, and most chunks never require anything.
  banner: {
    js: "let __appwachtRequire;\nfunction require(id) {\n  __appwachtRequire ??= process.getBuiltinModule('node:module').createRequire(import.meta.url);\n  return __appwachtRequire(id);\n}",
  },
  // Readable stack traces without --enable-source-maps: names and lines stay as written; the maps are for the rest.
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
};

/**
 * One build per command (dist/cli/<command>/), each split into the chunks its own lazy parts need, in the same folder
 * (the path to errors.js is then the same for all of them). A command loads its static code as one file instead of
 * the 20–30 small chunks one build shared between all commands made: every file costs a resolve, a read and a link
 * (status 23 → 10 files, −8.5 ms; BENCHMARKS.md, "Start-up", fifth pass). The price is disk: code that several commands
 * use is in each of their folders.
 */
await rm(outdir, { recursive: true, force: true });
const commandNames = new Set();
const builds = [
  await build({ ...common, entryPoints: { errors: 'agent/errors.ts' }, outdir }),
  await build({
    ...common,
    entryPoints: { appwacht: 'agent/cli/main.ts' },
    outdir,
    splitting: true,
    chunkNames: '[name]-[hash]',
    plugins: [sharedErrors('./errors.js'), commandsApart(commandNames)],
  }),
];
builds.push(
  ...(await Promise.all(
    [...commandNames].map((name) =>
      build({
        ...common,
        entryPoints: { [name]: `agent/cli/commands/${name}.ts` },
        outdir: join(outdir, name),
        splitting: true,
        chunkNames: '[name]-[hash]',
        plugins: [sharedErrors('../errors.js'), zodLocales, plistParseOnly],
      }),
    ),
  )),
);
const meta = { inputs: {}, outputs: {} };
for (const { metafile } of builds) {
  Object.assign(meta.inputs, metafile.inputs);
  Object.assign(meta.outputs, metafile.outputs);
}
for (const file of Object.keys(meta.outputs).filter((f) => f.endsWith('.js'))) {
  const path = join(repo, file);
  await writeFile(path, builtinsWithoutImport(await readFile(path, 'utf8'), file));
}
await writeFile(`${outdir}/meta.json`, JSON.stringify(meta));

/**
 * Node's builtins are taken with `process.getBuiltinModule`, not `import`. An ES module import of a builtin builds its
 * namespace by reading every export, and that wakes each lazy getter: `import 'node:util'` alone loads 36 of Node's
 * internal modules (streams, worker_threads, readline…), `import 'node:fs'` 34. getBuiltinModule hands over the object
 * and only what the code touches loads (BENCHMARKS.md, "Start-up", fifth pass). esbuild prints each import on lines
 * of its own; the replacement keeps their line count, so the source maps stay true.
 */
function builtinsWithoutImport(code, file) {
  let out = code.replace(/^import (?:(\{[^}]*\})|\* as ([\w$]+)|([\w$]+)) from "(node:[^"]+)";$/gm, (_, named, ns, def, id) => {
    const binding = named ? named.replace(/ as /g, ': ') : (ns ?? def);
    return `const ${binding} = process.getBuiltinModule(${JSON.stringify(id)});`;
  });
  // `await import('node:crypto')` too: a dynamic import builds the same namespace (crypto's loads webcrypto).
  out = out.replace(/\bimport\("(node:[^"]+)"\)/g, (_, id) => `Promise.resolve(process.getBuiltinModule(${JSON.stringify(id)}))`);
  const left = out.match(/^import\b[^;]*"node:[^"]+";$/m);
  if (left) throw new Error(`${file}: an import of a Node builtin in a form this build does not rewrite: ${left[0]}`);
  return out;
}
