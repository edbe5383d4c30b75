/**
 * The admin API of the escalation lane: employees with their devices and decision, the mapping CSV import, unmapped
 * OS users, exemptions, mail templates, and retired devices no longer counting. Real app, real SQLite/PostgreSQL.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderMail } from '../../../server/mail/render.js';
import { SAMPLE_FACTS } from '../../../server/mail/templates.js';
import { bearer, createTestApp, DIALECTS, finding, postgresUnavailable, validReport, type TestApp } from '../helpers.js';

const DAY = 86_400_000;
const DEADLINE = Date.parse('2026-03-01T00:00:00Z'); // fixture policy: block 28 days after
const TEMPLATE = { APPWACHT_EMPLOYEE_MAIL_TEMPLATE: '{user}@stadt.example' };

async function withApp(
  ctx: { skip(m: string): void },
  dialect: (typeof DIALECTS)[number],
  env: Record<string, string>,
  fn: (t: TestApp, clock: { now: number }, admin: Record<string, string>) => Promise<void>,
) {
  if (dialect === 'postgres') {
    const why = await postgresUnavailable();
    if (why) return ctx.skip(why);
  }
  const clock = { now: DEADLINE + 40 * DAY };
  const t = await createTestApp(dialect, env, () => clock.now);
  try {
    await fn(t, clock, bearer(await t.adminToken()));
  } finally {
    await t.close();
  }
}

async function report(t: TestApp, token: string, at: number, banned: boolean) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/reports',
    headers: bearer(token),
    payload: validReport({ scannedAt: new Date(at).toISOString(), findings: banned ? [finding('whatsapp')] : [] }),
  });
  assert.ok(res.statusCode === 200 || res.statusCode === 201, res.body);
  return res.json() as { ladder?: { step: string } };
}

const decisionOf = async (t: TestApp, email: string) => {
  const res = await t.app.inject({
    method: 'GET',
    url: `/api/v1/admin/employees/${encodeURIComponent(email)}`,
    headers: bearer(await t.adminToken()),
  });
  assert.equal(res.statusCode, 200, res.body);
  return (res.json() as { decision: { decision: string } }).decision.decision;
};

const auditActions = async (t: TestApp) =>
  (await t.db.handle.db.selectFrom('audit_log').select('action').orderBy('id').execute()).map((r) => r.action);

for (const dialect of DIALECTS) {
  describe(`admin escalation API on ${dialect}`, () => {
    it('lists employees with their worst step and decision, and shows one with devices, ladder, exemptions and mails', (ctx) =>
      withApp(ctx, dialect, TEMPLATE, async (t, clock, admin) => {
        const ben1 = await t.enroll({ osUser: 'KOMMUNE\\Ben', hostname: 'PC-BEN-1' });
        const ben2 = await t.enroll({ osUser: 'ben@corp', hostname: 'PC-BEN-2' });
        const anna = await t.enroll({ osUser: 'anna' });
        assert.equal((await report(t, ben1.deviceToken, clock.now, true)).ladder?.step, 'blocked');
        await report(t, ben2.deviceToken, clock.now, false);
        await report(t, anna.deviceToken, clock.now, false);

        const list = await t.app.inject({ url: '/api/v1/admin/employees', headers: admin });
        assert.equal(list.statusCode, 200, list.body);
        assert.deepEqual(list.json().items, [
          { email: 'anna@stadt.example', devices: 1, worstStep: 'compliant', decision: 'allow', blockedSince: null },
          {
            email: 'ben@stadt.example',
            devices: 2,
            worstStep: 'blocked',
            decision: 'deny',
            blockedSince: new Date(clock.now).toISOString(),
          },
        ]);
        const blocked = await t.app.inject({ url: '/api/v1/admin/employees?blocked=true', headers: admin });
        assert.deepEqual(
          blocked.json().items.map((e: { email: string }) => e.email),
          ['ben@stadt.example'],
        );
        const paged = await t.app.inject({ url: '/api/v1/admin/employees?limit=1', headers: admin });
        assert.equal(paged.json().nextAfter, 'anna@stadt.example');
        const next = await t.app.inject({ url: '/api/v1/admin/employees?limit=1&after=anna@stadt.example', headers: admin });
        assert.equal(next.json().items[0].email, 'ben@stadt.example');
        const prefix = await t.app.inject({ url: '/api/v1/admin/employees?prefix=b%25', headers: admin });
        assert.deepEqual(prefix.json().items, [], 'a % in the prefix is a character, not a wildcard');

        const one = await t.app.inject({ url: '/api/v1/admin/employees/Ben@Stadt.example', headers: admin });
        assert.equal(one.statusCode, 200, one.body);
        const body = one.json();
        assert.equal(body.decision.decision, 'deny');
        assert.deepEqual(
          body.devices.map((d: { hostname: string; ladder: { step: string } }) => [d.hostname, d.ladder.step]),
          [
            ['PC-BEN-1', 'blocked'],
            ['PC-BEN-2', 'compliant'],
          ],
        );
        assert.deepEqual(body.devices[0].apps, [{ name: 'WhatsApp', action: 'ban' }]);
        assert.deepEqual(
          body.mails.map((m: { kind: string; status: string }) => [m.kind, m.status]),
          [['block', 'pending']],
        );
        const missing = await t.app.inject({ url: '/api/v1/admin/employees/nobody@stadt.example', headers: admin });
        assert.equal(missing.statusCode, 404);
        const bad = await t.app.inject({ url: '/api/v1/admin/employees/not-an-address', headers: admin });
        assert.equal(bad.statusCode, 400);
      }));

    it('imports the mapping CSV all or nothing, names every bad line, and the unmapped list follows', (ctx) =>
      withApp(ctx, dialect, {}, async (t, clock, admin) => {
        const ben = await t.enroll({ osUser: 'KOMMUNE\\ben' });
        await t.enroll({ osUser: 'mmueller' });
        await t.enroll({ osUser: 'Hans Dampf' }); // no usable user name: stays unmapped whatever is imported
        await report(t, ben.deviceToken, clock.now, true);
        const unmapped = async () =>
          (await t.app.inject({ url: '/api/v1/admin/employees/unmapped', headers: admin }))
            .json()
            .items.map((u: { osUser: string }) => u.osUser);
        assert.deepEqual(await unmapped(), ['Hans Dampf', 'KOMMUNE\\ben', 'mmueller']);

        const bad = await t.app.inject({
          method: 'POST',
          url: '/api/v1/admin/employees/mapping',
          headers: admin,
          payload: {
            csv: 'os_user,email\nben,ben.b@stadt.example\nmmueller;not-an-address\nonly-one-column\nben,other@stadt.example\n',
          },
        });
        assert.equal(bad.statusCode, 400, bad.body);
        assert.equal(bad.json().code, 'CSV_INVALID');
        assert.deepEqual(
          bad.json().errors.map((e: { line: number }) => e.line),
          [3, 4, 5],
        );
        assert.match(bad.json().errors[2].message, /mapped twice/);
        assert.deepEqual((await t.app.inject({ url: '/api/v1/admin/employees/mapping', headers: admin })).json().items, []);
        const empty = await t.app.inject({
          method: 'POST',
          url: '/api/v1/admin/employees/mapping',
          headers: admin,
          payload: { csv: '\n# nothing\n' },
        });
        assert.equal(empty.statusCode, 400);

        // text/csv as Excel writes it in German locales: BOM, `;`, CRLF.
        const good = await t.app.inject({
          method: 'POST',
          url: '/api/v1/admin/employees/mapping',
          headers: { ...admin, 'content-type': 'text/csv' },
          payload: '\uFEFFos_user;email\r\nKOMMUNE\\BEN;Ben.B@stadt.example\r\nmmueller;m.mueller@stadt.example\r\n',
        });
        assert.equal(good.statusCode, 200, good.body);
        assert.deepEqual(good.json(), { imported: 2, removed: 0, changedDevices: 2 });
        assert.deepEqual(await unmapped(), ['Hans Dampf']);
        // The block follows the new identity at once, without waiting for a sweep.
        assert.equal(await decisionOf(t, 'ben.b@stadt.example'), 'deny');

        const replaced = await t.app.inject({
          method: 'POST',
          url: '/api/v1/admin/employees/mapping?mode=replace',
          headers: admin,
          payload: { csv: 'mmueller,m.mueller@stadt.example\n' },
        });
        assert.deepEqual(replaced.json(), { imported: 1, removed: 1, changedDevices: 1 });
        assert.deepEqual(await unmapped(), ['Hans Dampf', 'KOMMUNE\\ben']);
        const emp = await t.db.handle.db.selectFrom('employees').selectAll().where('email', '=', 'ben.b@stadt.example').execute();
        assert.equal(emp[0]?.blocked_since, null, 'an address no device maps to any more is not left blocked');
        assert.deepEqual(
          (await auditActions(t)).filter((a) => a.startsWith('employees.')),
          ['employees.import', 'employees.import'],
        );
      }));

    it('exemptions per employee and per device lift a block at once, are listed, audited and revoked', (ctx) =>
      withApp(ctx, dialect, TEMPLATE, async (t, clock, admin) => {
        const dev = await t.enroll({ osUser: 'anna' });
        await report(t, dev.deviceToken, clock.now, true);
        assert.equal(await decisionOf(t, 'anna@stadt.example'), 'deny');
        const grant = (payload: object) =>
          t.app.inject({ method: 'POST', url: '/api/v1/admin/exemptions', headers: admin, payload });
        const until = new Date(clock.now + 7 * DAY).toISOString();

        for (const [payload, code] of [
          [{ reason: 'both', until, employee: 'anna@stadt.example', deviceId: dev.deviceId }, 'VALIDATION'],
          [{ reason: 'none', until }, 'VALIDATION'],
          [{ reason: 'past', until: new Date(clock.now - DAY).toISOString(), employee: 'anna@stadt.example' }, 'UNTIL_PAST'],
          [
            { reason: 'far', until: new Date(clock.now + 400 * DAY).toISOString(), employee: 'anna@stadt.example' },
            'UNTIL_TOO_FAR',
          ],
          [{ reason: '', until, employee: 'anna@stadt.example' }, 'VALIDATION'],
        ] as const) {
          const res = await grant(payload);
          assert.equal(res.statusCode, 400, JSON.stringify(payload));
          assert.equal(res.json().code, code);
        }
        assert.equal((await grant({ reason: 'no device', until, deviceId: crypto.randomUUID() })).statusCode, 404);

        const res = await grant({ employee: 'Anna@stadt.example', reason: 'Parental leave, device in the safe', until });
        assert.equal(res.statusCode, 201, res.body);
        const ex = res.json();
        assert.equal(ex.grantedBy, 'token:tests');
        assert.equal(ex.employee, 'anna@stadt.example');
        assert.equal(await decisionOf(t, 'anna@stadt.example'), 'allow', 'the exemption lifts the block at once');
        const listed = await t.app.inject({ url: '/api/v1/admin/exemptions', headers: admin });
        assert.deepEqual(
          listed.json().items.map((e: { id: string; active: boolean }) => [e.id, e.active]),
          [[ex.id, true]],
        );

        const revoke = await t.app.inject({ method: 'DELETE', url: `/api/v1/admin/exemptions/${ex.id}`, headers: admin });
        assert.equal(revoke.statusCode, 204, revoke.body);
        assert.equal(await decisionOf(t, 'anna@stadt.example'), 'deny', 'revoked: the block is back at once');
        assert.equal(
          (await t.app.inject({ method: 'DELETE', url: `/api/v1/admin/exemptions/${ex.id}`, headers: admin })).statusCode,
          409,
        );
        assert.deepEqual((await t.app.inject({ url: '/api/v1/admin/exemptions', headers: admin })).json().items, []);
        assert.equal(
          (await t.app.inject({ url: '/api/v1/admin/exemptions?state=all', headers: admin })).json().items[0].active,
          false,
        );

        // Per device; it runs out on the clock and the sweep blocks again.
        const perDevice = await grant({ deviceId: dev.deviceId, reason: 'replacement laptop ordered', until });
        assert.equal(perDevice.statusCode, 201, perDevice.body);
        assert.equal(await decisionOf(t, 'anna@stadt.example'), 'allow');
        clock.now += 8 * DAY;
        await t.app.appwacht.escalation.sweepOnce();
        assert.equal(await decisionOf(t, 'anna@stadt.example'), 'deny');
        assert.deepEqual(
          (await auditActions(t)).filter((a) => a.startsWith('exemption.')),
          ['exemption.grant', 'exemption.revoke', 'exemption.grant'],
        );
      }));

    it('a retired device no longer counts for its employee; a deleted one neither', (ctx) =>
      withApp(
        ctx,
        dialect,
        {
          ...TEMPLATE,
          APPWACHT_WEBHOOK_URL: 'http://127.0.0.1:9/hook',
          APPWACHT_WEBHOOK_SECRET: 'a-webhook-secret-of-some-length',
        },
        async (t, clock, admin) => {
          const a = await t.enroll({ osUser: 'ben', hostname: 'PC-LOST' });
          const b = await t.enroll({ osUser: 'ben', hostname: 'PC-OLD' });
          await report(t, a.deviceToken, clock.now, true);
          await report(t, b.deviceToken, clock.now, true);
          assert.equal(await decisionOf(t, 'ben@stadt.example'), 'deny');

          const r1 = await t.app.inject({ method: 'POST', url: `/api/v1/admin/devices/${a.deviceId}/retire`, headers: admin });
          assert.equal(r1.statusCode, 204);
          assert.equal(await decisionOf(t, 'ben@stadt.example'), 'deny', 'the other device still blocks');
          const r2 = await t.app.inject({ method: 'DELETE', url: `/api/v1/admin/devices/${b.deviceId}`, headers: admin });
          assert.equal(r2.statusCode, 204);
          assert.equal(await decisionOf(t, 'ben@stadt.example'), 'allow');

          const retired = await t.db.handle.db
            .selectFrom('device_ladder')
            .selectAll()
            .where('device_id', '=', a.deviceId)
            .executeTakeFirstOrThrow();
          assert.equal(retired.step, 'compliant');
          assert.equal(retired.reason, 'retired');
          assert.equal(retired.next_at, null, 'the sweep never looks at it again');
          clock.now += 30 * DAY;
          await t.app.appwacht.escalation.sweepOnce();
          assert.equal(await decisionOf(t, 'ben@stadt.example'), 'allow', 'going stale does not bring a retired device back');
          const hooks = await t.db.handle.db.selectFrom('webhook_deliveries').select('body').orderBy('id').execute();
          assert.deepEqual(
            hooks.map((h) => (JSON.parse(h.body) as { decision: string }).decision),
            ['deny', 'allow'],
          );
          const list = (await t.app.inject({ url: '/api/v1/admin/employees', headers: admin })).json();
          assert.deepEqual(list.items, [], 'an employee with only retired devices is not listed');
        },
      ));

    it('mail templates: listed, checked, previewed, saved, audited and reset; hostile ones are refused', (ctx) =>
      withApp(ctx, dialect, TEMPLATE, async (t, _clock, admin) => {
        const list = await t.app.inject({ url: '/api/v1/admin/mail-templates', headers: admin });
        assert.equal(list.statusCode, 200);
        assert.equal(list.json().items.length, 8);
        assert.ok(list.json().variables.hostname);
        const put = (payload: object, kind = 'warn', lang = 'de') =>
          t.app.inject({ method: 'PUT', url: `/api/v1/admin/mail-templates/${kind}/${lang}`, headers: admin, payload });
        const good = {
          subject: 'Achtung {{hostname}}',
          text: 'Hallo {{employee}}: {{apps}}',
          html: '<p>{{apps}} auf {{hostname}}</p>',
        };

        const hostile: [object, RegExp][] = [
          [{ ...good, text: '{{constructor}}' }, /unknown variable "constructor"/],
          [{ ...good, html: '{{#apps}}{{constructor.constructor}}{{/apps}}' }, /unknown variable/],
          [{ ...good, text: '{{hostname.length}}' }, /unknown variable "hostname.length"/],
          [{ ...good, text: '{{> /etc/passwd}}' }, /partials/],
          [{ ...good, html: '<p>{{{hostname}}}</p>' }, /unescaped output/],
          [{ ...good, html: '<p>{{& hostname}}</p>' }, /unescaped output/],
          [{ ...good, text: '{{#apps}} never closed' }, /Unclosed section/],
          [{ ...good, text: '{{=<% %>=}}<% process %>' }, /unknown variable "process"/],
        ];
        for (const [payload, why] of hostile) {
          const res = await put(payload);
          assert.equal(res.statusCode, 400, JSON.stringify(payload));
          assert.equal(res.json().code, 'TEMPLATE_INVALID');
          assert.match(res.json().message, why);
        }
        assert.equal((await put(good, 'nope')).statusCode, 400);

        const saved = await put(good);
        assert.equal(saved.statusCode, 200, saved.body);
        assert.match(saved.json().preview.subject, /^Achtung PC-AMT-0042 \/ Banned app/);
        const items = (await t.app.inject({ url: '/api/v1/admin/mail-templates', headers: admin })).json().items;
        const mine = items.find((i: { kind: string; lang: string }) => i.kind === 'warn' && i.lang === 'de');
        assert.equal(mine.custom, true);
        assert.equal(mine.updatedBy, 'token:tests');

        // Rendering the stored template escapes hostile device data in HTML and keeps it out of the headers.
        const stored = await t.app.appwacht.repos.mailTemplates.all();
        const mail = renderMail(
          { ...SAMPLE_FACTS, hostname: 'PC\r\nBcc: all@stadt.example <script>x()</script>', apps: ['"><img src=x onerror=y>'] },
          stored,
        );
        assert.ok(!/[\r\n]/.test(mail.subject));
        assert.ok(!mail.html.includes('<script>') && !mail.html.includes('<img'), mail.html);
        assert.ok(mail.text.includes('<img src=x'), 'the text part is plain text, not escaped');

        const preview = await t.app.inject({
          method: 'POST',
          url: '/api/v1/admin/mail-templates/block/en/preview',
          headers: admin,
          payload: { subject: 'Blocked', text: 'Since {{blockedAt}}', html: '<b>{{blockedAt}}</b>' },
        });
        assert.equal(preview.statusCode, 200, preview.body);
        assert.match(preview.json().text, /Since 29 March 2026/);

        const reset = await t.app.inject({ method: 'DELETE', url: '/api/v1/admin/mail-templates/warn/de', headers: admin });
        assert.equal(reset.statusCode, 204);
        assert.equal(
          (await t.app.inject({ method: 'DELETE', url: '/api/v1/admin/mail-templates/warn/de', headers: admin })).statusCode,
          404,
        );
        assert.deepEqual(
          (await auditActions(t)).filter((a) => a.startsWith('mail-template.')),
          ['mail-template.update', 'mail-template.reset'],
        );
      }));
  });
}

describe('a stored template that fails the check', () => {
  it('is not used: the shipped one goes out and the failure is reported', () => {
    const bad: string[] = [];
    const mail = renderMail(
      SAMPLE_FACTS,
      new Map([['warn:de', { subject: '{{constructor}}', text: '{{> x}}', html: '{{{hostname}}}' }]]),
      (key) => bad.push(key),
    );
    assert.deepEqual(bad, ['warn:de']);
    assert.match(mail.subject, /^Verbotene App auf Ihrem Dienstgerät/);
  });
});
