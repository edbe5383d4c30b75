// Child for supervisor.test.ts: holds the turn lock of <stateDir> like a turn whose supervisor was killed, until killed.
import { writeSync } from 'node:fs';
import { takeTurnLock } from '../../../../agent/runtime/turn-lock.js';

const taken = await takeTurnLock(process.argv[2]!);
if (taken.status !== 'taken') {
  process.stderr.write(`turn lock not taken: ${taken.status}\n`);
  process.exit(2);
}
process.on('exit', () => taken.lock.releaseSync());
writeSync(1, 'locked\n');
setInterval(() => {}, 60_000);
