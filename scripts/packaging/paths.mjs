// Where the packaging scripts read and write. Everything they produce lives below out/ (git-ignored).
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const OUT = join(REPO, 'out');
/** The agent as installers ship it: bin/, dist/cli/, assets/, package.json and the few packages left outside the bundle. */
export const STAGE_AGENT = join(OUT, 'stage', 'agent');
/** out/stage/runtime/<os>-<arch>: the Node runtime per target (electron-builder's ${os}-${arch}). */
export const STAGE_RUNTIME = join(OUT, 'stage', 'runtime');
