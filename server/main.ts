/**
 * `npm run server`: start the Appwacht server.
 * stdout: one JSON line `{"appwacht":"ready",…}` (see ServerInfo) followed by the request log (JSON lines);
 * stderr: a short human-readable banner. Exit codes: 0 after SIGTERM/SIGINT, 1 on a runtime failure, 2 on bad configuration.
 */
import { ConfigError } from './errors.js';
import { loadConfig } from './config.js';
import { startServer } from './start.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env, process.argv.slice(2));
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`appwacht server: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }

  let server;
  try {
    server = await startServer(config);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`appwacht server: ${err.message}\n`);
      process.exit(2);
    }
    const e = err as NodeJS.ErrnoException;
    process.stderr.write(`appwacht server: cannot start: ${e.code ? `${e.code}: ` : ''}${e.message}\n`);
    process.exit(1);
  }

  const { info, boot } = server;
  // Before the ready line: stdout is synchronous on a pipe, so whoever reads it may signal us right away.
  const stop = (signal: string) => {
    server.app.log.info({ signal }, 'shutting down');
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`appwacht server: shutdown failed: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  const lines = [
    `Appwacht server listening on ${info.url}  (database: ${info.database}, data: ${info.dataDir})`,
    info.enrollmentSecret !== undefined
      ? `  Enrollment secret / Registrierungsgeheimnis: ${info.enrollmentSecret}`
      : '  Enrollment secret: not shown again (GET /api/v1/admin/enrollment-secret, or APPWACHT_PRINT_ENROLLMENT_SECRET=true)\n' +
        '  Registrierungsgeheimnis: nicht erneut angezeigt (GET /api/v1/admin/enrollment-secret oder APPWACHT_PRINT_ENROLLMENT_SECRET=true)',
    `  Policy public key / Öffentlicher Richtlinienschlüssel: ${info.publicKey}  (key id ${info.keyId})`,
  ];
  if (boot.firstAdmin) {
    lines.push(
      `  First admin / Erster Admin: ${boot.firstAdmin.username}` +
        (boot.firstAdmin.generated
          ? `  password / Passwort: ${boot.firstAdmin.password}`
          : '  (password from APPWACHT_ADMIN_PASSWORD)'),
      '  This password is shown only now. / Dieses Passwort wird nur jetzt angezeigt.',
    );
  }
  if (!config.tls && !['127.0.0.1', '::1', 'localhost'].includes(config.host)) {
    lines.push('  WARNING: listening beyond loopback without TLS; put a TLS proxy in front or set APPWACHT_TLS_CERT/KEY.');
    lines.push('  WARNUNG: erreichbar ohne TLS; einen TLS-Proxy vorschalten oder APPWACHT_TLS_CERT/KEY setzen.');
  }
  process.stderr.write(lines.join('\n') + '\n');
  // Last: whoever waits for this line can rely on everything above being done.
  process.stdout.write(JSON.stringify(info) + '\n');
}

await main();
