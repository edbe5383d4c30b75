/**
 * A real Appwacht server over real HTTP for the dashboard's browser tests and its benchmark: a fresh SQLite file,
 * the dashboard built by esbuild into a temp folder, listening on 127.0.0.1. `restart()` closes the server and opens it
 * again on the same port and database (the "server restarted under an open page" fault).
 */
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../server/app.js';
import { openDatabase, type DatabaseHandle } from '../../server/db/connect.js';
import { bootstrapDatabase, loadOrCreateSecrets } from '../../server/services/bootstrap.js';
import { ADMIN_PASSWORD, tempDir, testConfig } from '../server/helpers.js';
// @ts-expect-error: a plain .mjs build script without types
import { buildWeb } from '../../scripts/build-web.mjs';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking'];
export { ADMIN_PASSWORD };

export interface DashboardServer {
  url: string;
  app: FastifyInstance;
  handle: DatabaseHandle;
  enrollmentSecret: string;
  restart(): Promise<void>;
  stop(): Promise<void>;
  close(): Promise<void>;
}

export async function startDashboardServer(env: Record<string, string> = {}): Promise<DashboardServer> {
  const tmp = tempDir('appwacht-web-');
  const webDir = (await buildWeb(`${tmp.dir}/web`)) as string;
  const config = testConfig(tmp.dir, { APPWACHT_LOGIN_RATE_LIMIT: '100', ...env });
  const secrets = loadOrCreateSecrets(tmp.dir);
  let handle = openDatabase({ kind: 'sqlite', file: `${tmp.dir}/appwacht.sqlite`, synchronous: 'normal' });
  await bootstrapDatabase(handle, config, secrets);
  let port = 0;
  const open = async () => {
    const app = await buildApp(config, { handle, secrets, logger: false, webDir });
    await app.listen({ host: '127.0.0.1', port });
    port = (app.server.address() as { port: number }).port;
    return app;
  };
  let running: FastifyInstance | null = await open();
  const s: DashboardServer = {
    url: `http://127.0.0.1:${port}`,
    enrollmentSecret: secrets.enrollmentSecret,
    get app() {
      return running!;
    },
    get handle() {
      return handle;
    },
    async stop() {
      await running?.close();
      running = null;
      await handle.close();
    },
    async restart() {
      await s.stop();
      handle = openDatabase({ kind: 'sqlite', file: `${tmp.dir}/appwacht.sqlite`, synchronous: 'normal' });
      running = await open();
    },
    async close() {
      if (running) await s.stop();
      tmp.remove();
    },
  };
  return s;
}

/** An admin API token over real HTTP, the way an admin gets one: log in (session + CSRF), then create it. */
export async function adminApiToken(url: string, name: string): Promise<string> {
  const login = await fetch(`${url}/api/v1/admin/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
  });
  const cookie = login.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const { csrfToken } = (await login.json()) as { csrfToken: string };
  const res = await fetch(`${url}/api/v1/admin/tokens`, {
    method: 'POST',
    headers: { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  if (!res.ok) throw new Error(`API token: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}
