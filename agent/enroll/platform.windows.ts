import { release } from 'node:os';
import { parseRegQuery, regQueryArgs } from '../inventory/sources/registry.js';
import type { WindowsTools } from '../inventory/sources/windows-commands.js';
import { EnrollError } from './errors.js';

const CRYPTOGRAPHY_KEY = 'HKLM\\SOFTWARE\\Microsoft\\Cryptography';

/** MachineGuid from `reg query HKLM\SOFTWARE\Microsoft\Cryptography /v MachineGuid` output. */
export function parseMachineGuid(text: string): string | undefined {
  for (const key of parseRegQuery(text).keys) {
    const value = key.values.find((v) => v.name.toLowerCase() === 'machineguid');
    if (value && /^[0-9a-f-]{36}$/i.test(value.data.trim())) return value.data.trim();
  }
  return undefined;
}

/** Set by Windows setup, readable by every user; the 64-bit view, where it lives (regQueryArgs pins /reg:64). */
export async function readWindowsMachineId(tools: WindowsTools): Promise<string> {
  const out = await tools.run(tools.reg, [...regQueryArgs(CRYPTOGRAPHY_KEY, false), '/v', 'MachineGuid'], { timeoutMs: 15_000 });
  const guid = parseMachineGuid(out);
  if (!guid) throw new EnrollError('MACHINE_ID_MISSING', `no MachineGuid under ${CRYPTOGRAPHY_KEY}`);
  return guid;
}

/** "10.0.22631": the build tells Windows 10 from 11 (≥ 22000) without another command. */
export function readWindowsOsVersion(): string {
  return `Windows ${release()}`;
}
