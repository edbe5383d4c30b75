#!/usr/bin/env node
// Refreshes the bulk samples of the catalog audit (test/fixtures/catalog-audit/*.json, field "sample") from index dumps.
// The curated "entries" of each file are reviewed by hand and left untouched. See agent/catalog/README.md (audit).
//
//   node scripts/catalog-audit-sample.mjs --winget index.v2.json --winget-from 'github:svrooij/winget-pkgs-index:index.v2.json@<commit>'
//   apt-cache pkgnames | sort > /tmp/debian.txt
//   node scripts/catalog-audit-sample.mjs --debian /tmp/debian.txt --debian-from 'Debian 12 (bookworm) apt-cache pkgnames'
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const DIR = new URL('../test/fixtures/catalog-audit/', import.meta.url);
/** Names that look like a catalog service or a known look-alike: all of them go into the sample. */
const LOOKALIKE =
  /whats|telegr|gram\b|signal|discord|cord\b|messeng|element|wire|threema|viber|wechat|weixin|微信|skype|\bline\b|^line|\bkik|insta|facebook|\bsnap|chat|teams|ferdi|franz|rambox|beeper|station|caprine/i;
/** Roughly this many other names, taken at an even stride through the sorted list. */
const OTHERS = 2500;
/** Index ids of the services' own packages: they belong in the curated entries, with the service they are. */
const WINGET_SERVICE =
  /^(Discord\.Discord|Telegram\.|OpenWhisperSystems\.|Threema\.|Tencent\.WeChat|Rakuten\.Viber|Element\.Element|wire\.wire|Ferdium\.|Rambox\.|Beeper\.|Caprine\.)/;

const { values: args } = parseArgs({
  options: {
    winget: { type: 'string' },
    'winget-from': { type: 'string' },
    debian: { type: 'string' },
    'debian-from': { type: 'string' },
  },
});

function load(file) {
  return JSON.parse(readFileSync(new URL(file, DIR), 'utf8'));
}

/** One entry a line, as the curated files are written, so a refresh gives a readable diff. */
function save(file, data) {
  const { entries, sample, ...header } = data;
  const lines = ['{', ...Object.entries(header).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)},`)];
  lines.push('  "entries": [', entries.map((e) => `    ${JSON.stringify(e)}`).join(',\n'), sample ? '  ],' : '  ]');
  if (sample) {
    const { names, ids, ...meta } = sample;
    const list = names ?? ids;
    lines.push(`  "sample": {`, ...Object.entries(meta).map(([k, v]) => `    ${JSON.stringify(k)}: ${JSON.stringify(v)},`));
    lines.push(
      `    ${JSON.stringify(names ? 'names' : 'ids')}: [`,
      list.map((n) => `      ${JSON.stringify(n)}`).join(',\n'),
      '    ]',
      '  }',
    );
  }
  lines.push('}');
  writeFileSync(new URL(file, DIR), lines.join('\n') + '\n');
}

function pick(items, key, text) {
  const sorted = [...items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const lookalike = sorted.filter((i) => LOOKALIKE.test(text(i)));
  const rest = sorted.filter((i) => !LOOKALIKE.test(text(i)));
  const stride = Math.max(1, Math.floor(rest.length / OTHERS));
  return { lookalike, others: rest.filter((_, i) => i % stride === 0), stride, total: items.length };
}

const today = new Date().toISOString().slice(0, 10);

if (args.winget) {
  const file = load('winget.json');
  const curated = new Set(file.entries.map((e) => e.id));
  const index = JSON.parse(readFileSync(args.winget, 'utf8'));
  const candidates = index.filter((p) => !curated.has(p.PackageId) && !WINGET_SERVICE.test(p.PackageId));
  const { lookalike, others, stride, total } = pick(
    candidates,
    (p) => p.PackageId,
    (p) => `${p.PackageId} ${p.Name}`,
  );
  file.sample = {
    from: args['winget-from'] ?? args.winget,
    seen: today,
    selection: `of ${total} packages without the services' own: all ${lookalike.length} whose id or name looks like a catalog word, and every ${stride}th of the others; record = DisplayName (PackageName), no publisher`,
    names: [...lookalike, ...others].map((p) => [p.PackageId, p.Name]),
  };
  save('winget.json', file);
  console.log(`winget: ${file.sample.names.length} sample names (${lookalike.length} look-alike)`);
}

if (args.debian) {
  const file = load('debian.json');
  const curated = new Set(file.entries.map((e) => e.id));
  const names = readFileSync(args.debian, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((n) => n && !curated.has(n));
  const { lookalike, others, stride, total } = pick(
    names,
    (n) => n,
    (n) => n,
  );
  file.sample = {
    from: args['debian-from'] ?? args.debian,
    seen: today,
    selection: `of ${total} package names: all ${lookalike.length} that look like a catalog word, and every ${stride}th of the others; record = dpkg package`,
    names: [...lookalike, ...others],
  };
  save('debian.json', file);
  console.log(`debian: ${file.sample.names.length} sample names (${lookalike.length} look-alike)`);
}
