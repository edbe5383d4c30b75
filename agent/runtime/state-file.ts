import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../state/files.js';
import { statePath } from '../state/names.js';

/**
 * The one change the resident supervisor makes to the agent state file. Kept apart from state.ts so the supervisor
 * does not load zod (state.ts validates the whole file; see agent/runtime/README.md).
 *
 * Records a clean stop (`agent.stoppedAt`) in the state file the turns wrote. The caller makes sure no turn runs.
 * A file that is missing or does not parse is left alone: the next turn moves a corrupt one aside and says so.
 */
export async function markStateStopped(stateDir: string, at: Date): Promise<boolean> {
  const path = statePath(stateDir, 'runtimeState');
  let state: { agent?: { stoppedAt?: string | null } };
  try {
    state = JSON.parse(await readFile(path, 'utf8')) as typeof state;
  } catch {
    return false;
  }
  if (typeof state !== 'object' || state === null || typeof state.agent !== 'object' || state.agent === null) return false;
  state.agent.stoppedAt = at.toISOString();
  await writeFileAtomic(path, JSON.stringify(state) + '\n', 0o600);
  return true;
}
