/**
 * The dashboard's "send a test mail" (issue 9, Settings): one mail through the configured SMTP server — a real one,
 * in this process — audited, and the server's refusal handed back to the admin instead of a bare 500.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Smtp } from '../mail/smtp.js';
import { bearer, createTestApp, type TestApp } from '../helpers.js';

const URL = '/api/v1/admin/settings/smtp-test';

describe('SMTP test mail from the settings', () => {
  const smtp = new Smtp();
  let t: TestApp;
  before(async () => {
    await smtp.start();
    t = await createTestApp('sqlite', {
      APPWACHT_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
      APPWACHT_MAIL_FROM: 'Appwacht <it@stadt.example>',
    });
  });
  after(async () => {
    await t.close();
    await smtp.stop();
  });

  const send = async (to: unknown) =>
    t.app.inject({ method: 'POST', url: URL, headers: bearer(await t.adminToken()), payload: { to } });
  const audits = () =>
    t.db.handle.db.selectFrom('audit_log').select(['action', 'target', 'details']).where('action', '=', 'smtp.test').execute();

  it('sends one bilingual mail to the given address and audits it', async () => {
    smtp.answer = 'ok';
    const res = await send('anna@stadt.example');
    assert.equal(res.statusCode, 200, res.body);
    const mail = smtp.received.at(-1)!;
    assert.equal(mail.to && 'text' in mail.to ? mail.to.text : '', 'anna@stadt.example');
    assert.match(mail.from?.text ?? '', /it@stadt\.example/);
    assert.match(mail.text ?? '', /Mailversand funktioniert/);
    assert.match(mail.text ?? '', /Sending mail works/);
    assert.deepEqual(
      (await audits()).map((a) => [a.target, JSON.parse(String(a.details)).outcome]),
      [['mail:anna@stadt.example', 'sent']],
    );
  });

  it("answers 502 with the SMTP server's refusal, and audits that too", async () => {
    smtp.answer = 550;
    const res = await send('ben@stadt.example');
    assert.equal(res.statusCode, 502, res.body);
    assert.equal(res.json().code, 'SMTP_FAILED');
    assert.match(res.json().message, /mailbox unavailable/);
    assert.match(JSON.parse(String((await audits()).at(-1)!.details)).outcome, /^failed: .*mailbox unavailable/);
  });

  it('refuses what is not a mail address with 400 and sends nothing', async () => {
    const count = smtp.received.length;
    for (const to of ['not an address', 'a@b@c', '', 'x'.repeat(300) + '@stadt.example', 42]) {
      const res = await send(to);
      assert.equal(res.statusCode, 400, `${String(to).slice(0, 20)}: ${res.body}`);
    }
    assert.equal(smtp.received.length, count);
  });

  it('answers 409 when no SMTP server is configured', async () => {
    const bare = await createTestApp('sqlite');
    try {
      const res = await bare.app.inject({
        method: 'POST',
        url: URL,
        headers: bearer(await bare.adminToken()),
        payload: { to: 'anna@stadt.example' },
      });
      assert.equal(res.statusCode, 409, res.body);
      assert.equal(res.json().code, 'SMTP_NOT_CONFIGURED');
    } finally {
      await bare.close();
    }
  });
});
