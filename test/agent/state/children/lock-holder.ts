// Child process for lock.test.ts. Behaves like the start of `appwacht run`: take the instance lock or say that
// another instance runs and exit 2 (the CLI's ExitCode.ERROR; the CLI prints AppwachtErrors the same way).
//   hold <stateDir>               take the lock, print "locked", keep running until killed
//   race <stateDir>               print "loaded", wait for SIGUSR2, try once: print "won" and hold until killed, or exit 2
import { writeSync } from 'node:fs';
import { AppwachtError } from '../../../../agent/errors.js';
import { acquireInstanceLock } from '../../../../agent/state/lock.js';

const [mode, stateDir] = process.argv.slice(2) as ['hold' | 'race', string];
const lang = process.env.APPWACHT_TEST_LANG === 'de' ? 'de' : 'en';

if (mode === 'race') {
  // A signal listener alone does not keep the event loop alive; the interval does.
  const keepAlive = setInterval(() => {}, 1000);
  const go = new Promise((r) => process.once('SIGUSR2', r));
  writeSync(1, 'loaded\n');
  await go;
  clearInterval(keepAlive);
}
try {
  const lock = await acquireInstanceLock(stateDir, { lang });
  process.on('exit', () => lock.releaseSync());
  writeSync(1, mode === 'race' ? 'won\n' : 'locked\n');
  setInterval(() => {}, 60_000);
} catch (err) {
  if (err instanceof AppwachtError) process.stderr.write(`appwacht: ${err.message} [${err.code}]\n`);
  else process.stderr.write(`appwacht: ${String(err)}\n`);
  process.exit(2);
}
