import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import type { ServerConfig } from './config.js';
import { openDatabase, type DatabaseHandle } from './db/connect.js';
import { ownerOnlyFile } from './services/owner-only.js';
import { bootstrapDatabase, loadOrCreateSecrets, SECRET_FILES, type BootstrapResult } from './services/bootstrap.js';

/** What an installer, an operator or a test spawning the server needs to know. Also written to `<data>/server.json`. */
export interface ServerInfo {
  appwacht: 'ready';
  url: string;
  port: number;
  host: string;
  pid: number;
  database: 'sqlite' | 'postgres';
  dataDir: string;
  /** base64 of the raw Ed25519 public key the agents pin (installer property). */
  publicKey: string;
  keyId: string;
  /**
   * Only on the start that created it, or with APPWACHT_PRINT_ENROLLMENT_SECRET=true: stdout usually ends up in a
   * journal others can read. Later: `<data>/enrollment-secret` or GET /api/v1/admin/enrollment-secret.
   */
  enrollmentSecret?: string;
  policyVersion: number | null;
}

export interface RunningServer {
  app: FastifyInstance;
  handle: DatabaseHandle;
  info: ServerInfo;
  boot: BootstrapResult;
  /** Always, for whoever runs the server in-process (tests, benchmarks); printed only as ServerInfo says. */
  enrollmentSecret: string;
  close(): Promise<void>;
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/** Secrets, database, migrations, first-start data, then listen. Everything main.ts does except printing. */
export async function startServer(
  config: ServerConfig,
  opts: { logger?: boolean | { level: string } } = {},
): Promise<RunningServer> {
  const secrets = loadOrCreateSecrets(config.dataDir);
  const handle = openDatabase(config.database);
  try {
    const boot = await bootstrapDatabase(handle, config, secrets);
    const app = await buildApp(config, {
      handle,
      secrets,
      pruneOnTimer: true,
      escalationOnTimer: true,
      ...(opts.logger !== undefined ? { logger: opts.logger } : {}),
    });
    await app.listen({ port: config.port, host: config.host });
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.port;
    const info: ServerInfo = {
      appwacht: 'ready',
      url: config.publicUrl ?? `${config.tls ? 'https' : 'http'}://${urlHost(config.host)}:${port}`,
      port,
      host: config.host,
      pid: process.pid,
      database: handle.dialect,
      dataDir: config.dataDir,
      publicKey: secrets.publicKey,
      keyId: secrets.keyId,
      ...(secrets.created.includes(SECRET_FILES.enrollmentSecret) || config.printEnrollmentSecret
        ? { enrollmentSecret: secrets.enrollmentSecret }
        : {}),
      policyVersion: (await app.appwacht.policies.current())?.version ?? null,
    };
    const infoFile = join(config.dataDir, 'server.json');
    writeFileSync(infoFile, JSON.stringify(info, null, 2) + '\n', { mode: 0o600 });
    ownerOnlyFile(infoFile); // the mode above applies only when the file is new
    let closed: Promise<void> | null = null;
    return {
      app,
      handle,
      info,
      boot,
      enrollmentSecret: secrets.enrollmentSecret,
      close: () =>
        (closed ??= (async () => {
          await app.close();
          await handle.close();
        })()),
    };
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw err;
  }
}
