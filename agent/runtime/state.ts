import { mkdir } from 'node:fs/promises';
import { z } from 'zod';
import { ComplianceState, ComplianceStatus, Report, RuleAction } from '../../protocol/index.js';
import { describeError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import { readJsonState, writeFileAtomic, type StateFileError } from '../state/files.js';
import { statePath } from '../state/names.js';

/**
 * What the background agent remembers between runs and what `appwacht status` shows: one JSON file in the state folder,
 * written atomically after every turn. It holds the last fingerprint (so a restart does not send a spurious "change"),
 * the reports that are committed but not yet in the outbox (`pending`, see loop.ts), and the last known state for status.
 */

const Iso = z.iso.datetime({ offset: true });

const Fingerprint = z.strictObject({
  status: ComplianceStatus,
  deadline: z.string().nullable(),
  pastDeadline: z.boolean(),
  apps: z.array(z.strictObject({ appId: z.string(), evidence: z.array(z.string()) })),
});

const Problem = z.strictObject({ at: Iso, code: z.string().max(100), message: z.string().max(500) });
export type Problem = z.infer<typeof Problem>;

export const RuntimeState = z.strictObject({
  format: z.literal('appwacht-agent-state'),
  version: z.literal(1),
  updatedAt: Iso,
  /**
   * How often this state was saved (counted before each write, so a write that failed still counts). A turn that gets
   * the state handed over in memory (disk full) and finds the file on disk further along knows the file is newer.
   */
  seq: z.number().int().nonnegative().optional(),
  agent: z.strictObject({
    /** The long-lived process (`appwacht run`'s supervisor, or the in-process agent), not a short-lived turn. */
    pid: z.number().int(),
    agentVersion: z.string(),
    startedAt: Iso,
    /** Set on a clean stop; a crash or SIGKILL leaves it null (status then asks the lock whether it still runs). */
    stoppedAt: Iso.nullable(),
  }),
  /** server: a server is configured (reports are queued even while not enrolled); local: none, bundled policy. */
  mode: z.enum(['server', 'local']),
  server: z.string().nullable(),
  enrollment: z.strictObject({
    enrolled: z.boolean(),
    deviceId: z.string().optional(),
    reason: z.string().optional(),
    message: z.string().max(500).optional(),
    retryAt: Iso.optional(),
  }),
  policy: z
    .strictObject({
      origin: z.enum(['server', 'cache', 'bundled']),
      /** The policy document's version (the bundled one has its own). */
      version: z.number().int(),
      /** What reports carry: null on the bundled policy. */
      reportVersion: z.number().int().nullable(),
      organization: z.string(),
      expired: z.boolean(),
      reason: z.string().max(500).optional(),
      lastRefresh: z
        .strictObject({
          at: Iso,
          outcome: z.enum(['updated', 'not-modified', 'rejected', 'failed', 'skipped']),
          code: z.string().optional(),
          message: z.string().max(500).optional(),
        })
        .optional(),
      /** The last policy the server sent that failed verification; cleared when a good one arrives. */
      rejected: Problem.optional(),
    })
    .nullable(),
  lastScan: z
    .strictObject({
      at: Iso,
      durationMs: z.number(),
      trigger: z.string().max(200),
      state: ComplianceState,
      findings: z.array(
        z.strictObject({
          appId: z.string(),
          name: z.string(),
          action: RuleAction,
          evidence: z.array(z.enum(['installed', 'running'])),
        }),
      ),
      failedSources: z.array(z.strictObject({ id: z.string(), error: z.string() })),
    })
    .nullable(),
  lastFingerprint: Fingerprint.nullable(),
  lastReport: z.strictObject({ reportId: z.string(), kind: z.enum(['change', 'heartbeat']), at: Iso }).nullable(),
  lastDelivery: z.strictObject({ reportId: z.string(), at: Iso, stored: z.boolean() }).nullable(),
  lastDeliveryError: Problem.nullable(),
  lastError: Problem.nullable(),
  /** Committed reports not yet known to be in the outbox; bounded so a long full disk cannot grow the file without end. */
  pending: z.array(Report).max(100),
});
export type RuntimeState = z.infer<typeof RuntimeState>;

export const MAX_PENDING = 100;

export function emptyState(now: Date, pid: number, agentVersion: string): RuntimeState {
  return {
    format: 'appwacht-agent-state',
    version: 1,
    updatedAt: now.toISOString(),
    agent: { pid, agentVersion, startedAt: now.toISOString(), stoppedAt: null },
    mode: 'local',
    server: null,
    enrollment: { enrolled: false },
    policy: null,
    lastScan: null,
    lastFingerprint: null,
    lastReport: null,
    lastDelivery: null,
    lastDeliveryError: null,
    lastError: null,
    pending: [],
  };
}

/** A problem as the state file keeps it: a code to branch on and a one-line message. */
export function problem(err: unknown, now: Date, fallbackCode = 'UNEXPECTED'): Problem {
  const code = (err as { code?: unknown } | null)?.code;
  return {
    at: now.toISOString(),
    code: typeof code === 'string' ? code.slice(0, 100) : fallbackCode,
    message: describeError(err).slice(0, 500),
  };
}

/**
 * The agent's copy of the state, with serialised atomic saves. One process owns it (the instance lock);
 * `appwacht status` only reads (readRuntimeState), never moves or rewrites it.
 */
export class RuntimeStateStore {
  private chain: Promise<unknown> = Promise.resolve();
  readonly path: string;

  private constructor(
    private readonly stateDir: string,
    public state: RuntimeState,
  ) {
    this.path = statePath(stateDir, 'runtimeState');
  }

  /**
   * Reads the previous run's state. A corrupt file is moved aside and logged, an unreadable one logged; either way the
   * agent starts from a fresh state (the price: one "first state" change report, said in the log).
   *
   * `continueRun`: a later turn of the same run (supervisor.ts) — the problems recorded so far stay for `status`;
   * otherwise they are the previous run's history and are cleared. `agent` names the long-lived process either way.
   */
  static async load(
    stateDir: string,
    options: {
      log?: Logger;
      now?: Date;
      pid?: number;
      startedAt?: Date;
      agentVersion: string;
      continueRun?: boolean;
    },
  ): Promise<{ store: RuntimeStateStore; previous: RuntimeState | undefined }> {
    const log = options.log ?? silentLogger;
    const now = options.now ?? new Date();
    const pid = options.pid ?? process.pid;
    const path = statePath(stateDir, 'runtimeState');
    let previous: RuntimeState | undefined;
    try {
      const read = await readJsonState(path, (v) => RuntimeState.parse(v));
      if (read.status === 'ok') previous = read.value;
      if (read.status === 'corrupt')
        log.warn('agent state file was corrupt; moved aside, starting fresh', { movedTo: read.movedTo, reason: read.reason });
    } catch (err) {
      log.error('agent state file unreadable; starting fresh', { path, error: err });
    }
    const fresh = emptyState(options.startedAt ?? now, pid, options.agentVersion);
    const state: RuntimeState = previous
      ? {
          ...previous,
          agent: fresh.agent,
          // A problem from the previous run is history; what counts is what happens now.
          ...(options.continueRun ? {} : { lastError: null, lastDeliveryError: null }),
        }
      : fresh;
    return { store: new RuntimeStateStore(stateDir, state), previous };
  }

  /** A state handed over in memory (the previous turn could not write it), continued as this store's. */
  static handedOver(stateDir: string, state: unknown): RuntimeStateStore {
    return new RuntimeStateStore(stateDir, RuntimeState.parse(state));
  }

  /**
   * Writes the state as it is when the write starts. Saves run one after another; each resolves once its own write is
   * durable or rejects with StateFileError (DISK_FULL, WRITE_FAILED): the caller decides what that means.
   */
  save(now: Date = new Date()): Promise<void> {
    const run = async () => {
      this.state.updatedAt = now.toISOString();
      this.state.seq = (this.state.seq ?? 0) + 1;
      const text = JSON.stringify(this.state) + '\n';
      try {
        await writeFileAtomic(this.path, text, 0o600);
      } catch (err) {
        if ((err as StateFileError).code === 'WRITE_FAILED' && (err as { cause?: { code?: string } }).cause?.code === 'ENOENT') {
          // The state folder itself is gone (deleted under us): recreate it once.
          await mkdir(this.stateDir, { recursive: true, mode: 0o700 });
          await writeFileAtomic(this.path, text, 0o600);
          return;
        }
        throw err;
      }
    };
    const next = this.chain.then(run, run);
    this.chain = next.catch(() => {});
    return next;
  }
}
