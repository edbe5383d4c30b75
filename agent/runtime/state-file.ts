import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../state/files.js';

/**
 * The agent state file's name, and the one change the resident supervisor makes to it. Kept apart from state.ts so
 * the supervisor does not load zod (state.ts validates the whole file; see supervisor.ts on memory).
 */
export const RUNTIME_STATE_FILE = 'agent-state.json';

/**
 * Records a clean stop (`agent.stoppedAt`) in the state file the turns wrote. The caller makes sure no turn runs.
 * A file that is missing or does not parse is left alone: the next turn moves a corrupt one aside and says so.
 */
export async function markStateStopped(stateDir: string, at: Date): Promise<boolean> {
  const path = join(stateDir, RUNTIME_STATE_FILE);
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
