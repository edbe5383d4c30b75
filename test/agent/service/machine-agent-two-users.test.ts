/**
 * Issue 14, must show: the machine agent installed as a service — a real `appwacht run --system` process as root with
 * its state in a root-only folder, enrolled with a STAND-IN server (test/helpers/stand-in-server.ts) — and two real
 * local accounts created for the test (useradd, removed afterwards), each with a banned app in their own home. Each
 * employee runs test/fixtures/machine-agent/employee.mjs as themselves (runuser) and tries what they can.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, spawnMachineAgent } from '../../helpers/cli.js';
import { startStandInServer, type StandInServer } from '../../helpers/stand-in-server.js';

const why =
  process.platform !== 'linux'
    ? 'two local accounts are created with useradd/runuser: Linux only'
    : process.geteuid?.() !== 0
      ? 'needs root to create two local accounts and run the machine agent as root'
      : !existsSync('/usr/sbin/useradd') || !existsSync('/usr/sbin/runuser')
        ? 'useradd/runuser are not installed'
        : !existsSync(join(REPO, 'dist', 'agent', 'channel', 'client.js'))
          ? 'dist/ is missing: run "npm run build" first (npm test does)'
          : undefined;

const tag = randomBytes(3).toString('hex');
const ANNA = `awanna${tag}`;
const BEN = `awben${tag}`;
const DIST = join(REPO, 'dist');
const execFileAsync = promisify(execFile);

interface Attempt {
  ok: boolean;
  value?: unknown;
  code?: string;
  message?: string;
}

describe('the machine agent as a service, two employees on Linux', { skip: why ?? false }, () => {
  let base: string;
  let shared: string;
  let stateDir: string;
  let channelDir: string;
  let server: StandInServer;
  let agent: ChildProcess;
  let log = (): string => '';

  // Asynchronous: the stand-in server lives in this process and must answer while the employee's script runs.
  const asUser = async (user: string, ...args: string[]): Promise<Record<string, Attempt> & { user?: string }> => {
    const { stdout } = await execFileAsync(
      'runuser',
      ['-u', user, '--', process.execPath, join(shared, 'employee.mjs'), DIST, ...args],
      { encoding: 'utf8', cwd: '/', timeout: 120_000 },
    );
    return JSON.parse(stdout.trim().split('\n').at(-1)!);
  };

  const plantDesktopEntry = async (user: string, file: string, name: string) => {
    const dir = join('/home', user, '.local', 'share', 'applications');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, file), `[Desktop Entry]\nType=Application\nName=${name}\nExec=/opt/${user}/app\n`);
    execFileSync('chown', ['-R', `${user}:${user}`, join('/home', user, '.local')]);
  };

  before(async () => {
    for (const user of [ANNA, BEN]) execFileSync('useradd', ['-m', '-s', '/bin/sh', user]);
    await plantDesktopEntry(ANNA, 'whatsapp-for-linux.desktop', 'WhatsApp for Linux');
    await plantDesktopEntry(BEN, 'wine-Programs-LINE.desktop', 'LINE');

    base = await mkdtemp(join(tmpdir(), 'appwacht-machine-')); // 0700 root: the root-only part
    stateDir = join(base, 'state');
    shared = await mkdtemp(join(tmpdir(), 'appwacht-machine-shared-'));
    await chmod(shared, 0o755); // the employees run the script from here and reach the channel
    channelDir = join(shared, 'channel');
    await copyFile(new URL('../../fixtures/machine-agent/employee.mjs', import.meta.url), join(shared, 'employee.mjs'));
    await chmod(join(shared, 'employee.mjs'), 0o644);

    server = await startStandInServer();
    ({ child: agent, log } = spawnMachineAgent(base, {
      APPWACHT_STATE_DIR: stateDir,
      APPWACHT_CHANNEL_DIR: channelDir,
      APPWACHT_SERVER_URL: server.url,
      APPWACHT_ENROLLMENT_SECRET: server.secret,
    }));

    // Up: enrolled, and a first check that saw both homes (generous bound: the machine is shared).
    const deadline = Date.now() + 120_000;
    for (;;) {
      const enrolled = existsSync(join(stateDir, 'device.json'));
      const view = existsSync(join(stateDir, 'tray-view.json')) ? await readFile(join(stateDir, 'tray-view.json'), 'utf8') : '';
      if (enrolled && view.includes('WhatsApp') && view.includes('LINE')) break;
      if (agent.exitCode !== null || Date.now() > deadline)
        throw new Error(`the machine agent did not come up (exit ${agent.exitCode}):\n${log().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  });

  after(async () => {
    if (agent && agent.exitCode === null) {
      agent.kill('SIGTERM');
      await new Promise((r) => agent.once('exit', r));
    }
    await server?.close();
    for (const user of [ANNA, BEN]) {
      try {
        execFileSync('userdel', ['-r', '-f', user], { stdio: 'ignore' });
      } catch {
        // already gone, or the mail spool did not exist: the account itself is removed either way
      }
    }
    if (base) await rm(base, { recursive: true, force: true });
    if (shared) await rm(shared, { recursive: true, force: true });
  });

  it('keeps the device token and state root-only (0600 files in a 0700 folder, owned by root)', async () => {
    const token = await stat(join(stateDir, 'device.json'));
    assert.equal(token.uid, 0);
    assert.equal(token.mode & 0o777, 0o600);
    const folder = await stat(stateDir);
    assert.equal(folder.uid, 0);
    assert.equal(folder.mode & 0o777, 0o700);
  });

  it('an employee cannot read the token, post as the device, stop the agent or alter its state; the channel gives read-state and check-now only', async () => {
    const r = await asUser(ANNA, 'attack', stateDir, String(agent.pid), server.url, channelDir);
    assert.equal(r.user, ANNA, 'the channel identified the account by its claim file');
    assert.equal(r.readToken!.code, 'EACCES', 'the device token cannot be read');
    assert.equal(r.listState!.code, 'EACCES');
    assert.equal(r.overwriteState!.code, 'EACCES', 'the state cannot be altered');
    assert.equal(r.removeLock!.code, 'EACCES');
    assert.equal(r.stopAgent!.code, 'EPERM', 'the agent cannot be stopped');
    assert.equal(r.postReportWithoutCredential!.value, 401, 'without the device token the server refuses a report');
    assert.equal(agent.exitCode, null, 'the agent still runs');

    const state = r.readState!.value as {
      type: string;
      user: string;
      lastCheck: { status: string; findings: { appId: string }[] };
    };
    assert.equal(state.type, 'state');
    assert.equal(state.user, ANNA);
    assert.deepEqual(
      state.lastCheck.findings.map((f) => f.appId),
      ['whatsapp'],
      'her own banned app, not her colleague’s',
    );
    assert.equal(state.lastCheck.status, 'violation');
    assert.deepEqual(r.checkNow!.value, { type: 'check-accepted', message: 'a check starts now' });
    assert.equal((r.checkNowAgain!.value as { code: string }).code, 'RATE_LIMITED');
    assert.equal((r.stop!.value as { code: string }).code, 'REFUSED');
    assert.equal((r.setConfig!.value as { code: string }).code, 'REFUSED');
    assert.equal((r.readStateAsRoot!.value as { user: string }).user, ANNA, 'asking as root in the message changes nothing');
    assert.equal((r.claimAgain!.value as { code: string }).code, 'REFUSED');
    assert.equal(r.afterThreeRefusals!.code, 'CHANNEL_CLOSED', 'three refusals end the connection');

    // The check she asked for ran as a turn of its own.
    const deadline = Date.now() + 60_000;
    while (!log().includes(`tray: check-now by ${ANNA}`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    assert.ok(log().includes(`tray: check-now by ${ANNA}`), 'a turn was started for the check-now');
  });

  it('a second employee sees only their own finding through the channel; root sees both', async () => {
    const ben = await asUser(BEN, 'state', channelDir);
    const state = ben.readState!.value as {
      user: string;
      lastCheck: { findings: { appId: string; installs: { user?: string }[] }[] };
    };
    assert.equal(state.user, BEN);
    assert.deepEqual(
      state.lastCheck.findings.map((f) => f.appId),
      ['line'],
    );
    assert.ok(!JSON.stringify(state).includes(ANNA), 'nothing of Anna’s reaches Ben');

    // The same through the CLI, as the employee types it on a device where IT set AgentMode=machine.
    const { stdout } = await execFileAsync(
      'runuser',
      [
        '-u',
        BEN,
        '--',
        'env',
        'APPWACHT_AGENT_MODE=machine',
        `APPWACHT_CHANNEL_DIR=${channelDir}`,
        'LANG=de_DE.UTF-8',
        process.execPath,
        join(REPO, 'bin', 'appwacht.js'),
        'status',
        '--lang',
        'de',
      ],
      { encoding: 'utf8', cwd: '/', timeout: 120_000 },
    ).catch((err: { stdout: string; code: number }) => ({ stdout: err.stdout, code: err.code }));
    assert.match(stdout, /Appwacht – Status \(Maschinendienst\)/);
    assert.match(stdout, new RegExp(`Benutzer: ${BEN}`));
    assert.match(stdout, /Ergebnis: VERSTOSS/);
    assert.match(stdout, /LINE – installiert/);
    assert.doesNotMatch(stdout, /WhatsApp/);

    const { connectTray } = await import('../../../agent/channel/client.js');
    const root = await connectTray(channelDir);
    try {
      const all = (await root.request({ type: 'read-state' })) as { lastCheck: { findings: { appId: string }[] } };
      assert.deepEqual(all.lastCheck.findings.map((f) => f.appId).sort(), ['line', 'whatsapp']);
    } finally {
      root.close();
    }
  });

  it('refuses a claim made with a file the employee did not create (a hard link of a colleague’s file) or with none', async () => {
    const foreign = join(shared, 'bens-file');
    await writeFile(foreign, 'x');
    execFileSync('chown', [`${BEN}:${BEN}`, foreign]);
    const r = (await asUser(ANNA, 'foreign-claim', channelDir, foreign)) as unknown as Record<
      string,
      { type: string; code?: string } | string
    >;
    // Either the kernel refuses the link (fs.protected_hardlinks) or the agent refuses the claim for its link count.
    assert.ok(['EPERM', 'linked'].includes(r.hardlinkLink as string), String(r.hardlinkLink));
    assert.equal((r.hardlink as { code?: string }).code, 'CLAIM_FAILED');
    assert.equal((r.none as { code?: string }).code, 'CLAIM_FAILED');
  });
});
