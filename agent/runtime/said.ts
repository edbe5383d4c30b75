import type { Schedule } from './schedule.js';

/** The problems a turn says once while they last; the schedule carries what was said from turn to turn. */
export type Said = Schedule['said'];
type SaidKey = 'stateFile' | 'queue' | 'transport';

/**
 * Says a problem once while it lasts: `say` runs when `problem` (a short key: an error code, a message) is new or
 * another than the one said before, not on every turn while the same one goes on.
 */
export function sayOnce(said: Said, key: SaidKey, problem: string, say: () => void): void {
  if (said[key] !== problem) say();
  said[key] = problem;
}

/** The problem under `key` is over: `say` runs if one had been said (so that the log says it recovered). */
export function sayOver(said: Said, key: SaidKey, say: () => void): void {
  if (said[key] !== undefined) say();
  delete said[key];
}
