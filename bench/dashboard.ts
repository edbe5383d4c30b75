/**
 * npm run bench:dashboard — the admin dashboard in Debian's Chromium over a 100,000-device fleet, beside the bare API.
 *
 * The server runs in this process over real HTTP on SQLite (test/web/dashboard-server.ts); the fleet is written by
 * multi-row INSERTs (bench/server-fleet.ts) plus one ladder row per device in a single INSERT … SELECT. Measured, each
 * BENCH_RUNS times (median and max printed):
 * - first page: from page.goto(#/devices) to the 50 rows of the first page in the table (the page loads its bundle,
 *   asks for the session, then for the list);
 * - filter change: from choosing an OS in the filter to the table showing only that OS;
 * - API: the same two requests made with fetch and an API token, no browser.
 * Goals (issue 9): first page under 1 s, a filter change under 300 ms.
 * Knobs: BENCH_FLEET=100000 BENCH_RUNS=7
 */
import { sql } from 'kysely';
import { chromium } from 'playwright-core';
import { cpus, loadavg } from 'node:os';
import { fmt, median, table } from './lib.js';
import { seedFleet } from './server-fleet.js';
import { adminApiToken, ADMIN_PASSWORD, CHROMIUM, CHROMIUM_ARGS, startDashboardServer } from '../test/web/dashboard-server.js';

const FLEET = Number(process.env.BENCH_FLEET ?? 100_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 7);

/**
 * Runs in the page (a string, so tsx's helpers stay out of it): from the OS select's change event to the table showing
 * 50 rows of that OS, by requestAnimationFrame.
 */
const FILTER_TIMER = `(want) => new Promise((resolve) => {
  const select = document.querySelector('select[name=os]');
  const start = performance.now();
  select.value = want;
  select.dispatchEvent(new Event('change', { bubbles: true }));
  const check = () => {
    const cells = Array.from(document.querySelectorAll('table.devices tbody tr td:nth-child(4)'));
    if (cells.length === 50 && cells.every((c) => c.textContent.startsWith(want))) resolve(performance.now() - start);
    else requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
})`;

const server = await startDashboardServer();
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
try {
  const t0 = performance.now();
  const { summary } = await seedFleet(server.handle.db, FLEET);
  await sql`insert into device_ladder (device_id, step, reason, deadline, failing_since, next_at, changed_at)
    select id,
      case when status = 'violation' then (case when abs(random()) % 3 = 0 then 'blocked' when abs(random()) % 2 = 0 then 'overdue' else 'notice' end) else 'compliant' end,
      case when status = 'violation' then 'violation' else 'compliant' end,
      failing_since, failing_since, null, last_seen_at
    from devices`.execute(server.handle.db);
  await sql`analyze`.execute(server.handle.db);
  console.log(`seeded ${FLEET} devices in ${fmt((performance.now() - t0) / 1000)} s: ${JSON.stringify(summary.byOs)}`);

  // An API token for the bare calls, and a logged-in browser page.
  const token = await adminApiToken(server.url, 'bench');
  const apiMs = async (path: string) => {
    const s = performance.now();
    const res = await fetch(`${server.url}/api/v1/admin/${path}`, { headers: { authorization: `Bearer ${token}` } });
    const body = (await res.json()) as { items?: unknown[] };
    if (!res.ok || body.items?.length === 0) throw new Error(`${path}: ${res.status}, ${body.items?.length} items`);
    return performance.now() - s;
  };

  const context = await browser.newContext({ locale: 'de-DE', viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${server.url}/admin/`);
  await page.locator('input[name=username]').fill('admin');
  await page.locator('input[name=password]').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Anmelden' }).click();
  await page.getByRole('heading', { name: 'Übersicht' }).waitFor();
  const rows = page.locator('table.devices tbody tr');

  const first: number[] = [];
  const filter: number[] = [];
  const apiFirst: number[] = [];
  const apiFilter: number[] = [];
  const overviewApi: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    await page.goto('about:blank');
    // Measured inside the page: performance.now() counts from the navigation's start.
    await page.goto(`${server.url}/admin/#/devices`, { waitUntil: 'commit' });
    const shown = await page.waitForFunction(
      () => (document.querySelectorAll('table.devices tbody tr').length === 50 ? performance.now() : 0),
      undefined,
      { polling: 'raf' },
    );
    first.push((await shown.jsonValue()) as number);
    await rows.nth(49).waitFor();
    const os = i % 2 === 0 ? 'linux' : 'macos';
    // From the select's change event to the table showing only that OS, timed inside the page.
    const took = (await page.evaluate(`(${FILTER_TIMER})(${JSON.stringify(os)})`)) as number;
    filter.push(took);
    apiFirst.push(await apiMs('devices?limit=50&sort=lastSeen&order=desc'));
    apiFilter.push(await apiMs(`devices?limit=50&os=${os}&sort=lastSeen&order=desc`));
    overviewApi.push(await apiMs('overview').catch(() => NaN));
  }
  // The other filters' bare API time (one run each, after the runs above warmed the caches).
  const others: [string, string][] = [
    ['state=blocked', 'devices?limit=50&state=blocked'],
    ['state=never', 'devices?limit=50&state=never'],
    ['search=AMT10-NB-00', 'devices?limit=50&search=AMT10-NB-00'],
    ['app=kik', 'devices?limit=50&app=kik'],
    ['policyVersion=1', 'devices?limit=50&policyVersion=1'],
  ];
  const otherRows: (string | number)[][] = [];
  for (const [name, path] of others) {
    try {
      const ms = [await apiMs(path), await apiMs(path), await apiMs(path)];
      otherRows.push([`API devices ${name}`, fmt(median(ms)), fmt(Math.max(...ms)), '']);
    } catch (err) {
      otherRows.push([`API devices ${name}`, 'n/a', 'n/a', String((err as Error).message)]);
    }
  }
  const row = (name: string, xs: number[], goal: string) => [name, fmt(median(xs)), fmt(Math.max(...xs)), goal];
  console.log(
    `\n${FLEET} devices, ${RUNS} runs, ${cpus().length} cores, load ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}\n`,
  );
  console.log(
    table([
      ['what', 'median ms', 'max ms', 'goal'],
      row('browser: navigation → first page shown', first, '< 1000'),
      row('API: same first page (GET devices?limit=50)', apiFirst, ''),
      row('browser: OS filter change → rows shown', filter, '< 300'),
      row('API: same filtered page', apiFilter, ''),
      row(
        'API: overview (counts, top apps, silent)',
        overviewApi.filter((x) => !Number.isNaN(x)),
        '',
      ),
      ...otherRows,
    ]),
  );
} finally {
  await browser.close();
  await server.close();
}
