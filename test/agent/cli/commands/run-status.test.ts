import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateSigningKeys, publicKeyToBase64, signPayload, type Policy } from '../../../../protocol/index.js';
import { recordChecked } from '../../../../agent/policy/checked-marker.js';
import { loadDefaultPolicy } from '../../../../agent/policy/default-policy.js';
import { emptyState, type RuntimeState } from '../../../../agent/runtime/state.js';
import { REPO, runCli } from '../../../helpers/cli.js';
import { STATE_FILES } from '../../../../agent/state/names.js';

const LAPTOP = join(REPO, 'test', 'fixtures', 'linux', 'laptop');
let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'appwacht-cli-run-'));
});
after(() => rm(dir, { recursive: true, force: true }));

/** An environment without this machine's settings: own HOME, own state folder. */
function env(stateDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, HOME: join(dir, 'home'), XDG_CONFIG_HOME: join(dir, 'home', '.config') };
  for (const k of Object.keys(e)) if (k.startsWith('APPWACHT_')) delete e[k];
  return { ...e, APPWACHT_STATE_DIR: stateDir, ...extra };
}

function sampleState(over: Partial<RuntimeState> = {}): RuntimeState {
  const s = emptyState(new Date('2026-11-20T08:00:00Z'), 2147480000, '0.1.0');
  return {
    ...s,
    agent: { ...s.agent, stoppedAt: '2026-11-20T17:00:00.000Z' },
    mode: 'server',
    server: 'https://appwacht.stadt.example',
    enrollment: { enrolled: true, deviceId: '6b1f7d0e-5a1c-4f0e-9d55-0c5f0f3e7a11' },
    policy: {
      origin: 'cache',
      version: 7,
      reportVersion: 7,
      organization: 'Stadtverwaltung Musterstadt',
      expired: false,
      reason: 'server unavailable: connect ECONNREFUSED',
      rejected: { at: '2026-11-20T09:00:00.000Z', code: 'POLICY_BAD_SIGNATURE', message: 'the signature does not match' },
    },
    lastScan: {
      at: '2026-11-20T16:59:00.000Z',
      durationMs: 120,
      trigger: 'interval',
      state: { status: 'violation', deadline: '2026-09-15T00:00:00+02:00', pastDeadline: true, daysPastDeadline: 66 },
      findings: [{ appId: 'whatsapp', name: 'WhatsApp', action: 'ban', evidence: ['installed', 'running'] }],
      failedSources: [{ id: 'rpm', error: 'RPM_UNREADABLE: rpmdb locked' }],
    },
    lastReport: { reportId: '0e3f6a52-2b3b-4c0c-9a8e-55b1a3f1d2c4', kind: 'change', at: '2026-11-20T16:59:00.000Z' },
    lastDelivery: { reportId: '0e3f6a52-2b3b-4c0c-9a8e-55b1a3f1d2c4', at: '2026-11-20T10:00:00.000Z', stored: true },
    lastDeliveryError: { at: '2026-11-20T16:59:05.000Z', code: 'UNAVAILABLE', message: 'POST /api/v1/reports: ECONNREFUSED' },
    lastError: { at: '2026-11-20T16:59:05.000Z', code: 'DISK_FULL', message: 'disk full while writing …/agent-state.json' },
    ...over,
  };
}

async function stateDirWith(name: string, state: RuntimeState | string, queued = 0): Promise<string> {
  const d = join(dir, name);
  await mkdir(join(d, 'outbox'), { recursive: true });
  await writeFile(join(d, STATE_FILES.runtimeState), typeof state === 'string' ? state : JSON.stringify(state));
  for (let i = 1; i <= queued; i++)
    await writeFile(
      join(d, 'outbox', `${String(i).padStart(12, '0')}-change-0e3f6a52-2b3b-4c0c-9a8e-55b1a3f1d2c${i}.json`),
      '{}',
    );
  return d;
}

describe('appwacht status', () => {
  it('shows the last known state in German: not running, policy rejected, findings, queue, last error', async () => {
    const d = await stateDirWith('de', sampleState(), 2);
    const { code, stdout } = await runCli(['status', '--lang', 'de'], env(d));
    assert.equal(code, 1, 'a banned app was found last');
    assert.match(stdout, /Dienst:\s+läuft nicht \(beendet /);
    assert.match(stdout, /Server https:\/\/appwacht\.stadt\.example – angemeldet \(Gerät 6b1f7d0e-/);
    assert.match(stdout, /Stadtverwaltung Musterstadt, Version 7 \(vom Server, zwischengespeichert\)/);
    assert.match(stdout, /Vom Server abgelehnt .*POLICY_BAD_SIGNATURE.*\(es gilt weiter Version 7\)/);
    assert.match(stdout, /VERSTOSS – 1 App/);
    assert.match(stdout, /✗ WhatsApp \(installiert, läuft\)/);
    assert.match(stdout, /Frist: 15\. September 2026 – seit 66 Tagen abgelaufen/);
    assert.match(stdout, /Nicht lesbare Quellen: rpm/);
    assert.match(stdout, /2 warten auf Zustellung/);
    assert.match(stdout, /Zustellung fehlgeschlagen .*ECONNREFUSED/);
    assert.match(stdout, /Letzter Fehler:\s+.* DISK_FULL: disk full/);
  });

  it('the same in English, and as JSON', async () => {
    const d = await stateDirWith('en', sampleState(), 1);
    const text = await runCli(['status', '--lang', 'en'], env(d));
    assert.match(text.stdout, /Agent:\s+not running \(stopped /);
    assert.match(text.stdout, /version 7 \(from the server, cached\)/);
    assert.match(text.stdout, /VIOLATION – 1 app \(checked /);
    assert.match(text.stdout, /1 waiting for delivery/);
    const json = await runCli(['status', '--json'], env(d));
    assert.equal(json.code, 1);
    const s = JSON.parse(json.stdout) as Record<string, unknown>;
    assert.equal(s.running, false);
    assert.equal(s.enrolled, true);
    assert.equal(s.localMode, false);
    assert.deepEqual(s.outbox, { queued: 1, pending: 0, readable: true });
    assert.equal((s.policy as { rejected: { code: string } }).rejected.code, 'POLICY_BAD_SIGNATURE');
    assert.equal((s.compliance as { status: string }).status, 'violation');
  });

  it("shows the update client's last event (machine service) in German and English, and as JSON", async () => {
    const d = await stateDirWith('update', sampleState());
    const record = {
      format: 'appwacht-update',
      version: 1,
      lastCheck: { at: Date.parse('2026-11-20T16:00:00Z'), ok: false },
      downloaded: null,
      installing: null,
      installedVersion: null,
      attempts: null,
      last: {
        what: 'failed',
        at: Date.parse('2026-11-20T16:00:00Z'),
        version: '0.3.0',
        stage: 'download',
        code: 'SHA512_MISMATCH',
        reason: 'appwacht_0.3.0_amd64.deb: sha512 … is not the index’s …',
      },
    };
    await writeFile(join(d, STATE_FILES.update), JSON.stringify(record));
    const de = await runCli(['status', '--lang', 'de'], env(d));
    assert.match(de.stdout, /Aktualisierung:\s+Update auf 0\.3\.0 fehlgeschlagen beim Herunterladen \(.*\) – SHA512_MISMATCH/);
    const en = await runCli(['status', '--lang', 'en'], env(d));
    assert.match(en.stdout, /Update:\s+update to 0\.3\.0 failed downloading \(.*\) – SHA512_MISMATCH/);
    const json = JSON.parse((await runCli(['status', '--json'], env(d))).stdout) as { update: { last: { code: string } } };
    assert.equal(json.update.last.code, 'SHA512_MISMATCH');
    // A damaged record is no record: status says nothing about updates rather than something wrong.
    await writeFile(join(d, STATE_FILES.update), '{"format":"appwacht-update","version":1,"last":7}');
    assert.doesNotMatch((await runCli(['status', '--lang', 'en'], env(d))).stdout, /Update:/);
  });

  it('explains a multi-service container next to its finding, in German and English', async () => {
    const s = sampleState({
      lastScan: {
        ...sampleState().lastScan!,
        state: { status: 'warning', deadline: '2026-09-15T00:00:00+02:00', pastDeadline: true, daysPastDeadline: 66 },
        findings: [{ appId: 'ferdium', name: 'Ferdium', action: 'warn', evidence: ['installed'] }],
      },
    });
    const d = await stateDirWith('container', s);
    const de = await runCli(['status', '--lang', 'de'], env(d));
    assert.match(
      de.stdout,
      /✗ Ferdium \(installiert\) \[warn\]\n\s+Ferdium ist eine Sammel-App: Sie öffnet Dienste wie WhatsApp, /,
    );
    assert.match(de.stdout, /Die IT entscheidet, ob sie davor warnt oder sie verbietet\./);
    const en = await runCli(['status', '--lang', 'en'], env(d));
    assert.match(en.stdout, /Ferdium is a multi-service container: .* so a banned messenger can run there without being found/);
    // An ordinary messenger gets no such line.
    const plain = await runCli(['status', '--lang', 'en'], env(await stateDirWith('plain', sampleState())));
    assert.doesNotMatch(plain.stdout, /multi-service container/);
  });

  it('says local mode, and that a crashed agent is not running', async () => {
    const s = sampleState({
      mode: 'local',
      server: null,
      enrollment: { enrolled: false },
      policy: {
        origin: 'bundled',
        version: 1,
        reportVersion: null,
        organization: 'Stadtverwaltung',
        expired: false,
        reason: 'no server configured',
      },
      lastError: null,
    });
    s.agent.stoppedAt = null;
    const d = await stateDirWith('local', s);
    const { stdout } = await runCli(['status', '--lang', 'en'], env(d));
    assert.match(stdout, /Mode:\s+local – no server configured/);
    assert.match(stdout, /bundled – local mode/);
    assert.match(stdout, /not running \(process 2147480000 ended unexpectedly\)/);
    assert.match(stdout, /Last error:\s+none/);
    assert.doesNotMatch(stdout, /Reports:/);
  });

  it('exits 2 and says why when there is no state or it cannot be read, without touching the file', async () => {
    const empty = join(dir, 'never-ran');
    const none = await runCli(['status', '--lang', 'en', '--state-dir', empty], env(join(dir, 'elsewhere')));
    assert.equal(none.code, 2);
    assert.match(none.stdout, /No state in .*never-ran yet/);
    const d = await stateDirWith('garbage', '{"format": "appwacht-agent-st');
    const bad = await runCli(['status', '--lang', 'de'], env(d));
    assert.equal(bad.code, 2);
    assert.match(bad.stdout, /Die Zustandsdatei ist nicht lesbar/);
    assert.equal(await readFile(join(d, STATE_FILES.runtimeState), 'utf8'), '{"format": "appwacht-agent-st');
  });
});

describe('appwacht run (command line)', () => {
  for (const [args, message] of [
    [['--scan-interval', '0'], /--scan-interval must be a number of seconds/],
    [['--retry-max', 'soon'], /--retry-max must be a number of seconds/],
    [['--os', 'linux'], /--os only applies together with --root/],
    [['--root', LAPTOP, '--os', 'windows'], /--root works for macos and linux/],
    [['--processes', 'some'], /--processes must be "live" or "off"/],
    [['--root', LAPTOP, '--os', 'macos', '--processes', 'live'], /cannot be combined with --os macos/],
    [['--bogus'], /Unknown option '--bogus'/],
  ] as const) {
    it(`refuses ${args.join(' ')} with exit code 2`, async () => {
      const { code, stderr } = await runCli(['run', ...args], env(join(dir, 'refused')));
      assert.equal(code, 2);
      assert.match(stderr, message);
      assert.ok(!existsSync(join(dir, 'refused')), 'nothing started');
    });
  }

  it('a second instance for the same user says so and exits 2; SIGTERM stops the first with 0', async () => {
    const d = join(dir, 'twice');
    const e = env(d);
    const first = spawn(
      process.execPath,
      [join(REPO, 'bin', 'appwacht.js'), 'run', '--root', LAPTOP, '--os', 'linux', '--no-notifications'],
      {
        env: e,
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let log = '';
    first.stderr.on('data', (c: Buffer) => (log += c.toString()));
    const exited = new Promise<number | null>((r) => first.on('exit', (code) => r(code)));
    try {
      for (let i = 0; i < 200 && !log.includes('"state changed"'); i++) await new Promise((r) => setTimeout(r, 50));
      assert.match(log, /"state changed"/);
      const second = await runCli(['run', '--root', LAPTOP, '--os', 'linux', '--lang', 'en'], e);
      assert.equal(second.code, 2);
      assert.match(
        second.stderr,
        new RegExp(`Appwacht is already running for this user \\(process ${first.pid},.*\\[ALREADY_RUNNING\\]`),
      );
      first.kill('SIGTERM');
      assert.equal(await exited, 0);
      assert.ok(!existsSync(join(d, 'appwacht.lock')));
    } finally {
      first.kill('SIGKILL');
    }
  });
});

describe('appwacht scan takes the policy in force, offline', () => {
  const keys = generateSigningKeys();
  const publicKey = publicKeyToBase64(createPublicKey(keys.privateKeyPem));
  const otherKey = publicKeyToBase64(createPublicKey(generateSigningKeys().privateKeyPem));

  async function withCache(name: string): Promise<string> {
    const d = join(dir, name);
    await mkdir(d, { recursive: true });
    const policy: Policy = {
      ...loadDefaultPolicy(),
      version: 12,
      organization: { name: 'Stadt Cache', support: { email: 'it@cache.example' } },
      rules: [{ id: 'ban-telegram', app: 'telegram', action: 'ban', deadline: '2026-01-01T00:00:00Z' }],
    };
    const signed = signPayload(JSON.stringify(policy), keys.privateKeyPem);
    await writeFile(
      join(d, 'policy.json'),
      JSON.stringify({ format: 'appwacht-policy-cache', version: 1, signed, receivedAt: '2026-11-20T08:00:00.000Z' }),
    );
    return d;
  }

  it('uses the server policy the agent kept, verified with the configured key, and says so', async () => {
    const d = await withCache('cache-ok');
    const e = env(d, { APPWACHT_SERVER_URL: 'https://127.0.0.1:9', APPWACHT_POLICY_PUBLIC_KEY: publicKey });
    const text = await runCli(['scan', '--root', LAPTOP, '--os', 'linux', '--lang', 'en'], e);
    assert.match(text.stdout, /Policy: Stadt Cache, version 12 \(from the server, cached\)/);
    assert.match(text.stdout, /last received from the server .*, checked offline/);
    assert.match(text.stdout, /Telegram/, 'judged by the cached rules (Telegram), not the bundled ones');
    const json = JSON.parse((await runCli(['scan', '--root', LAPTOP, '--os', 'linux', '--json'], e)).stdout) as {
      policy: { origin: string; version: number };
    };
    assert.deepEqual([json.policy.origin, json.policy.version], ['cache', 12]);
  });

  it('falls back to the bundled policy when the cache does not verify, and leaves the file alone', async () => {
    const d = await withCache('cache-foreign');
    const before = await readFile(join(d, 'policy.json'), 'utf8');
    const e = env(d, { APPWACHT_SERVER_URL: 'https://127.0.0.1:9', APPWACHT_POLICY_PUBLIC_KEY: otherKey });
    const { stdout } = await runCli(['scan', '--root', LAPTOP, '--os', 'linux', '--lang', 'de'], e);
    assert.match(stdout, /Version 1 \(mitgeliefert\)/);
    assert.match(stdout, /lokaler Modus: die zwischengespeicherte Richtlinie ist nicht gültig/);
    assert.equal(await readFile(join(d, 'policy.json'), 'utf8'), before, 'the agent’s cache is not moved aside by a scan');
  });

  it('says and finds the same with the agent’s checked marker beside the cache, and still refuses another key', async () => {
    const d = await withCache('cache-marked');
    const e = env(d, { APPWACHT_SERVER_URL: 'https://127.0.0.1:9', APPWACHT_POLICY_PUBLIC_KEY: publicKey });
    const args = ['scan', '--root', LAPTOP, '--os', 'linux', '--json'];
    const essentials = (r: { code: number | null; stdout: string }) => {
      const json = JSON.parse(r.stdout) as { status: unknown; findings: unknown; policy: unknown };
      return { code: r.code, status: json.status, findings: json.findings, policy: json.policy };
    };
    const fullCheck = essentials(await runCli(args, e));
    await recordChecked(d, await readFile(join(d, 'policy.json'), 'utf8'));
    assert.deepEqual(essentials(await runCli(args, e)), fullCheck);
    assert.deepEqual((fullCheck.policy as { origin: string }).origin, 'cache');

    const foreign = env(d, { APPWACHT_SERVER_URL: 'https://127.0.0.1:9', APPWACHT_POLICY_PUBLIC_KEY: otherKey });
    const { stdout } = await runCli(['scan', '--root', LAPTOP, '--os', 'linux', '--lang', 'en'], foreign);
    assert.match(stdout, /local mode: the cached policy is not valid \(policy was signed with key/);
  });

  it('says local mode without a server, and "not received yet" before the first policy', async () => {
    const none = await runCli(['scan', '--root', LAPTOP, '--os', 'linux', '--lang', 'en'], env(join(dir, 'no-server')));
    assert.match(none.stdout, /version 1 \(bundled\)\n {2}local mode: no server configured/);
    const waiting = await runCli(
      ['scan', '--root', LAPTOP, '--os', 'linux', '--lang', 'en'],
      env(join(dir, 'no-cache'), { APPWACHT_SERVER_URL: 'https://127.0.0.1:9', APPWACHT_POLICY_PUBLIC_KEY: publicKey }),
    );
    assert.match(waiting.stdout, /local mode: no policy received from the server yet/);
  });
});
