/**
 * The admin dashboard in Debian's Chromium against a real server (real HTTP, real SQLite) with a seeded fleet:
 * the main flows, a read-only admin refused by the server, hostile names shown as text, axe on every screen, and the
 * faults an admin meets (server restarted under an open page, session expired while editing, two admins publishing).
 * Screenshots of every screen in both languages go to test-artifacts/dashboard/ (gitignored).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type Browser, type Page } from 'playwright-core';
import { takeSnapshot } from '../../server/services/compliance-history.js';
import {
  adminApiToken,
  ADMIN_PASSWORD,
  CHROMIUM,
  CHROMIUM_ARGS,
  startDashboardServer,
  type DashboardServer,
} from './dashboard-server.js';
import { EVIL_APP, seedFleet, XSS_HOST, type Seeded } from './seed.js';

const ARTIFACTS = new URL('../../test-artifacts/dashboard/', import.meta.url).pathname;
const SCREENS = ['', 'devices', 'devices/DEVICE', 'employees', 'policy', 'exemptions', 'audit', 'settings'];

describe('admin dashboard in Chromium', { skip: existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM}` }, () => {
  let server: DashboardServer;
  let browser: Browser;
  let page: Page;
  let fleet: Seeded;
  const dialogs: string[] = [];
  const api = async (path: string, init: RequestInit = {}) => {
    const token = await adminToken();
    return fetch(`${server.url}/api/v1/admin/${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
    });
  };
  let token: string | null = null;
  async function adminToken() {
    if (token) return token;
    token = await adminApiToken(server.url, 'browser-test');
    return token;
  }
  const go = async (hash: string) => {
    await page.evaluate((h) => (location.hash = h), `#/${hash}`);
  };
  async function login(p: Page, username = 'admin', password = ADMIN_PASSWORD) {
    await p.locator('input[name=username]').fill(username);
    await p.locator('input[name=password]').fill(password);
    await p.getByRole('button', { name: /Anmelden|Log in/ }).click();
  }
  async function axe(name: string) {
    // The WCAG A/AA rules (best-practice rules left out: they doubled the run time on this machine).
    const r = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']).analyze();
    const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    assert.deepEqual(
      bad.map((v) => `${name}: ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
      [],
    );
  }

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    server = await startDashboardServer();
    fleet = await seedFleet(server.url, server.enrollmentSecret);
    await server.app.appwacht.escalation.sweepOnce();
    await takeSnapshot(server.app.appwacht.repos, Date.now() - 86_400_000);
    await takeSnapshot(server.app.appwacht.repos, Date.now());
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ locale: 'de-DE', viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(10_000);
    page = await context.newPage();
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(`${server.url}/admin/`);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('logs in, finds a blocked device from the overview and opens it', async () => {
    await login(page);
    await page.getByRole('heading', { name: 'Übersicht' }).waitFor();
    // The WhatsApp devices are past the fixture policy's deadline and block date: the "blocked" tile counts them.
    const tile = page.getByRole('link', { name: /Gesperrt/ });
    assert.match(await tile.innerText(), /^4\s/);
    await tile.click();
    await page.getByRole('cell', { name: 'PC-WA-01' }).waitFor();
    assert.equal(await page.locator('table.devices tbody tr').count(), 4);
    await page.getByRole('link', { name: 'PC-WA-01' }).click();
    await page.getByRole('heading', { name: /PC-WA-01/ }).waitFor();
    await page.getByText('Eskalationsverlauf').waitFor();
    assert.ok(await page.getByText('Mail-Synchronisation gesperrt').isVisible());
  });

  it('grants the device an exemption (the server lifts the block)', async () => {
    await page.getByLabel('Begründung').fill('Diensthandy-Ersatz bis zur Migration');
    await page.getByRole('button', { name: 'Gewähren' }).click();
    await page.getByText(/Ausnahme gewährt bis/).waitFor();
    const d = (await (await api(`devices/${fleet.ids['PC-WA-01']}`)).json()) as { state: string };
    assert.equal(d.state, 'exempt');
  });

  it('retires a device after a confirmation', async () => {
    await go(`devices/${fleet.ids['PC-WA-02']}`);
    await page.getByRole('button', { name: 'Gerät ausmustern' }).click();
    await page.getByText(/PC-WA-02 ausmustern\?/).waitFor();
    await page.getByRole('button', { name: 'Bestätigen' }).click();
    await page.getByText(/Ausgemustert am/).waitFor();
    const d = (await (await api(`devices/${fleet.ids['PC-WA-02']}`)).json()) as { retiredAt: string | null };
    assert.ok(d.retiredAt);
  });

  it('publishes a policy change after showing how many devices it affects', async () => {
    await go('policy');
    await page.getByRole('heading', { name: /Aktuelle Richtlinie: Version 1/ }).waitFor();
    await page.getByLabel('Sperre, Tage nach der Frist').fill('21');
    await page.getByRole('button', { name: 'Veröffentlichen' }).click();
    const q = page.getByText(/Version 2 veröffentlichen\?/);
    await q.waitFor();
    // 16 enrolled, 1 retired; nothing in the rules changed, so no device has an app the change adds or alters.
    assert.match(await q.innerText(), /Alle 15 aktiven Geräte.*auf 0 davon/);
    await page.getByRole('button', { name: 'Bestätigen' }).click();
    await page.getByRole('heading', { name: /Aktuelle Richtlinie: Version 2/ }).waitFor();
    await page.getByText('Version 2 veröffentlicht.').waitFor();
    const v = (await (await api('policies/2')).json()) as {
      policy: { escalation: { blockAfterDays: number } };
      createdBy: string;
    };
    assert.equal(v.policy.escalation.blockAfterDays, 21);
    assert.equal(v.createdBy, 'admin:admin');
  });

  it('shows hostile host and app names as text', async () => {
    await go(`devices?q=${encodeURIComponent('<img')}`);
    await page.getByRole('link', { name: XSS_HOST }).waitFor();
    await go(`devices/${fleet.ids['PC-EVIL']}`);
    await page.getByRole('cell', { name: EVIL_APP }).first().waitFor();
    assert.equal(await page.locator('img[src="x"]').count(), 0, 'no <img> element was made from the hostname');
    assert.equal(await page.locator('main script').count(), 0);
    assert.deepEqual(dialogs, [], 'no script ran');
  });

  it('keeps the draft when the session expires while editing a policy, and publishes after logging in again', async () => {
    await go('policy');
    await page
      .getByRole('heading', { name: /Version 2/ })
      .first()
      .waitFor();
    await page.getByLabel('Deutsch', { exact: true }).fill('Neue Nachricht <b>fett</b>');
    await server.handle.db.deleteFrom('sessions').execute(); // the session ends on the server
    await page.getByRole('button', { name: 'Veröffentlichen' }).click();
    await page.getByText(/Ihre Sitzung ist abgelaufen/).waitFor();
    await login(page);
    await page.getByText(/Ihre Sitzung ist abgelaufen/).waitFor({ state: 'detached' });
    assert.equal(await page.getByLabel('Deutsch', { exact: true }).inputValue(), 'Neue Nachricht <b>fett</b>');
    await page.getByRole('button', { name: 'Veröffentlichen' }).click();
    await page.getByRole('button', { name: 'Bestätigen' }).click();
    await page.getByRole('heading', { name: /Aktuelle Richtlinie: Version 3/ }).waitFor();
  });

  it('refuses the second of two admins publishing at once (409), keeping the draft', async () => {
    await page.getByLabel('Englisch', { exact: true }).fill('Changed by the first admin');
    // The other admin publishes version 4 through the API while this editor is based on version 3.
    const current = (await (await api('policies/3')).json()) as { policy: Record<string, unknown> };
    const { version: _v, issuedAt: _i, expiresAt: _e, ...draft } = current.policy;
    assert.equal((await api('policies', { method: 'POST', body: JSON.stringify({ ...draft, version: 4 }) })).status, 201);
    await page.getByRole('button', { name: 'Veröffentlichen' }).click();
    await page.getByRole('button', { name: 'Bestätigen' }).click();
    await page.getByText(/Inzwischen hat jemand anderes eine Version veröffentlicht/).waitFor();
    assert.equal(await page.getByLabel('Englisch', { exact: true }).inputValue(), 'Changed by the first admin');
  });

  it('survives a server restart under the open page', async () => {
    await go('devices');
    await page.getByRole('cell', { name: 'PC-OK-01' }).waitFor();
    await server.stop();
    await page.getByLabel('Zustand').selectOption('compliant');
    await page.getByText('Der Server ist nicht erreichbar').waitFor();
    await server.restart();
    // The read is retried: the filtered list appears without a reload, and the session survived the restart.
    await page.getByText('Der Server ist nicht erreichbar').waitFor({ state: 'detached', timeout: 15_000 });
    await page.getByRole('cell', { name: 'PC-OK-01' }).waitFor();
    assert.equal(await page.locator('table.devices tbody tr').count(), 9); // 8 PC-OK and the XSS host
  });

  it('switches automatic updates on in the policy (a bad channel refused in the page), and lists the fleet’s versions', async () => {
    await go('policy');
    await page.getByRole('heading', { name: /Aktuelle Richtlinie: Version 4/ }).waitFor();
    assert.equal(await page.getByLabel(/^Kanal \(/).count(), 0, 'no update fields while updates are off');
    await page.getByLabel('Der Gerätedienst installiert neue Versionen vom Server selbst').check();
    const channel = page.getByLabel(/^Kanal \(/);
    await channel.fill('Pilot Gruppe!');
    await page.getByRole('button', { name: 'Veröffentlichen' }).click();
    assert.equal(await channel.evaluate((i: HTMLInputElement) => i.validity.valid), false, 'the page refuses the name');
    assert.equal(await page.getByRole('button', { name: 'Bestätigen' }).count(), 0, 'nothing offered for publishing');
    await channel.fill('pilot');
    await page.getByLabel('Prüfen alle … Stunden').fill('12');
    await page.getByRole('button', { name: 'Veröffentlichen' }).click();
    await page.getByRole('button', { name: 'Bestätigen' }).click();
    await page.getByRole('heading', { name: /Aktuelle Richtlinie: Version 5/ }).waitFor();
    const v = (await (await api('policies/5')).json()) as { policy: { updates?: unknown } };
    assert.deepEqual(v.policy.updates, {
      enabled: true,
      channel: 'pilot',
      checkEveryHours: 12,
      installWindow: { from: '22:00', to: '05:00' },
    });

    await go('settings');
    const fleet = page.getByRole('table', { name: 'Agent-Versionen der Geräte' });
    await fleet.waitFor();
    const overview = (await (await api('updates')).json()) as { fleet: { agentVersion: string; os: string; devices: number }[] };
    assert.ok(overview.fleet.length > 0, 'the seeded devices reported a version');
    for (const f of overview.fleet)
      await fleet.getByRole('row', { name: `${f.agentVersion} ${f.os} ${f.devices}`, exact: true }).waitFor();
  });

  it('passes axe on every screen and writes screenshots in both languages; the language choice is remembered', async () => {
    for (const lang of ['de', 'en'] as const) {
      if (lang === 'en') {
        await page.getByLabel('Sprache').selectOption('en');
        await page.reload();
        await page.getByRole('link', { name: 'Overview' }).waitFor(); // remembered across a reload
      }
      for (const screen of SCREENS) {
        await go(screen.replace('DEVICE', fleet.ids['PC-WA-03']!));
        await page.locator('main h1').first().waitFor();
        await page.locator('[role=status]:text-matches("Wird geladen|Loading")').waitFor({ state: 'detached' });
        // axe once per screen (it takes seconds each on this machine); the English pass changes only the words.
        if (lang === 'de') await axe(screen || 'overview');
        await page.screenshot({
          path: `${ARTIFACTS}${lang}-${(screen || 'overview').replace('/DEVICE', '-detail')}.png`,
          fullPage: true,
        });
      }
    }
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
  });

  it('logs out', async () => {
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    assert.equal(await page.evaluate(() => fetch('../api/v1/admin/session').then((r) => r.status)), 401);
  });

  it("refuses a read-only admin's change on the server (403 READ_ONLY), not just in the page", async () => {
    assert.equal(
      (
        await api('admins', {
          method: 'POST',
          body: JSON.stringify({ username: 'leser', password: 'nur lesen, lang genug', role: 'readonly' }),
        })
      ).status,
      201,
    );
    const ro = await (await browser.newContext({ locale: 'de-DE' })).newPage();
    try {
      await ro.goto(`${server.url}/admin/`);
      await login(ro, 'leser', 'nur lesen, lang genug');
      await ro.getByText(/Nur-Lese-Zugang/).waitFor();
      await ro.evaluate((h) => (location.hash = h), `#/devices/${fleet.ids['PC-WA-03']}`);
      await ro.getByRole('button', { name: 'Gerät ausmustern' }).click();
      const [res] = await Promise.all([
        ro.waitForResponse((r) => r.url().endsWith('/retire')),
        ro.getByRole('button', { name: 'Bestätigen' }).click(),
      ]);
      assert.equal(res.status(), 403);
      assert.equal(((await res.json()) as { code: string }).code, 'READ_ONLY');
      await ro.getByText(/READ_ONLY/).waitFor();
      const d = (await (await api(`devices/${fleet.ids['PC-WA-03']}`)).json()) as { retiredAt: string | null };
      assert.equal(d.retiredAt, null);
    } finally {
      await ro.close();
    }
  });
});
