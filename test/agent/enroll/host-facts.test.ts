import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostFacts } from '../../../protocol/index.js';
import { collectHostFacts, hashMachineId } from '../../../agent/enroll/host-facts.js';
import { parseOsRelease, readLinuxMachineId } from '../../../agent/enroll/platform.linux.js';
import { parseIoregPlatformUuid } from '../../../agent/enroll/platform.macos.js';
import { parseMachineGuid } from '../../../agent/enroll/platform.windows.js';
import type { RunOptions } from '../../../agent/inventory/exec.js';
import { AGENT_VERSION } from '../../../agent/version.js';

const FIXTURES = new URL('../../fixtures/enroll/', import.meta.url).pathname;
const fixture = (name: string) => readFile(join(FIXTURES, name), 'utf8');
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** ioreg, sw_vers and reg.exe do not exist here: a FAKE runner answers with fixture text and records the commands. */
function fakeRunner(answers: Record<string, string>) {
  const calls: string[] = [];
  const run = async (file: string, args: readonly string[], _o?: RunOptions) => {
    const line = [file, ...args].join(' ');
    calls.push(line);
    const answer = answers[file];
    if (answer === undefined) throw new Error(`unexpected command ${line}`);
    return answer;
  };
  return { run, calls };
}

describe('collectHostFacts()', () => {
  it('on this Linux machine: real /etc/machine-id, hashed; protocol-valid facts', async (t) => {
    let raw: string;
    try {
      raw = (await readFile('/etc/machine-id', 'utf8')).trim();
    } catch {
      return t.skip('this machine has no /etc/machine-id (not systemd/dbus): the fixture-root test below covers the reader');
    }
    if (process.platform !== 'linux') return t.skip('not Linux');
    const facts = await collectHostFacts({ os: 'linux' });
    assert.equal(facts.machineId, sha256(raw.toLowerCase()));
    assert.notEqual(facts.machineId, raw, 'the raw id never leaves the machine');
    assert.equal(facts.hostname, hostname());
    assert.equal(facts.agentVersion, AGENT_VERSION);
    assert.equal(facts.os, 'linux');
    assert.ok(facts.osVersion.length > 0);
    assert.ok(HostFacts.safeParse(facts).success);
  });

  it('Linux below a root: falls back to /var/lib/dbus/machine-id and reads PRETTY_NAME', async () => {
    const root = await mkdtemp(join(tmpdir(), 'appwacht-host-'));
    try {
      await mkdir(join(root, 'var/lib/dbus'), { recursive: true });
      await mkdir(join(root, 'etc'));
      await writeFile(join(root, 'etc/machine-id'), '\n'); // empty: first boot not finished
      await writeFile(join(root, 'var/lib/dbus/machine-id'), 'ABCDEF0123456789abcdef0123456789\n');
      await writeFile(join(root, 'etc/os-release'), 'NAME="Ubuntu"\nPRETTY_NAME="Ubuntu 24.04.1 LTS"\nID=ubuntu\n');
      const facts = await collectHostFacts({ os: 'linux', root });
      assert.equal(facts.machineId, sha256('abcdef0123456789abcdef0123456789'), 'lower-cased, then hashed');
      assert.equal(facts.osVersion, 'Ubuntu 24.04.1 LTS');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('Linux without any machine id: MACHINE_ID_MISSING', async () => {
    const root = await mkdtemp(join(tmpdir(), 'appwacht-host-'));
    try {
      await assert.rejects(readLinuxMachineId(root), { code: 'MACHINE_ID_MISSING' });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('macOS: IOPlatformUUID from ioreg and the version from sw_vers (fake runner)', async () => {
    const fake = fakeRunner({
      '/usr/sbin/ioreg': await fixture('ioreg-IOPlatformExpertDevice.txt'),
      '/usr/bin/sw_vers': '14.6.1\n',
    });
    const facts = await collectHostFacts({ os: 'macos', run: fake.run });
    assert.deepEqual(fake.calls, ['/usr/sbin/ioreg -rd1 -c IOPlatformExpertDevice', '/usr/bin/sw_vers -productVersion']);
    assert.equal(facts.machineId, sha256('4c2d1f5a-8b1e-5e3a-9c4d-2b7f6e1a0d93'));
    assert.equal(facts.osVersion, 'macOS 14.6.1');
  });

  it('Windows: MachineGuid with reg.exe by absolute path, 64-bit view (fake runner)', async () => {
    const fake = fakeRunner({ 'C:\\Windows\\System32\\reg.exe': await fixture('reg-query-Cryptography-MachineGuid.txt') });
    const facts = await collectHostFacts({ os: 'windows', run: fake.run, env: { SystemRoot: 'C:\\Windows' } });
    assert.deepEqual(fake.calls, [
      'C:\\Windows\\System32\\reg.exe query HKLM\\SOFTWARE\\Microsoft\\Cryptography /reg:64 /v MachineGuid',
    ]);
    assert.equal(facts.machineId, sha256('6f0e2a4c-1b3d-4e5f-8a9b-0c1d2e3f4a5b'));
    assert.match(facts.osVersion, /^Windows /);
  });
});

describe('platform parsers', () => {
  it('parseIoregPlatformUuid() finds the UUID and nothing in garbage', async () => {
    assert.equal(
      parseIoregPlatformUuid(await fixture('ioreg-IOPlatformExpertDevice.txt')),
      '4C2D1F5A-8B1E-5E3A-9C4D-2B7F6E1A0D93',
    );
    assert.equal(parseIoregPlatformUuid('"IOPlatformUUID" = "not-a-uuid"'), undefined);
    assert.equal(parseIoregPlatformUuid(''), undefined);
  });

  it('parseMachineGuid() reads reg output and rejects non-GUIDs', async () => {
    assert.equal(
      parseMachineGuid(await fixture('reg-query-Cryptography-MachineGuid.txt')),
      '6f0e2a4c-1b3d-4e5f-8a9b-0c1d2e3f4a5b',
    );
    assert.equal(
      parseMachineGuid('\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Cryptography\r\n    MachineGuid    REG_SZ    \r\n'),
      undefined,
    );
    assert.equal(parseMachineGuid('ERROR: garbage\r\n'), undefined);
  });

  it('parseOsRelease() reads quoted and unquoted PRETTY_NAME', () => {
    assert.equal(parseOsRelease('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n'), 'Debian GNU/Linux 12 (bookworm)');
    assert.equal(parseOsRelease('PRETTY_NAME=Fedora\n'), 'Fedora');
    assert.equal(parseOsRelease('NAME=x\n'), undefined);
  });

  it('hashMachineId() is stable across letter case and whitespace', () => {
    assert.equal(hashMachineId(' ABC \n'), hashMachineId('abc'));
    assert.match(hashMachineId('x'), /^[0-9a-f]{64}$/);
  });
});
