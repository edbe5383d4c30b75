// Child process for durability.test.ts: enqueues reports as fast as it can until killed.
// Prints "ready" once the outbox is open, "try <id>" before and "ok <id>" after each enqueue resolved.
// Each line is written synchronously (fd 1), so what the parent reads was printed before the kill.
import { writeSync } from 'node:fs';
import { Outbox } from '../../../../agent/outbox/outbox.js';
import { report } from '../../../helpers/sample-reports.js';

const dir = process.argv[2]!;
const say = (line: string) => writeSync(1, line + '\n');

const outbox = await Outbox.open({ dir, maxEntries: 1_000_000, maxBytes: 1e12 });
say('ready');
for (;;) {
  const r = report({ kind: 'change' });
  say(`try ${r.reportId}`);
  await outbox.enqueue(r);
  say(`ok ${r.reportId}`);
}
