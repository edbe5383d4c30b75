/**
 * The baseline of bench:server: bare Fastify routes on the same machine, driven by the same load generator with the
 * same connections as the real server. They do the HTTP and JSON work only (parse the same report body, answer the
 * same 304), so the gap to the Appwacht server is what validation, auth, the database and durability cost.
 * Prints one JSON line `{"baseline":"ready","url":…,"port":…,"etag":…}` on stdout; SIGTERM closes it.
 */
import Fastify from 'fastify';

const BASELINE_ETAG = '"baseline-policy-v1"';

const app = Fastify({ logger: false });

app.post('/baseline/reports', async (req, reply) => {
  const body = req.body as { reportId?: unknown };
  return reply.code(201).send({ reportId: body.reportId, stored: true });
});

// bench:escalation: what a Dovecot policy answer costs without a decision (parse the JSON, answer status 0).
app.post('/baseline/dovecot', async (req) => {
  const body = req.body as { login?: unknown };
  return { status: typeof body.login === 'string' ? 0 : -1, msg: '' };
});

app.get('/baseline/policy', async (req, reply) => {
  reply.header('etag', BASELINE_ETAG).header('cache-control', 'private, no-cache');
  if (req.headers['if-none-match'] === BASELINE_ETAG) return reply.code(304).send();
  return { policy: 'baseline' };
});

await app.listen({ port: 0, host: '127.0.0.1' });
const addr = app.server.address();
const port = typeof addr === 'object' && addr ? addr.port : 0;
process.once('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
process.stdout.write(JSON.stringify({ baseline: 'ready', url: `http://127.0.0.1:${port}`, port, etag: BASELINE_ETAG }) + '\n');
