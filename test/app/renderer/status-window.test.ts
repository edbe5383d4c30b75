import { AxeBuilder } from '@axe-core/playwright';
import { build } from 'esbuild';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CONDITIONS } from '../../../app/shared/bridge.js';
import { REPORT_FIELDS } from '../../../app/renderer/privacy.js';
import { TEXTS } from '../../../app/renderer/texts.js';
import type { Lang } from '../../../protocol/index.js';
import { HOSTILE_NAME, LONG_NAME, RTL_NAME, SCENARIOS, type ScenarioName } from './scenarios.js';
import type { Scenario } from './stand-in.js';

/**
 * The status window in Debian's Chromium (what Electron's renderer is), loaded from the built files over file:// as
 * Electron's loadFile does, with the stand-in bridge (stand-in.ts, the preload's exact type) injected before the page
 * script. What stands in for Electron's main process: the scenario's states. Screenshots of every state and language go
 * to test-artifacts/status-window/ (gitignored); UPDATE_SCREENSHOTS=1 also refreshes the ones app/README.md shows.
 */

const ROOT = new URL('../../../', import.meta.url).pathname;
const ARTIFACTS = join(ROOT, 'test-artifacts/status-window');
const COMMITTED: readonly ScenarioName[] = ['compliant', 'banned', 'overdue', 'blocked', 'offline'];
const CHROMIUM = '/usr/bin/chromium';
/**
 * axe runs on these pages only (one run costs ~7 s on a loaded machine): together they hold every part of the window —
 * findings of each OS and kind, the ladder with its dates, contacts, the queue, errors, hostile text — in both languages.
 */
const AXE_ON = new Set(['banned/en', 'overdue/de', 'offline/en', 'warning/de']);
/** Cases beside the conditions, each checked by its own test below (the hostile one with axe too). */
const NOT_IN_LOOP = new Set<ScenarioName>([
  'exempt',
  'empty-report',
  'report-not-shown',
  'hostile',
  'hostile-linux',
  'no-policy',
]);

let browser: Browser;
let out: string;
let standIn: string;

before(async () => {
  out = mkdtempSync(join(tmpdir(), 'aw-renderer-'));
  const built = spawnSync(process.execPath, [join(ROOT, 'scripts/bundle-renderer.mjs')], {
    env: { ...process.env, RENDERER_OUT: out },
    encoding: 'utf8',
  });
  assert.equal(built.status, 0, built.stderr);
  const bundle = await build({
    entryPoints: [join(ROOT, 'test/app/renderer/stand-in.ts')],
    bundle: true,
    format: 'iife',
    write: false,
    platform: 'browser',
  });
  standIn = bundle.outputFiles[0]!.text;
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking'],
  });
});

after(async () => {
  await browser?.close();
  rmSync(out, { recursive: true, force: true });
});

interface Opened {
  page: Page;
  errors: string[];
  close(): Promise<void>;
}

async function open(name: ScenarioName | Scenario, lang: Lang, viewport = { width: 760, height: 1000 }): Promise<Opened> {
  const base: Scenario = typeof name === 'string' ? SCENARIOS[name] : name;
  const scenario: Scenario = { ...base, state: { ...base.state, lang } };
  const context = await browser.newContext({ locale: lang === 'de' ? 'de-DE' : 'en-GB', timezoneId: 'Europe/Berlin', viewport });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.addInitScript({ content: `window.__scenario = ${JSON.stringify(scenario)};` });
  await page.addInitScript({ content: standIn });
  await page.goto(pathToFileURL(join(out, 'index.html')).href + (typeof name === 'string' && name === 'offline' ? '' : ''));
  if (!scenario.failWith) await page.locator('#status-headline').waitFor();
  return { page, errors, close: () => context.close() };
}

async function seriousViolations(page: Page): Promise<string[]> {
  // preload: false — axe would fetch the style sheets itself, which the window's CSP (connect-src 'none') rightly refuses.
  const result = await new AxeBuilder({ page }).options({ preload: false }).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

async function noHorizontalScroll(page: Page) {
  const [scroll, client] = await page.evaluate(() => [
    document.documentElement.scrollWidth,
    document.documentElement.clientWidth,
  ]);
  assert.ok(scroll <= client, `the page scrolls sideways: ${scroll} > ${client}`);
}

describe('status window', () => {
  it('shows every state in both languages: headline, icon, text; no serious accessibility violation; screenshots', async () => {
    const seen = new Set<string>();
    for (const name of (Object.keys(SCENARIOS) as ScenarioName[]).filter((n) => !NOT_IN_LOOP.has(n))) {
      // One load per state: English first, then German through the page's own language switch (as the employee would).
      const { page, errors, close } = await open(name, 'en');
      for (const lang of ['en', 'de'] as const) {
        if (lang === 'de') {
          await page.getByRole('button', { name: 'Deutsch' }).click();
          await page.locator('html[lang="de"] #lang-de[aria-pressed="true"]').waitFor();
        }
        const condition = SCENARIOS[name].state.condition;
        seen.add(condition);
        const status = page.locator('section.status');
        assert.equal(await status.getAttribute('data-condition'), condition, name);
        // The state is said in words and by a shape, not by colour alone.
        assert.equal(await status.locator(`svg.icon-${condition}`).count(), 1, name);
        assert.equal(await page.locator('#status-headline').innerText(), TEXTS[lang].headline[condition]);
        assert.equal(await page.getByRole('button', { name: TEXTS[lang].checkNow }).count(), 1, name);
        await noHorizontalScroll(page);
        assert.deepEqual(errors, [], `${name}/${lang}: console errors (a CSP violation shows here)`);
        if (AXE_ON.has(`${name}/${lang}`)) assert.deepEqual(await seriousViolations(page), [], `${name}/${lang}`);
        await page.screenshot({ path: join(ARTIFACTS, `${name}-${lang}.png`), fullPage: true });
        if (process.env.UPDATE_SCREENSHOTS && COMMITTED.includes(name))
          await page.screenshot({ path: join(ROOT, 'app/screenshots', `${name}-${lang}.png`) });
      }
      await close();
    }
    assert.deepEqual([...seen].sort(), [...CONDITIONS].sort(), 'a scenario per condition');
  });

  it('lists where each banned app was found and how to remove it on this OS, with the issue’s commands', async () => {
    let o = await open('banned', 'en');
    const win = await o.page.locator('article.finding').first().innerText();
    assert.match(win, /Found as: Store app, for your account only/);
    assert.match(win, /Open Settings › Apps › Installed apps\./);
    assert.match(win, /Get-AppxPackage -Name 5319275A\.WhatsAppDesktop \| Remove-AppxPackage/);
    assert.match(win, /Deadline: 15 December 2026/);
    await o.close();
    o = await open('banned-linux', 'de');
    const linux = await o.page.locator('article.finding').innerText();
    assert.match(linux, /sudo apt remove telegram-desktop/);
    assert.match(linux, /flatpak uninstall --user org\.telegram\.desktop/);
    assert.match(linux, /AppImage-Datei im Ordner „Downloads“/);
    assert.match(linux, /Löschen Sie die Datei: \/home\/anna\/Downloads\/Telegram-5\.8\.3-x86_64\.AppImage/);
    await o.close();
    o = await open('banned-macos', 'en');
    assert.match(await o.page.locator('article.finding').innerText(), /Drag the app to the Bin/);
    await o.close();
  });

  it('shows the ladder as the server said: warning sent, sync blocked from/since, exemption, deadline', async () => {
    let o = await open('overdue', 'en');
    let text = await o.page.locator('section[aria-labelledby="ladder-h"]').innerText();
    assert.match(text, /Mail warning sent on\s+1 December 2026/);
    assert.match(text, /Sync blocked from\s+14 December 2026/);
    assert.match(text, /Deadline\s+30 November 2026/);
    await o.close();
    o = await open('blocked', 'de');
    text = await o.page.locator('section[aria-labelledby="ladder-h"]').innerText();
    assert.match(text, /Synchronisation gesperrt seit\s+29\. November 2026/);
    assert.equal(await o.page.locator('#status-headline').innerText(), 'E-Mail, Kontakte und Kalender sind gesperrt');
    await o.close();
    o = await open('exempt', 'en');
    text = await o.page.locator('section[aria-labelledby="ladder-h"]').innerText();
    assert.match(text, /Exemption until\s+31 January 2027/);
    assert.match(text, /For information only/);
    await o.close();
  });

  it('opens the support contacts through the bridge by kind, never by a URL from the page', async () => {
    const { page, close } = await open('banned', 'en');
    await page.getByRole('button', { name: 'it-servicedesk@stadt.example' }).click();
    await page.getByRole('button', { name: '+49 30 1234-5678' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'https://intranet.stadt.example/hilfe' }).click();
    const calls = await page.evaluate(() => window.__standIn.calls.filter((c) => c.name === 'openContact'));
    assert.deepEqual(calls, [
      { name: 'openContact', arg: 'email' },
      { name: 'openContact', arg: 'phone' },
      { name: 'openContact', arg: 'url' },
    ]);
    await close();
  });

  it('"Check now" (by keyboard) turns the state compliant live, keeps focus, and says when it is rate-limited', async () => {
    const scenario: Scenario = {
      ...SCENARIOS.banned,
      checkResults: [{ outcome: 'accepted' }, { outcome: 'rate-limited', retryAfterMs: 45_000 }],
    };
    const { page, errors, close } = await open(scenario, 'en');
    assert.equal(await page.locator('#status-headline').innerText(), 'A banned app is installed');
    await page.getByRole('button', { name: 'Check now' }).focus();
    await page.keyboard.press('Enter');
    await page.locator('.note', { hasText: 'The check has started' }).waitFor();
    await page.getByRole('button', { name: 'Checking …' }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'check-now', 'focus survives the repaint');
    await page.evaluate(() => window.__standIn.finishCheck());
    await page.locator('#status-headline', { hasText: 'All good' }).waitFor();
    await page.locator('#announce', { hasText: 'All good' }).waitFor({ state: 'attached' });
    assert.equal(await page.locator('article.finding').count(), 0);
    assert.match(await page.locator('#findings-h + p').innerText(), /No banned or unwanted apps found/);
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'check-now', 'focus survives the repaint');
    await page.keyboard.press('Enter');
    await page.locator('.note', { hasText: 'Another check is possible from' }).waitFor();
    assert.deepEqual(errors, []);
    await close();
  });

  it('says when the agent cannot be reached for "Check now", and when the bridge itself fails', async () => {
    let o = await open(
      { ...SCENARIOS.offline, checkResults: [{ outcome: 'unavailable', message: 'ENOENT /run/appwacht/tray.sock' }] },
      'de',
    );
    assert.equal(await o.page.locator('#status-headline').innerText(), 'Keine Verbindung');
    assert.match(await o.page.locator('section[aria-labelledby="about-h"]').innerText(), /connect ECONNREFUSED 10\.20\.0\.5:443/);
    assert.match(await o.page.locator('#reported').innerText(), /Warteschlange: 3 Berichte warten/);
    await o.page.getByRole('button', { name: 'Jetzt prüfen' }).click();
    await o.page
      .locator('.note', { hasText: 'Der Appwacht-Dienst ist nicht erreichbar: ENOENT /run/appwacht/tray.sock' })
      .waitFor();
    await o.close();
    o = await open({ ...SCENARIOS.compliant, failWith: 'preload not ready' }, 'en');
    await o.page.getByText('The status cannot be shown: preload not ready').waitFor();
    assert.equal(await o.page.getByText('Der Status kann nicht angezeigt werden: preload not ready').count(), 1);
    await o.close();
  });

  it('switches language through the bridge and repaints', async () => {
    const { page, close } = await open('banned', 'en');
    await page.getByRole('button', { name: 'Deutsch' }).click();
    await page.locator('#status-headline', { hasText: 'Eine verbotene App ist installiert' }).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'de');
    assert.equal(await page.getByRole('button', { name: 'Deutsch' }).getAttribute('aria-pressed'), 'true');
    assert.deepEqual(await page.evaluate(() => window.__standIn.calls.find((c) => c.name === 'setLanguage')), {
      name: 'setLanguage',
      arg: 'de',
    });
    await close();
  });

  it('renders hostile, RTL and very long names as text, wrapped, and offers no command for a hostile id', async () => {
    for (const name of ['hostile', 'hostile-linux'] as const) {
      const { page, errors, close } = await open(name, 'en');
      const titles = await page.locator('article.finding h3 bdi').allTextContents();
      assert.ok(titles.includes(HOSTILE_NAME), name);
      if (name === 'hostile') {
        // The RTL name keeps its Arabic; its right-to-left override shows as � instead of turning "exe.ppastahw" round.
        assert.ok(titles.includes(RTL_NAME.replace('\u202E', '\uFFFD')) && titles.includes(LONG_NAME), JSON.stringify(titles));
        assert.equal(await page.evaluate(() => document.getElementById('app')!.textContent!.includes('\u202E')), false);
        // The payload shows the hostile name as text too.
        const payload = (await page.locator('pre.payload code').textContent()) ?? '';
        assert.ok(payload.includes(JSON.stringify(HOSTILE_NAME)), 'the payload shows the name as JSON text');
      } else {
        assert.equal(await page.locator('section[aria-labelledby="about-h"] bdi', { hasText: '<b>anna</b>' }).count(), 1);
      }
      assert.equal(
        await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned),
        undefined,
        'no markup from data ran',
      );
      assert.equal(await page.locator('#app img, #app script, #app b').count(), 0, 'no element from data');
      const commands = await page.locator('.steps pre code').allTextContents();
      assert.deepEqual(commands, [], `${name}: a command built from a hostile id`);
      if (name === 'hostile') assert.deepEqual(await seriousViolations(page), [], name);
      // Long names wrap, also at 200 % zoom (a 760 px window is 380 CSS px wide then).
      await noHorizontalScroll(page);
      await page.setViewportSize({ width: 380, height: 800 });
      await noHorizontalScroll(page);
      await page.screenshot({ path: join(ARTIFACTS, `${name}-narrow-en.png`), fullPage: true });
      assert.deepEqual(errors, []);
      await close();
    }
  });

  it('"What is reported": the exact payload, when sent, the queue, and every field of the Report with its retention', async () => {
    let o = await open('banned', 'en', { width: 760, height: 1000 });
    const section = o.page.locator('#reported');
    assert.match(await section.innerText(), /Sent: 5 December 2026 at 10:58/);
    assert.match(await section.innerText(), /Queue: empty/);
    await section.getByText('The report, exactly as sent').click();
    const payload = JSON.parse((await section.locator('pre.payload').innerText()) || 'null');
    assert.deepEqual(payload, SCENARIOS.banned.report.report);
    const rows = await section.locator('tr[data-field]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-field')));
    assert.deepEqual(rows.sort(), Object.keys(REPORT_FIELDS).sort());
    assert.match(await section.innerText(), /Serial number\s+PF4XYZ12/);
    await o.close();
    o = await open('empty-report', 'de');
    const empty = o.page.locator('#reported');
    assert.match(await empty.innerText(), /Noch nicht gesendet/);
    await empty.getByText('Der Bericht, genau wie gesendet').click();
    assert.deepEqual(JSON.parse(await empty.locator('pre.payload').innerText()), SCENARIOS['empty-report'].report.report);
    await o.close();
    for (const lang of ['en', 'de'] as const) {
      o = await open('report-not-shown', lang);
      const notShown = o.page.locator('#reported');
      assert.equal(await notShown.locator('#payload-not-shown').innerText(), TEXTS[lang].payloadNotShown['other-accounts']);
      assert.equal(await notShown.locator('pre.payload').count(), 0, 'no payload, not a cut one');
      assert.match(await notShown.innerText(), lang === 'en' ? /Queue: 2 reports waiting/ : /Warteschlange: 2 Berichte warten/);
      assert.doesNotMatch(await notShown.innerText(), /No report has been made yet|Es wurde noch kein Bericht/);
      await o.close();
    }
    o = await open('unchecked', 'en');
    assert.match(await o.page.locator('#reported').innerText(), /No report has been made yet/);
    await o.close();
  });

  it('opens at "What is reported" when the tray asks for #reported', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.addInitScript({ content: `window.__scenario = ${JSON.stringify(SCENARIOS.compliant)};` });
    await page.addInitScript({ content: standIn });
    await page.goto(pathToFileURL(join(out, 'index.html')).href + '#reported');
    await page.locator('#status-headline').waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'reported');
    // Asked again while the window is open: only the hash changes.
    await page.getByRole('button', { name: 'Check now' }).focus();
    await page.evaluate(() => {
      location.hash = '';
      location.hash = 'reported';
    });
    await page.waitForFunction(() => document.activeElement?.id === 'reported');
    await context.close();
  });
});
