// Child process for delivery.test.ts: the agent side of report delivery, killed at random moments.
//   produce: enqueue reports continuously while the reporter delivers them ("try <id>" / "ok <id>" per enqueue)
//   drain:   deliver what is queued, print "drained" and exit
// Real parts: the Outbox on disk, the Reporter, the API client (agent/transport/api-client.ts) over real HTTP.
import { writeSync } from 'node:fs';
import { Outbox } from '../../../../agent/outbox/outbox.js';
import { Reporter } from '../../../../agent/report/reporter.js';
import { createApiClient } from '../../../../agent/transport/api-client.js';
import { report } from '../../../helpers/sample-reports.js';

const [dir, serverUrl, mode] = process.argv.slice(2) as [string, string, 'produce' | 'drain'];
const say = (line: string) => writeSync(1, line + '\n');

const outbox = await Outbox.open({ dir, maxEntries: 1_000_000, maxBytes: 1e12 });
const client = createApiClient({ serverUrl, fetch: globalThis.fetch, getToken: () => 'stand-in-token', timeoutMs: 5_000 });
const reporter = new Reporter({
  outbox,
  deliver: (r) => client.postReport(r),
  onUnauthorized: async () => false,
  // Short waits: the test is about kills, not about waiting.
  backoff: { baseMs: 10, capMs: 200 },
});
const stop = new AbortController();
void reporter.run(stop.signal);
say('ready');

if (mode === 'drain') {
  const timer = setInterval(() => {
    if (outbox.size === 0) {
      clearInterval(timer);
      say(`drained ${JSON.stringify(reporter.stats.delivered)}`);
      stop.abort();
      process.exit(0);
    }
  }, 10);
} else {
  for (;;) {
    const r = report({ kind: 'change' });
    say(`try ${r.reportId}`);
    await outbox.enqueue(r);
    say(`ok ${r.reportId}`);
    await new Promise((res) => setTimeout(res, Math.random() * 10));
  }
}
