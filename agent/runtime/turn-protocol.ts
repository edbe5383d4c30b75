import type { LogLevel } from '../log.js';
import type { Schedule } from './schedule.js';

/**
 * The messages between the supervisor (`appwacht run`) and a turn (`appwacht run --turn`, its child) over Node's IPC
 * channel. One exchange per child:
 *
 *   turn → supervisor   hello   the config it resolved (the supervisor needs the state folder and log level, and does
 *                               not load the config machinery itself)
 *   supervisor → turn   turn    what to do: the schedule, a scan request, the state folder the supervisor locked
 *   turn → supervisor   result  the new schedule (and the state, if it could not be written) — or busy: another turn
 *                               holds the turn lock (one of an earlier supervisor that was killed)
 *   supervisor → turn   stop    finish the current step, save and exit (SIGTERM of the supervisor)
 *
 * A turn whose channel closes (its supervisor was killed) finishes its work alone and exits; it never runs longer than
 * its budget, and the next supervisor waits for its turn lock.
 */
export interface HelloMessage {
  type: 'hello';
  stateDir: string;
  logLevel: LogLevel;
  serverUrl: string | null;
  /** machine: the supervisor must run as root/SYSTEM and serves the tray channel (agent/channel/). */
  agentMode?: 'machine' | 'user';
  /**
   * The turn needs WebAssembly: it talks to the server through a proxy, i.e. with undici, whose HTTP parser is
   * WebAssembly. A turn started with --jitless has none; the supervisor stops it and starts it again without.
   */
  needsWasm?: boolean;
}

export interface TurnMessage {
  type: 'turn';
  /** The state folder the supervisor holds the instance lock of; the turn uses it whatever its config says now. */
  stateDir: string;
  /** What the last turn answered (at the first turn of a run: schedule.json as the previous run left it); null: none. */
  schedule: Schedule | null;
  /** The agent state the previous turn could not write (full disk), as it left it. */
  unsaved?: unknown;
  /** Why a full evaluation is wanted now (the process watch saw a banned app start or exit). */
  scanRequest?: string;
  /** The first turn of this run: starts the schedule afresh and announces recovered reports. */
  firstOfRun: boolean;
  supervisor: { pid: number; startedAt: string };
  /** The turn is killed after this long; it stops itself a little later should its supervisor be gone. */
  budgetMs: number;
}

export interface ResultMessage {
  type: 'result';
  schedule: Schedule;
  unsaved?: unknown;
  /** For the supervisor's "turn done" line: what the turn cost (CPU from its start, and of the turn's work alone). */
  usage: { cpuMs: number; workCpuMs: number; maxRssMiB: number; trigger?: string };
}

export type FromTurn = HelloMessage | ResultMessage | { type: 'busy'; holderPid?: number };
export type ToTurn = TurnMessage | { type: 'stop' };
