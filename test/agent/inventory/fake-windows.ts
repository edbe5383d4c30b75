/**
 * A stand-in for reg.exe, whoami.exe and powershell.exe, which do not exist on the Linux machine the tests run on.
 * It answers each exact command line with a fixture file from test/fixtures/windows/ and records every call, so tests
 * can assert what the collectors would run on Windows. Used by the Windows tests and to (re)build raw-inventory.json:
 *
 *     node --import tsx test/agent/inventory/fake-windows.ts --write
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SourceError } from '../../../agent/errors.js';
import { PROVISIONED_SCRIPT, createAppxSource, packagesScript } from '../../../agent/inventory/sources/appx.js';
import { createRegistrySource } from '../../../agent/inventory/sources/registry.js';
import type { Runner } from '../../../agent/inventory/sources/windows-commands.js';
import type { RawInventory } from '../../../agent/inventory/index.js';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/windows/', import.meta.url));
export const fixtureText = (name: string) => readFileSync(FIXTURES + name, 'utf8');

export const SYSTEM_ROOT = 'C:\\Windows';
export const REG = 'C:\\Windows\\System32\\reg.exe';
export const WHOAMI = 'C:\\Windows\\System32\\whoami.exe';
export const POWERSHELL = 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe';
export const PS_ARGS = ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-Command'];

export const ANNA_SID = 'S-1-5-21-3623811015-3361044348-30300820-1001';
export const BEN_SID = 'S-1-5-21-3623811015-3361044348-30300820-1002';
const UNINSTALL = 'Microsoft\\Windows\\CurrentVersion\\Uninstall';

export interface Call {
  file: string;
  args: string[];
}

/** command line → fixture file (or a thrown error); what an elevated agent running as SYSTEM sees on the fixture machine. */
export function systemMachine(): Map<string, string | Error> {
  return new Map<string, string | Error>([
    [key(WHOAMI, ['/user', '/groups', '/fo', 'csv', '/nh']), 'whoami-system.csv.txt'],
    [
      key(REG, ['query', 'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\ProfileList', '/s', '/reg:64']),
      'reg-profilelist.txt',
    ],
    [key(REG, ['query', 'HKU', '/reg:64']), 'reg-hku.txt'],
    [key(REG, ['query', `HKLM\\SOFTWARE\\${UNINSTALL}`, '/s', '/reg:64']), 'reg-hklm-uninstall.txt'],
    [key(REG, ['query', `HKLM\\SOFTWARE\\WOW6432Node\\${UNINSTALL}`, '/s', '/reg:64']), 'reg-hklm-wow6432node-uninstall.txt'],
    [key(REG, ['query', `HKCU\\Software\\${UNINSTALL}`, '/s', '/reg:64']), 'reg-hkcu-uninstall-as-system.txt'],
    [key(REG, ['query', `HKU\\${ANNA_SID}\\Software\\${UNINSTALL}`, '/s', '/reg:64']), 'reg-hku-anna-uninstall.txt'],
    [key(REG, ['query', `HKU\\${BEN_SID}\\Software\\${UNINSTALL}`, '/s', '/reg:64']), 'reg-hku-ben-uninstall.txt'],
    [key(POWERSHELL, [...PS_ARGS, packagesScript(true)]), 'appx-allusers.json'],
    [key(POWERSHELL, [...PS_ARGS, PROVISIONED_SCRIPT]), 'appx-provisioned.json'],
  ]);
}

export function key(file: string, args: readonly string[]): string {
  return JSON.stringify([file, ...args]);
}

/** A Runner that serves `answers` (file names are read from the fixtures, strings starting with "text:" are literal). */
export function fakeRunner(answers: Map<string, string | Error>): { run: Runner; calls: Call[] } {
  const calls: Call[] = [];
  const run: Runner = async (file, args) => {
    calls.push({ file, args: [...args] });
    const answer = answers.get(key(file, args));
    if (answer === undefined) throw new SourceError('TOOL_MISSING', `fake: no answer for ${file} ${args.join(' ')}`);
    if (answer instanceof Error) throw answer;
    return answer.startsWith('text:') ? answer.slice(5) : fixtureText(answer);
  };
  return { run, calls };
}

/** The raw inventory collectRawInventory would produce on the fixture machine (same envelope, same source ids). */
export async function buildRawInventory(): Promise<RawInventory> {
  const { run } = fakeRunner(systemMachine());
  const ctx = { os: 'windows' as const, root: '/', live: true };
  const sources = [createRegistrySource({ run, systemRoot: SYSTEM_ROOT }), createAppxSource({ run, systemRoot: SYSTEM_ROOT })];
  const raw: RawInventory = {
    format: 'appwacht-raw-inventory',
    version: 1,
    os: 'windows',
    root: '/',
    collectedAt: '2026-11-30T08:15:00.000Z',
    sources: {},
  };
  for (const source of sources) raw.sources[source.id] = { ok: true, ms: 0, data: await source.collect(ctx) };
  return raw;
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.includes('--write')) {
  const raw = await buildRawInventory();
  writeFileSync(FIXTURES + 'raw-inventory.json', JSON.stringify(raw, null, 2) + '\n');
  console.log(`wrote ${FIXTURES}raw-inventory.json`);
}
