/**
 * The CLI turns zod's code generation off (agent/cli/main.ts, zodWithoutCodeGeneration) through the global zod reads
 * when it loads. This holds the installed zod to that: in a fresh process with the global set first, zod reports
 * jitless and parses object schemas without ever calling `Function`; without it, it would (the control).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { REPO } from '../../helpers/cli.js';

const probe = (setGlobal: boolean) => `
${setGlobal ? 'globalThis.__zod_globalConfig = { jitless: true };' : ''}
let generated = 0;
const RealFunction = Function;
globalThis.Function = new Proxy(RealFunction, { construct(t, args) { generated++; return Reflect.construct(t, args); } });
const { z } = await import('zod');
const schema = z.strictObject({ a: z.string(), b: z.object({ c: z.number() }) });
const ok = schema.safeParse({ a: 'x', b: { c: 1 } }).success && !schema.safeParse({ a: 1, b: {} }).success;
console.log(JSON.stringify({ jitless: z.config().jitless === true, generated, ok }));
`;

function run(setGlobal: boolean): { jitless: boolean; generated: number; ok: boolean } {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe(setGlobal)], { cwd: REPO, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as { jitless: boolean; generated: number; ok: boolean };
}

describe('zod without code generation in the agent CLI', () => {
  it('the global set before zod loads makes it jitless: no Function built, same answers', () => {
    assert.deepEqual(run(true), { jitless: true, generated: 0, ok: true });
  });

  it('control: without it, zod builds its parsers with Function', () => {
    const r = run(false);
    assert.equal(r.jitless, false);
    assert.ok(r.generated > 0, 'zod generated no code without the setting: the first test proves nothing');
    assert.equal(r.ok, true);
  });
});
