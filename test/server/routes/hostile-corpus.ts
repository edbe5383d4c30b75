/**
 * A deterministic generator of hostile requests: valid requests mutated field by field (wrong type, missing,
 * extra, boundary lengths, unicode, NUL bytes, SQL-ish strings, path traversal), whole bodies truncated at
 * every Nth byte, deeply nested, oversized, with wrong content types and with wrong or missing credentials.
 * Each case says which schema decides whether it is valid, so the test can check "2xx only for valid input".
 */
import type { InjectOptions } from 'fastify';
import { prng } from '../../helpers/prng.js';

export interface Template {
  name: string;
  method: 'POST' | 'GET' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  body?: unknown;
  /** Would the server be right to accept this body? (Schema + semantic checks the test can know.) */
  accepts(body: unknown): boolean;
}

export interface HostileCase {
  label: string;
  request: InjectOptions;
  /** true: a 2xx is allowed (the input may be valid); false: it must be a 4xx. */
  mayPass: boolean;
}

type Path = (string | number)[];

function paths(value: unknown, prefix: Path = []): Path[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => [[...prefix, i], ...paths(v, [...prefix, i])]);
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => [[...prefix, k], ...paths(v, [...prefix, k])]);
  }
  return [];
}

function setAt(root: unknown, path: Path, fn: (parent: Record<string | number, unknown>, key: string | number) => void): unknown {
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  fn(node, path[path.length - 1]!);
  return copy;
}

export const HOSTILE_VALUES: [string, unknown][] = [
  ['null', null],
  ['zero', 0],
  ['negative', -1],
  ['huge number', 1e308],
  ['float', 0.5],
  ['true', true],
  ['empty string', ''],
  ['long string', 'A'.repeat(10_000)],
  ['array', []],
  ['object', {}],
  ['sql', "' OR 1=1 --"],
  ['sql drop', "x'); DROP TABLE devices; --"],
  ['path traversal', '../../../../etc/passwd'],
  ['NUL byte', 'abc\u0000def'],
  ['unicode', 'Grüße 😀 \u202e\u200b'],
  ['lone surrogate', '\ud800'],
  ['numeric string', '42'],
  ['uuid-ish', '00000000-0000-0000-0000-000000000000'],
  ['script', '<script>alert(1)</script>'],
];

function json(body: unknown): string {
  return JSON.stringify(body);
}

export function generateCorpus(templates: Template[], seed = 20260401): HostileCase[] {
  const rnd = prng(seed);
  const cases: HostileCase[] = [];
  for (const t of templates) {
    const base = (
      label: string,
      body: string | undefined,
      mayPass: boolean,
      extraHeaders: Record<string, string> = {},
    ): HostileCase => ({
      label: `${t.name}: ${label}`,
      request: {
        method: t.method,
        url: t.url,
        headers: { ...t.headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...extraHeaders },
        ...(body !== undefined ? { payload: body } : {}),
      },
      mayPass,
    });
    if (t.body === undefined) continue;
    const valid = t.body;

    // Field by field: remove, replace with hostile values, add an unknown sibling.
    for (const p of paths(valid)) {
      const name = p.join('.');
      const removed = setAt(valid, p, (parent, key) =>
        Array.isArray(parent) ? parent.splice(key as number, 1) : delete parent[key],
      );
      cases.push(base(`${name} missing`, json(removed), t.accepts(removed)));
      for (const [label, v] of HOSTILE_VALUES) {
        // Sample: a full cross product of every field and value would only repeat itself.
        if (rnd() > 0.55) continue;
        const mutated = setAt(valid, p, (parent, key) => (parent[key] = v));
        cases.push(base(`${name} = ${label}`, json(mutated), t.accepts(mutated)));
      }
      const parentPath = p.slice(0, -1);
      const extra = setAt({ root: valid }, ['root', ...parentPath, '__extra__'], (parent, key) => {
        if (!Array.isArray(parent)) parent[key] = 'surprise';
      }) as { root: unknown };
      if (rnd() < 0.5) cases.push(base(`unknown field next to ${name}`, json(extra.root), t.accepts(extra.root)));
    }
    cases.push(base('unknown top-level field', json({ ...(valid as object), isAdmin: true }), false));

    // Whole-body damage.
    const text = json(valid);
    const step = Math.max(1, Math.floor(text.length / 40));
    for (let cut = 0; cut < text.length; cut += step) cases.push(base(`truncated at byte ${cut}`, text.slice(0, cut), false));
    cases.push(base('deeply nested array', '['.repeat(20_000) + ']'.repeat(20_000), false));
    cases.push(base('deeply nested object', '{"a":'.repeat(5_000) + '1' + '}'.repeat(5_000), false));
    cases.push(base('prototype pollution', text.replace(/^\{/, '{"__proto__":{"isAdmin":true},'), false));
    cases.push(base('constructor pollution', text.replace(/^\{/, '{"constructor":{"prototype":{"x":1}},'), false));
    cases.push(base('JSON array', '[1,2,3]', false));
    cases.push(base('JSON string', '"hello"', false));
    cases.push(base('JSON null', 'null', false));
    cases.push(base('JSON number', '12', false));
    cases.push(base('garbage bytes', '\u0000\u0001\u00ff{{{', false));
    cases.push(base('NaN literal', text.replace(/:\s*("[^"]*"|\d+)/, ':NaN'), false));
    cases.push(base('empty body', '', false));
    cases.push(base('oversized body', JSON.stringify({ ...(valid as object), pad: 'x'.repeat(3 * 1024 * 1024) }), false));
    cases.push(base('single quotes', text.replaceAll('"', "'"), false));
    cases.push(base('trailing comma', text.replace(/\}$/, ',}'), false));
    for (const ct of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/xml',
      'application/jsonx',
    ]) {
      cases.push(base(`content-type ${ct}`, text, false, { 'content-type': ct }));
    }
    // Credentials.
    const noAuth = { ...t.headers };
    delete noAuth.authorization;
    for (const [label, auth] of [
      ['no credentials', undefined],
      ['Basic scheme', 'Basic YWRtaW46YWRtaW4='],
      ['empty bearer', 'Bearer '],
      ['bearer with spaces', 'Bearer a b c'],
      ['unknown device token', 'Bearer awd_' + 'A'.repeat(43)],
      ['unknown admin token', 'Bearer awa_' + 'A'.repeat(43)],
      ['sql in token', "Bearer awd_' OR '1'='1"],
      ['very long token', 'Bearer awd_' + 'B'.repeat(5000)],
      ['latin-1 token', 'Bearer awd_ÄÖÜ'],
    ] as [string, string | undefined][]) {
      if (t.headers.authorization === undefined) continue;
      const c = base(label, text, false);
      c.request.headers = { ...noAuth, 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) };
      cases.push(c);
    }
  }
  return cases;
}
