/**
 * Real servers obey the access decision: Debian's Dovecot (passwd-file users, auth policy pointing at Appwacht) and
 * nginx `auth_request` in front of Radicale, each run as a child on a loopback high port with its own temp config,
 * as `nobody` when the test runs as root. The Dovecot and nginx snippets are read from server/README.md, so the
 * documented configuration is the tested one. A server whose binary is missing skips with that reason.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bearer, createTestApp, finding, tempDir, validReport, type TestApp } from '../helpers.js';

const DAY = 86_400_000;
const DEADLINE = Date.parse('2026-03-01T00:00:00Z');
const README = new URL('../../../server/README.md', import.meta.url).pathname;
const DOVECOT = '/usr/sbin/dovecot';
const NGINX = '/usr/sbin/nginx';
const RADICALE = '/usr/bin/radicale';
const USERS = { 'ben@stadt.example': 'secret-ben', 'anna@stadt.example': 'secret-anna' };

/** The block after `<!-- appwacht-snippet: name -->` in server/README.md. */
function snippet(name: string): string {
  const text = readFileSync(README, 'utf8');
  const m = new RegExp(`<!-- appwacht-snippet: ${name} -->\\n+\`\`\`\\n([\\s\\S]*?)\`\`\``).exec(text);
  assert.ok(m, `server/README.md has no ${name} snippet`);
  return m[1]!;
}

/** Root runs the servers as nobody: they need no privileges on high ports. */
const AS_ROOT = process.getuid?.() === 0;
const NOBODY = 65534;
function own(path: string) {
  if (AS_ROOT) chownSync(path, NOBODY, NOBODY);
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; i < 150; i++) {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}): ${log()}`);
    const ok = await new Promise<boolean>((r) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        r(true);
      });
      s.on('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`port ${port} never opened: ${log()}`);
}

function start(cmd: string, args: string[], dir: string): { child: ChildProcess; log: () => string } {
  let out = '';
  const child = spawn(cmd, args, {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(AS_ROOT ? { uid: NOBODY, gid: NOBODY } : {}),
  });
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  return { child, log: () => out.slice(-2000) };
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 5000);
  await gone;
  clearTimeout(t);
}

/** A minimal IMAP client over a plain socket: the greeting, then LOGIN; returns the tagged answer line. */
async function imapLogin(port: number, user: string, password: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let buf = '';
    let greeted = false;
    const quote = (v: string) => `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`;
    s.setTimeout(20_000, () => {
      s.destroy();
      reject(new Error(`IMAP timed out; got: ${buf}`));
    });
    s.on('error', reject);
    s.on('data', (c: Buffer) => {
      buf += c.toString('utf8');
      if (!greeted && /^\* OK.*\r\n/.test(buf)) {
        greeted = true;
        buf = '';
        s.write(`a1 LOGIN ${quote(user)} ${quote(password)}\r\n`);
        return;
      }
      const line = buf.split('\r\n').find((l) => l.startsWith('a1 '));
      if (line) {
        s.end('a2 LOGOUT\r\n');
        resolve(line);
      }
    });
  });
}

async function davPropfind(port: number, user: string, password: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/${encodeURIComponent(user)}/`, {
    method: 'PROPFIND',
    headers: {
      authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
      depth: '0',
      'content-type': 'application/xml',
    },
    body: '<?xml version="1.0"?><propfind xmlns="DAV:"><prop><displayname/></prop></propfind>',
  });
  await res.body?.cancel();
  return res.status;
}

describe('real mail and groupware servers obey the decision', () => {
  let t: TestApp;
  let base: string;
  let tokens: Record<string, string>;
  let benToken = '';
  const clock = { now: DEADLINE + 40 * DAY };
  const tmp = tempDir('appwacht-real-servers-');

  before(async () => {
    chmodSync(tmp.dir, 0o755);
    t = await createTestApp('sqlite', { APPWACHT_EMPLOYEE_MAIL_TEMPLATE: '{user}@stadt.example' }, () => clock.now);
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    tokens = JSON.parse(readFileSync(join(t.dataDir, 'decision-tokens.json'), 'utf8')) as Record<string, string>;
    // ben's laptop still has WhatsApp 40 days after the deadline: blocked. anna's is clean.
    benToken = (await t.enroll({ osUser: 'KOMMUNE\\ben' })).deviceToken;
    await report(benToken, true);
    await report((await t.enroll({ osUser: 'anna' })).deviceToken, false);
  });
  const report = async (token: string, banned: boolean) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/reports',
      headers: bearer(token),
      payload: validReport({ scannedAt: new Date(clock.now).toISOString(), findings: banned ? [finding('whatsapp')] : [] }),
    });
    assert.ok(res.statusCode < 300, res.body);
  };
  after(async () => {
    await t.close();
    tmp.remove();
  });

  it('Dovecot refuses a blocked employee’s IMAP login with the policy message and lets an allowed one in', async (ctx) => {
    if (!existsSync(DOVECOT)) return ctx.skip(`${DOVECOT} is not installed (Debian package dovecot-imapd)`);
    const dir = join(tmp.dir, 'dovecot');
    for (const d of ['', 'run', 'state', 'home']) {
      mkdirSync(join(dir, d), { recursive: true });
      own(join(dir, d));
    }
    const port = await freePort();
    writeFileSync(
      join(dir, 'passwd'),
      Object.entries(USERS)
        .map(([u, p]) => `${u}:{PLAIN}${p}\n`)
        .join(''),
    );
    const user = AS_ROOT ? 'nobody' : (process.env.USER ?? 'nobody');
    const group = AS_ROOT ? 'nogroup' : user;
    const policy = snippet('dovecot')
      .replace('http://127.0.0.1:8080', base)
      .replace('<dovecot token>', tokens.dovecot!)
      .replace('<random>', 'test-nonce-0123456789');
    writeFileSync(
      join(dir, 'dovecot.conf'),
      [
        'protocols = imap',
        'listen = 127.0.0.1',
        `base_dir = ${dir}/run`,
        `state_dir = ${dir}/state`,
        `log_path = ${dir}/dovecot.log`,
        'ssl = no',
        'disable_plaintext_auth = no',
        'auth_mechanisms = plain login',
        'auth_verbose = yes',
        // Test only: no 2 s pause after each refused login.
        'auth_failure_delay = 0',
        `default_internal_user = ${user}`,
        `default_internal_group = ${group}`,
        `default_login_user = ${user}`,
        `passdb {\n  driver = passwd-file\n  args = scheme=PLAIN ${dir}/passwd\n}`,
        `userdb {\n  driver = static\n  args = uid=${user} gid=${group} home=${dir}/home/%u\n}`,
        'mail_location = maildir:~/Maildir',
        `service imap-login {\n  chroot =\n  inet_listener imap {\n    address = 127.0.0.1\n    port = ${port}\n  }\n  inet_listener imaps {\n    port = 0\n  }\n}`,
        'service anvil {\n  chroot =\n}',
        policy,
      ].join('\n'),
    );
    for (const f of ['passwd', 'dovecot.conf']) own(join(dir, f));
    const { child, log } = start(DOVECOT, ['-F', '-c', join(dir, 'dovecot.conf')], dir);
    const dovecotLog = () =>
      log() + (existsSync(join(dir, 'dovecot.log')) ? readFileSync(join(dir, 'dovecot.log'), 'utf8').slice(-2000) : '');
    try {
      await waitForPort(port, child, dovecotLog);
      const blocked = await imapLogin(port, 'ben@stadt.example', USERS['ben@stadt.example']);
      assert.match(blocked, /^a1 NO \[ALERT\] Zugang gesperrt.*Access blocked/, `${blocked}\n${dovecotLog()}`);
      const allowed = await imapLogin(port, 'anna@stadt.example', USERS['anna@stadt.example']);
      assert.match(allowed, /^a1 OK/, `${allowed}\n${dovecotLog()}`);
      // A wrong password is Dovecot's own refusal: the policy is asked only after the password was checked, so the
      // answer tells nobody without the password that ben is blocked.
      const wrong = await imapLogin(port, 'ben@stadt.example', 'guess');
      assert.match(wrong, /^a1 NO \[AUTHENTICATIONFAILED\]/, wrong);
      assert.doesNotMatch(wrong, /gesperrt|blocked/);

      // ben removes the app: his next login goes through; WhatsApp again: refused again.
      clock.now += DAY;
      await report(benToken, false);
      assert.match(await imapLogin(port, 'ben@stadt.example', USERS['ben@stadt.example']), /^a1 OK/);
      clock.now += DAY;
      await report(benToken, true);
      assert.match(await imapLogin(port, 'ben@stadt.example', USERS['ben@stadt.example']), /^a1 NO \[ALERT\]/);
    } finally {
      await stop(child);
    }
  });

  it('nginx auth_request in front of Radicale: a blocked employee’s PROPFIND gets 403, an allowed one 207', async (ctx) => {
    for (const bin of [NGINX, RADICALE])
      if (!existsSync(bin)) return ctx.skip(`${bin} is not installed (Debian packages nginx and radicale)`);
    const dir = join(tmp.dir, 'dav');
    for (const d of ['', 'collections', 'nginx', 'nginx/tmp']) {
      mkdirSync(join(dir, d), { recursive: true });
      own(join(dir, d));
    }
    const [davPort, webPort] = [await freePort(), await freePort()];
    writeFileSync(
      join(dir, 'users'),
      Object.entries(USERS)
        .map(([u, p]) => `${u}:${p}\n`)
        .join(''),
    );
    writeFileSync(
      join(dir, 'radicale.conf'),
      [
        '[server]',
        `hosts = 127.0.0.1:${davPort}`,
        '[auth]',
        'type = htpasswd',
        `htpasswd_filename = ${dir}/users`,
        'htpasswd_encryption = plain',
        '[storage]',
        `filesystem_folder = ${dir}/collections`,
        '[rights]',
        'type = owner_only',
        '[logging]',
        'level = warning',
        '',
      ].join('\n'),
    );
    const location = snippet('nginx')
      .replace('http://127.0.0.1:8080', base)
      .replace('127.0.0.1:5232', `127.0.0.1:${davPort}`)
      .replace('<nginx token>', tokens.nginx!);
    const tmpDirs = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
      .map((k) => `  ${k}_temp_path ${dir}/nginx/tmp/${k};`)
      .join('\n');
    writeFileSync(
      join(dir, 'nginx.conf'),
      [
        'daemon off;',
        'worker_processes 1;',
        `pid ${dir}/nginx/nginx.pid;`,
        `error_log ${dir}/nginx/error.log warn;`,
        'events { worker_connections 64; }',
        'http {',
        '  access_log off;',
        tmpDirs,
        '  server {',
        `    listen 127.0.0.1:${webPort};`,
        location.replace(/^/gm, '    '),
        '  }',
        '}',
        '',
      ].join('\n'),
    );
    for (const f of ['users', 'radicale.conf', 'nginx.conf']) own(join(dir, f));
    const dav = start(RADICALE, ['--config', join(dir, 'radicale.conf')], dir);
    const web = start(NGINX, ['-p', join(dir, 'nginx'), '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'nginx/error.log')], dir);
    try {
      await waitForPort(davPort, dav.child, dav.log);
      await waitForPort(webPort, web.child, web.log);
      assert.equal(
        await davPropfind(davPort, 'ben@stadt.example', USERS['ben@stadt.example']),
        207,
        'Radicale itself lets ben in',
      );
      assert.equal(await davPropfind(webPort, 'ben@stadt.example', USERS['ben@stadt.example']), 403);
      assert.equal(await davPropfind(webPort, 'anna@stadt.example', USERS['anna@stadt.example']), 207);
      // Without credentials the decision has nobody to judge: Radicale asks for them itself.
      const anonymous = await fetch(`http://127.0.0.1:${webPort}/`, { method: 'PROPFIND', headers: { depth: '0' } });
      await anonymous.body?.cancel();
      assert.equal(anonymous.status, 401);
      clock.now += DAY;
      await report(benToken, false);
      assert.equal(await davPropfind(webPort, 'ben@stadt.example', USERS['ben@stadt.example']), 207, 'clean again: allowed');
    } finally {
      await stop(web.child);
      await stop(dav.child);
    }
  });
});
