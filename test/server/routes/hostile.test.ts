import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { z } from 'zod';
import { EnrollRequest } from '../../../protocol/enrollment.js';
import { Report } from '../../../protocol/report.js';
import { PolicyDraft } from '../../../server/services/policy-store.js';
import {
  ADMIN_PASSWORD,
  bearer,
  createTestApp,
  DIALECTS,
  finding,
  postgresUnavailable,
  validHost,
  validReport,
  type TestApp,
} from '../helpers.js';
import { generateCorpus, HOSTILE_VALUES, type HostileCase, type Template } from './hostile-corpus.js';
import policyFixture from '../../fixtures/server/default-policy.json' with { type: 'json' };

/** Row counts of every table plus a checksum of the devices' current state: any write shows up here. */
async function snapshot(t: TestApp): Promise<string> {
  const db = t.db.handle.db;
  const tables = ['devices', 'device_apps', 'reports', 'policies', 'admins', 'sessions', 'api_tokens', 'audit_log'];
  // One round trip: scalar subqueries for every count plus a checksum of the devices' state.
  const r = await sql<Record<string, unknown>>`select ${sql.join(
    tables.map((t) => sql`(select count(*) from ${sql.table(t)}) as ${sql.ref(t)}`),
  )}, (select coalesce(sum(last_seen_at), 0) || '/' || coalesce(sum(coalesce(last_scanned_at, 0)), 0) || '/' ||
      coalesce(sum(length(status) + length(findings_key) + length(token_hash)), 0) from devices) as state`.execute(db);
  const row = r.rows[0]!;
  return tables.map((t) => `${t}=${Number(row[t])}`).join(' ') + ` ${String(row.state)}`;
}

/**
 * A failed login is the one 4xx that writes on purpose: one audit row (admin.login_failed), nothing else.
 * Everything else that is refused must leave the database exactly as it was.
 */
function sameExceptAudit(before: string, after: string, c: HostileCase): boolean {
  if (before === after) return true;
  if (!c.label.startsWith('login:')) return false;
  const audit = (s: string) => Number(/audit_log=(\d+)/.exec(s)?.[1]);
  const strip = (s: string) => s.replace(/audit_log=\d+/, '');
  return strip(before) === strip(after) && audit(after) === audit(before) + 1;
}

const LoginBody = z.strictObject({ username: z.literal('admin'), password: z.literal(ADMIN_PASSWORD) });
const TokenBody = z.strictObject({ name: z.string().regex(/^[\p{L}\p{N} ._-]{1,64}$/u) });

/** Percent-encodes; a lone surrogate becomes its (invalid) UTF-8 bytes, itself a hostile case for the URL decoder. */
function enc(v: string): string {
  try {
    return encodeURIComponent(v);
  } catch {
    return '%ED%A0%80';
  }
}

function getCases(adminToken: string, deviceId: string): HostileCase[] {
  const cases: HostileCase[] = [];
  const h = bearer(adminToken);
  const params = [
    'status',
    'os',
    'lastSeenBefore',
    'lastSeenAfter',
    'app',
    'hostname',
    'sort',
    'order',
    'limit',
    'cursor',
    'unknownParam',
  ];
  for (const p of params) {
    for (const [label, v] of HOSTILE_VALUES) {
      const value = typeof v === 'string' ? v.slice(0, 3000) : JSON.stringify(v);
      cases.push({
        label: `GET devices ?${p}=${label}`,
        request: { method: 'GET', url: `/api/v1/admin/devices?${p}=${enc(value)}`, headers: h },
        mayPass: true,
      });
    }
  }
  for (const [label, v] of HOSTILE_VALUES) {
    const seg = enc(typeof v === 'string' ? v.slice(0, 500) : JSON.stringify(v)) || '%20';
    cases.push({
      label: `GET device/${label}`,
      request: { method: 'GET', url: `/api/v1/admin/devices/${seg}`, headers: h },
      mayPass: false,
    });
    cases.push({
      label: `GET policy/${label}`,
      request: { method: 'GET', url: `/api/v1/admin/policies/${seg}`, headers: h },
      mayPass: true,
    });
    cases.push({
      label: `DELETE token/${label}`,
      request: { method: 'DELETE', url: `/api/v1/admin/tokens/${seg}`, headers: h },
      mayPass: false,
    });
    cases.push({
      label: `GET device reportsCursor=${label}`,
      request: { method: 'GET', url: `/api/v1/admin/devices/${deviceId}?reportsCursor=${seg}`, headers: h },
      mayPass: false,
    });
    cases.push({
      label: `GET audit ?before=${label}`,
      request: { method: 'GET', url: `/api/v1/admin/audit?before=${seg}`, headers: h },
      mayPass: true,
    });
  }
  for (const url of [
    '/api/v1/admin/devices/..%2F..%2F..%2Fetc%2Fpasswd',
    '/api/v1/admin/devices/../../etc/passwd',
    '/api/v1/../../etc/passwd',
    '/api/v1/admin/devices/%00',
    '/api/v1/admin/devices/' + 'a'.repeat(5000),
    '/api/v1/admin/devices?limit=100000000000000000000',
    '/api/v1/admin/devices?limit=-5',
    '/api/v1/admin/devices?status=violation&status=compliant&status=a&status=b&status=c&status=d&status=e&status=f&status=g&status=h&status=i&status=j',
    '/api/v1/admin/devices?' + 'x=1&'.repeat(2000),
    '/api/v1/policy?x=1',
    '/api/v1/reports',
  ]) {
    cases.push({ label: `GET ${url.slice(0, 60)}`, request: { method: 'GET', url, headers: h }, mayPass: true });
  }
  return cases;
}

for (const dialect of DIALECTS) {
  describe(`hostile request corpus on ${dialect}`, () => {
    it('answers every hostile request with a 4xx (or the 2xx valid input deserves), never a 5xx, and writes only for valid input', async (ctx) => {
      if (dialect === 'postgres') {
        const why = await postgresUnavailable();
        if (why) return ctx.skip(why);
      }
      const t = await createTestApp(dialect, {
        APPWACHT_ENROLL_RATE_LIMIT: '100000',
        APPWACHT_LOGIN_RATE_LIMIT: '100000',
        APPWACHT_REPORT_RATE_LIMIT: '1000000',
      });
      try {
        const adminToken = await t.adminToken();
        const dev = await t.enroll({ hostname: 'PC-REPORTER' });
        const secret = t.secrets.enrollmentSecret;
        const now = Date.now();
        const templates: Template[] = [
          {
            name: 'enroll',
            method: 'POST',
            url: '/api/v1/enroll',
            headers: {},
            body: { enrollmentSecret: secret, host: validHost({ hostname: 'PC-ENROLL' }) },
            accepts: (b) => EnrollRequest.safeParse(b).success && (b as { enrollmentSecret: string }).enrollmentSecret === secret,
          },
          {
            name: 'report',
            method: 'POST',
            url: '/api/v1/reports',
            headers: bearer(dev.deviceToken),
            body: validReport({
              findings: [
                finding('whatsapp', { evidence: ['installed', 'running'], processes: [{ pid: 4242, name: 'WhatsApp.exe' }] }),
              ],
            }),
            accepts: (b) => {
              const r = Report.safeParse(b);
              return r.success && Date.parse(r.data.scannedAt) <= now + 86_400_000;
            },
          },
          {
            name: 'login',
            method: 'POST',
            url: '/api/v1/admin/login',
            headers: {},
            body: { username: 'admin', password: ADMIN_PASSWORD },
            accepts: (b) => LoginBody.safeParse(b).success,
          },
          {
            name: 'token',
            method: 'POST',
            url: '/api/v1/admin/tokens',
            headers: bearer(adminToken),
            body: { name: 'robot' },
            accepts: (b) => TokenBody.safeParse(b).success,
          },
          {
            name: 'policy',
            method: 'POST',
            url: '/api/v1/admin/policies',
            headers: bearer(adminToken),
            body: (({ version: _v, issuedAt: _i, ...rest }) => rest)(policyFixture),
            accepts: (b) => {
              const r = PolicyDraft.safeParse(b);
              return r.success && (r.data.expiresAt === undefined || Date.parse(r.data.expiresAt) > now);
            },
          },
        ];
        const corpus = [...generateCorpus(templates), ...getCases(adminToken, dev.deviceId)];
        assert.ok(corpus.length >= 1000, `corpus has ${corpus.length} requests`);

        const failures: string[] = [];
        const statuses = new Map<number, number>();
        let passed = 0;
        for (const c of corpus) {
          const before = await snapshot(t);
          const res = await t.app.inject(c.request);
          const after = await snapshot(t);
          statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
          const is2xx = res.statusCode >= 200 && res.statusCode < 300;
          if (res.statusCode >= 500) failures.push(`${c.label}: ${res.statusCode} ${res.body.slice(0, 200)}`);
          else if (!is2xx && (res.statusCode < 400 || res.statusCode >= 500))
            failures.push(`${c.label}: unexpected ${res.statusCode}`);
          else if (is2xx && !c.mayPass) failures.push(`${c.label}: accepted invalid input (${res.statusCode})`);
          else if (!is2xx && !sameExceptAudit(before, after, c))
            failures.push(`${c.label}: ${res.statusCode} but the database changed\n  ${before}\n  ${after}`);
          if (!is2xx) {
            const body = res.json() as Record<string, unknown>;
            if (body.statusCode !== res.statusCode || typeof body.code !== 'string' || typeof body.message !== 'string') {
              failures.push(`${c.label}: error body is not {statusCode, code, message}: ${res.body.slice(0, 200)}`);
            }
          } else passed++;
        }
        ctx.diagnostic(
          `${corpus.length} hostile requests; ${passed} accepted as valid; statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
        );
        assert.deepEqual(failures, []);
        assert.ok((statuses.get(400) ?? 0) > 500, 'most requests are rejected as bad input');
        assert.ok((statuses.get(401) ?? 0) > 10 && (statuses.get(413) ?? 0) >= 5 && (statuses.get(415) ?? 0) >= 20);
      } finally {
        await t.close();
      }
    });
  });
}
