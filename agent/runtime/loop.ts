import type { Policy, Report, ReportAck } from '../../protocol/index.js';
import { describeError } from '../errors.js';
import type { Enrollment, EnrollmentState } from '../enroll/enroll.js';
import type { Logger } from '../log.js';
import { Outbox } from '../outbox/outbox.js';
import type { PolicyClient, PolicyInForce, RefreshOutcome } from '../policy/client.js';
import type { Evaluation } from '../policy/evaluate.js';
import { buildReport, fingerprint, stateChanges, type ReportKind, type StateFingerprint } from '../report/build.js';
import { Reporter, type StopReason } from '../report/reporter.js';
import type { BackoffOptions } from '../report/backoff.js';
import type { ScanResult } from '../scan.js';
import { StateFileError } from '../state/files.js';
import type { ApiClient } from '../transport/api-client.js';
import { AGENT_VERSION } from '../version.js';
import { loopIntervals, type IntervalOverrides, type LoopIntervals } from './intervals.js';
import { MAX_PENDING, problem, type RuntimeState, type RuntimeStateStore } from './state.js';

export interface LoopServer {
  url: string;
  api: ApiClient;
  enrollment: Enrollment;
  /** The outbox folder (`<state folder>/outbox`). */
  outboxDir: string;
  backoff?: BackoffOptions;
}

export interface LoopOptions {
  log: Logger;
  store: RuntimeStateStore;
  policyClient: PolicyClient;
  /** One full evaluation against a policy (scan-target.ts). */
  scan: (policy: Policy) => Promise<ScanResult>;
  /** Undefined: local mode, nothing is reported. */
  server?: LoopServer;
  /** The notification service's onEvaluation; undefined when notifications are off. */
  notify?: (evaluation: Evaluation, policy: Policy, now: Date) => Promise<unknown>;
  overrides?: IntervalOverrides;
  /** Called whenever another policy comes into force (the process watch recompiles its names). */
  onPolicy?: (inForce: PolicyInForce) => void;
  now?: () => Date;
}

/** After an unexpected error in a scan turn, the next try waits at most this long (or the scan interval, if shorter). */
const FAILED_TURN_RETRY_MS = 60_000;
/** Deliveries update the state file at most this often (status shows "last delivery"; no write per report). */
const DELIVERY_SAVE_DEBOUNCE_MS = 1_000;

/**
 * The background loop of `appwacht run`: one turn at a time (refresh the policy when due, then scan when due or asked),
 * so no two turns ever race for the state. The reporter runs beside it and delivers the outbox.
 *
 * Reports are committed in a fixed order so that neither SIGKILL nor a full disk loses or doubles a state transition:
 *   1. the report is built (its id is fixed now) and written into the state file together with the new fingerprint
 *      (`pending`) — the commit point; the log line "state changed" follows it;
 *   2. it is enqueued into the outbox; 3. it is dropped from `pending`.
 * A run killed after 1 re-enqueues the same report (same id) on start; the server stores an id once. A run killed
 * before 1 has not recorded the transition and sees it again on the next scan. A full disk keeps the report in memory
 * and retries every turn.
 */
export class AgentLoop {
  private inForce: PolicyInForce | undefined;
  private intervals: LoopIntervals | undefined;
  private nextScanAt = 0;
  private nextRefreshAt = 0;
  private nextHeartbeatAt = Infinity;
  private scanRequest: string | undefined;
  private wake: (() => void) | undefined;
  private outbox: Outbox | undefined;
  private reporter: Reporter | undefined;
  private reporterRun: Promise<StopReason> | undefined;
  private reporterAbort = new AbortController();
  private notifying: Promise<unknown> | undefined;
  private saveTimer: NodeJS.Timeout | undefined;
  private warnedUnknown = new Set<string>();
  private lastSaveProblem: string | undefined;
  private lastQueueProblem: string | undefined;
  private readonly now: () => Date;
  private readonly log: Logger;

  constructor(private readonly options: LoopOptions) {
    this.now = options.now ?? (() => new Date());
    this.log = options.log.child({ component: 'loop' });
  }

  private get state(): RuntimeState {
    return this.options.store.state;
  }

  /** The policy in force (after start). */
  get policy(): PolicyInForce | undefined {
    return this.inForce;
  }

  /** Asks for a full evaluation as soon as the current turn is done (process watch, policy change). */
  requestScan(reason: string): void {
    this.scanRequest ??= reason;
    this.wake?.();
  }

  /** Runs until `signal` aborts; then finishes the current turn, stops the reporter and saves the state. */
  async run(signal: AbortSignal): Promise<void> {
    await this.start();
    while (!signal.aborted) {
      await this.turn(signal);
      if (signal.aborted) break;
      await this.sleep(signal);
    }
    await this.stop();
  }

  private async start(): Promise<void> {
    const { server } = this.options;
    if (this.state.server !== (server?.url ?? null) && (this.state.lastFingerprint || this.state.lastReport)) {
      // Another server (or none before) knows nothing of this device's state: start its history with a first report.
      this.log.info('server changed since the last run; the current state is reported afresh', {
        before: this.state.server,
        now: server?.url ?? null,
      });
      this.state.lastFingerprint = null;
      this.state.lastReport = null;
    }
    this.state.mode = server ? 'server' : 'local';
    this.state.server = server?.url ?? null;
    for (const r of this.state.pending)
      this.log.info('report recovered from an interrupted run', { reportId: r.reportId, kind: r.kind });
    if (!server) this.state.pending = [];
    this.setPolicy(await this.options.policyClient.current());
    if (!server)
      this.log.info('local mode: no server configured, nothing is reported', {
        policy: 'bundled',
        reason: this.inForce?.reason,
      });
    const lastReportAt = this.state.lastReport ? Date.parse(this.state.lastReport.at) : NaN;
    this.nextHeartbeatAt = server
      ? Number.isNaN(lastReportAt)
        ? this.now().getTime()
        : lastReportAt + this.intervals!.heartbeatMs
      : Infinity;
    await this.saveState();
  }

  private async turn(signal: AbortSignal): Promise<void> {
    const { server } = this.options;
    if (server && this.now().getTime() >= this.nextRefreshAt) {
      try {
        await this.refreshTurn(server, signal);
      } catch (err) {
        this.turnFailed('policy refresh', err);
        this.nextRefreshAt = this.now().getTime() + this.intervals!.refreshRetryMs;
      }
    }
    try {
      if (server) await this.openOutbox(server, signal);
      await this.flushPending();
      const now = this.now().getTime();
      const trigger =
        this.scanRequest ?? (now >= this.nextScanAt ? 'interval' : now >= this.nextHeartbeatAt ? 'heartbeat' : undefined);
      if (trigger !== undefined) {
        this.scanRequest = undefined;
        await this.scanTurn(trigger);
      }
    } catch (err) {
      this.turnFailed('scan', err);
      this.scanRequest = undefined;
      this.nextScanAt = this.now().getTime() + Math.min(this.intervals!.scanMs, FAILED_TURN_RETRY_MS);
    }
  }

  private sleep(signal: AbortSignal): Promise<void> {
    if (this.scanRequest !== undefined || signal.aborted) return Promise.resolve();
    const until = Math.min(this.nextScanAt, this.nextHeartbeatAt, this.options.server ? this.nextRefreshAt : Infinity);
    const ms = Math.max(0, until - this.now().getTime());
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.wake = undefined;
        resolve();
      };
      // setTimeout's limit is 2^31-1 ms (~24.8 days); a longer wait simply wakes up once more.
      const timer = setTimeout(done, Math.min(ms, 2 ** 31 - 1));
      signal.addEventListener('abort', done, { once: true });
      this.wake = done;
    });
  }

  private async stop(): Promise<void> {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.reporterAbort.abort();
    await this.reporterRun;
    // A notification helper still running is given a moment; it is bounded by its own timeout anyway.
    if (this.notifying) await Promise.race([this.notifying, new Promise((r) => setTimeout(r, 2_000).unref())]);
    this.state.agent.stoppedAt = this.now().toISOString();
    await this.saveState();
    this.log.info('stopped', { queued: this.outbox?.size ?? 0, pending: this.state.pending.length });
  }

  // ── policy ──────────────────────────────────────────────────────────────────────────────────────────────────────

  private setPolicy(inForce: PolicyInForce, refresh?: RefreshOutcome): void {
    const previous = this.inForce;
    this.inForce = inForce;
    this.intervals = loopIntervals(inForce.policy, this.options.overrides);
    const at = this.now().toISOString();
    const old = this.state.policy;
    this.state.policy = {
      origin: inForce.origin,
      version: inForce.policy.version,
      reportVersion: inForce.version,
      organization: inForce.policy.organization.name,
      expired: inForce.expired,
      ...(inForce.reason ? { reason: inForce.reason.slice(0, 500) } : {}),
      ...(old?.lastRefresh ? { lastRefresh: old.lastRefresh } : {}),
      ...(old?.rejected ? { rejected: old.rejected } : {}),
    };
    if (refresh) {
      const r = this.state.policy;
      r.lastRefresh = { at, outcome: refresh.outcome };
      if (refresh.outcome === 'rejected' || refresh.outcome === 'failed') {
        r.lastRefresh.code = refresh.error.code;
        r.lastRefresh.message = describeError(refresh.error).slice(0, 500);
      }
      if (refresh.outcome === 'rejected') r.rejected = problem(refresh.error, this.now());
      if (refresh.outcome === 'updated' || refresh.outcome === 'not-modified') delete r.rejected;
    }
    if (previous?.policy === inForce.policy) return;
    this.log.info('policy in force', {
      origin: inForce.origin,
      version: inForce.policy.version,
      reportVersion: inForce.version,
      organization: inForce.policy.organization.name,
      expired: inForce.expired,
      ...(inForce.reason ? { reason: inForce.reason } : {}),
      intervals: this.intervals,
    });
    this.options.onPolicy?.(inForce);
    if (previous) {
      // Another policy may judge the same machine differently: evaluate now, not at the next interval.
      this.requestScan('policy changed');
      if (this.options.server && this.state.lastReport)
        this.nextHeartbeatAt = Date.parse(this.state.lastReport.at) + this.intervals.heartbeatMs;
    }
  }

  private noteEnrollment(e: EnrollmentState): void {
    this.state.enrollment =
      e.state === 'enrolled'
        ? { enrolled: true, deviceId: e.credentials.deviceId }
        : {
            enrolled: false,
            reason: e.reason,
            message: e.message.slice(0, 500),
            ...(e.retryAt ? { retryAt: e.retryAt.toISOString() } : {}),
          };
  }

  private async refreshTurn(server: LoopServer, signal: AbortSignal): Promise<void> {
    const intervals = () => this.intervals!;
    const enrollment = await server.enrollment.ensureEnrolled();
    const wasEnrolled = this.state.enrollment.enrolled;
    this.noteEnrollment(enrollment);
    if (enrollment.state !== 'enrolled') {
      if (wasEnrolled || this.state.enrollment.reason !== enrollment.reason)
        this.log.warn('not enrolled: running on the policy at hand, reports wait in the outbox', {
          reason: enrollment.reason,
          message: enrollment.message,
        });
      this.setPolicy(await this.options.policyClient.current());
      const retryAt = enrollment.retryAt?.getTime();
      this.nextRefreshAt =
        retryAt !== undefined
          ? Math.max(retryAt, this.now().getTime() + 1_000)
          : this.now().getTime() + intervals().refreshRetryMs;
      return;
    }
    this.startReporter(server);

    const result = await this.options.policyClient.refresh({ signal });
    const { refresh } = result;
    this.setPolicy(result, refresh);
    const now = this.now().getTime();
    switch (refresh.outcome) {
      case 'failed':
        if (refresh.error.code === 'UNAUTHORIZED') {
          const again = await server.enrollment.handleUnauthorized();
          this.noteEnrollment(again);
          // Enrolled anew: ask for the policy with the new token on the next turn. Otherwise when the backoff allows.
          this.nextRefreshAt = again.state === 'enrolled' ? now : (again.retryAt?.getTime() ?? now + intervals().refreshRetryMs);
          if (again.state === 'enrolled') this.wake?.();
          return;
        }
        this.nextRefreshAt = now + intervals().refreshRetryMs;
        return;
      case 'rejected':
        this.log.warn('server policy rejected; the last good policy stays in force', {
          reason: refresh.error.code,
          detail: describeError(refresh.error),
          inForce: result.version ?? 'bundled',
          origin: result.origin,
        });
        this.state.lastError = problem(refresh.error, this.now());
        break;
      case 'skipped':
        // No policy key: nothing from the server can be trusted. Said once at start by the policy client's reason.
        break;
      default:
        break;
    }
    this.nextRefreshAt = now + intervals().refreshMs;
  }

  // ── reports ─────────────────────────────────────────────────────────────────────────────────────────────────────

  private async openOutbox(server: LoopServer, signal: AbortSignal): Promise<void> {
    if (this.outbox) return;
    try {
      this.outbox = await Outbox.open({ dir: server.outboxDir, log: this.options.log });
    } catch (err) {
      // A full disk can keep the folder from being created: reports wait in `pending` and this is tried every turn.
      this.noteProblem('outbox cannot be opened; reports are kept and this is retried', err);
      return;
    }
    this.reporter = new Reporter({
      outbox: this.outbox,
      log: this.options.log,
      ...(server.backoff ? { backoff: server.backoff } : {}),
      deliver: async (report) => {
        try {
          const ack = await server.api.postReport(report, { signal });
          this.noteDelivered(report, ack);
          return ack;
        } catch (err) {
          this.state.lastDeliveryError = problem(err, this.now());
          throw err;
        }
      },
      onUnauthorized: async () => {
        const again = await server.enrollment.handleUnauthorized();
        this.noteEnrollment(again);
        if (again.state !== 'enrolled' && again.retryAt) {
          this.nextRefreshAt = Math.min(this.nextRefreshAt, again.retryAt.getTime());
          this.wake?.();
        }
        return again.state === 'enrolled';
      },
    });
    if (this.state.enrollment.enrolled) this.startReporter(server);
  }

  private startReporter(server: LoopServer): void {
    if (!this.reporter || this.reporterRun || this.reporterAbort.signal.aborted) return;
    this.reporterRun = this.reporter.run(this.reporterAbort.signal).then(
      (reason) => {
        this.reporterRun = undefined;
        if (reason === 'unauthorized') {
          this.log.warn('report delivery paused until the device is enrolled again', { server: server.url });
          this.nextRefreshAt = Math.min(this.nextRefreshAt, this.now().getTime() + this.intervals!.refreshRetryMs);
        }
        return reason;
      },
      (err: unknown) => {
        // The reporter does not throw by design; if it ever does, the next refresh turn starts it again.
        this.reporterRun = undefined;
        this.noteProblem('reporter stopped unexpectedly; restarting it on the next turn', err);
        return 'aborted' as const;
      },
    );
  }

  private noteDelivered(report: Report, ack: ReportAck): void {
    this.state.lastDelivery = { reportId: report.reportId, at: this.now().toISOString(), stored: ack.stored };
    this.state.lastDeliveryError = null;
    this.log.debug('report delivered', { reportId: report.reportId, kind: report.kind, stored: ack.stored });
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      void this.saveState();
    }, DELIVERY_SAVE_DEBOUNCE_MS);
    this.saveTimer.unref();
  }

  /** Step 1 of the commit order (see the class comment). */
  private async record(kind: ReportKind, result: ScanResult, next: StateFingerprint, changes: string[]): Promise<void> {
    const report = buildReport({
      evaluation: result.evaluation,
      policyVersion: this.inForce!.version,
      agentVersion: AGENT_VERSION,
      sources: result.inventory.sources,
      kind,
      now: result.scannedAt,
    });
    this.state.lastFingerprint = next;
    this.state.pending.push(report);
    if (this.state.pending.length > MAX_PENDING) {
      // Only on a disk that stays full for very long: keep the oldest (continues the server's history) and the newest.
      const dropped = this.state.pending.splice(1, this.state.pending.length - MAX_PENDING);
      this.log.warn('too many reports could not be written; dropped the oldest after the first', {
        count: dropped.length,
      });
    }
    this.state.lastReport = { reportId: report.reportId, kind, at: result.scannedAt.toISOString() };
    this.nextHeartbeatAt = result.scannedAt.getTime() + this.intervals!.heartbeatMs;
    const saved = await this.saveState();
    const fields = {
      reportId: report.reportId,
      kind,
      status: report.state.status,
      policyVersion: report.policyVersion,
      ...(saved ? {} : { note: 'state file not written (see the error above); the report is kept in memory' }),
    };
    if (kind === 'change') this.log.info('state changed', { ...fields, changes });
    else this.log.info('heartbeat recorded', fields);
  }

  /** Steps 2 and 3: committed reports into the outbox, oldest first. Stops at the first that cannot be written. */
  private async flushPending(): Promise<void> {
    const outbox = this.outbox;
    if (!outbox || this.state.pending.length === 0) return;
    const queued = new Set(outbox.list().map((e) => e.reportId));
    let moved = 0;
    while (this.state.pending.length > 0) {
      const report = this.state.pending[0]!;
      if (!queued.has(report.reportId)) {
        try {
          await outbox.enqueue(report);
        } catch (err) {
          if (!(err instanceof StateFileError)) throw err;
          this.state.lastError = problem(err, this.now());
          // Said once per kind of trouble, not on every turn while the disk stays full.
          if (this.lastQueueProblem !== err.code)
            this.noteProblem('report could not be queued; it is kept and retried on the next turn', err, {
              reportId: report.reportId,
            });
          this.lastQueueProblem = err.code;
          break;
        }
      }
      this.state.pending.shift();
      moved++;
    }
    if (moved > 0) {
      if (this.lastQueueProblem) this.log.info('reports are queued again', { count: moved });
      this.lastQueueProblem = undefined;
      await this.saveState();
    }
  }

  // ── scanning ────────────────────────────────────────────────────────────────────────────────────────────────────

  private async scanTurn(trigger: string): Promise<void> {
    const inForce = this.inForce!;
    const started = performance.now();
    const result = await this.options.scan(inForce.policy);
    const durationMs = Math.round(performance.now() - started);
    const { evaluation } = result;
    for (const app of evaluation.unknownApps) {
      if (this.warnedUnknown.has(app)) continue;
      this.warnedUnknown.add(app);
      this.log.warn('the policy names an app this agent does not know; update the agent', { app });
    }
    const next = fingerprint(evaluation);
    const changes = stateChanges(this.state.lastFingerprint ?? undefined, next);
    if (this.options.server) {
      if (changes.length > 0) await this.record('change', result, next, changes);
      else if (result.scannedAt.getTime() >= this.nextHeartbeatAt) await this.record('heartbeat', result, next, []);
    } else if (changes.length > 0) {
      this.state.lastFingerprint = next;
      this.log.info('state changed', { status: evaluation.state.status, changes, mode: 'local' });
    }
    this.state.lastScan = {
      at: result.scannedAt.toISOString(),
      durationMs,
      trigger: trigger.slice(0, 200),
      state: evaluation.state,
      findings: evaluation.findings.map((f) => ({ appId: f.appId, name: f.name, action: f.action, evidence: f.evidence })),
      failedSources: result.inventory.sources
        .filter((s) => !s.ok)
        .map((s) => ({ id: s.id, error: `${s.error?.code ?? ''}: ${s.error?.message ?? ''}`.slice(0, 300) })),
    };
    this.log.debug('scan done', { trigger, durationMs, status: evaluation.state.status });
    this.nextScanAt = result.scannedAt.getTime() + this.intervals!.scanMs;
    await this.flushPending();
    await this.saveState();
    this.notifyLater(evaluation, inForce.policy, result.scannedAt);
  }

  /** Notifications never hold up the loop (a hung helper is bounded by the notifier's own timeout); one at a time. */
  private notifyLater(evaluation: Evaluation, policy: Policy, now: Date): void {
    const notify = this.options.notify;
    if (!notify || this.notifying) return;
    this.notifying = notify(evaluation, policy, now)
      .catch((err: unknown) => this.log.warn('notification failed', { error: err }))
      .finally(() => (this.notifying = undefined));
  }

  // ── problems and the state file ─────────────────────────────────────────────────────────────────────────────────

  private turnFailed(what: string, err: unknown): void {
    this.noteProblem(`${what} turn failed; the loop goes on`, err);
  }

  private noteProblem(message: string, err: unknown, fields: Record<string, unknown> = {}): void {
    this.state.lastError = problem(err, this.now());
    const diskFull = (err as { code?: unknown }).code === 'DISK_FULL';
    this.log.error(message, { ...fields, error: err, ...(diskFull ? { note: 'disk full: the agent keeps running' } : {}) });
  }

  /** Writes the state file; false when it could not (logged once per kind of problem, then quietly retried). */
  private async saveState(): Promise<boolean> {
    try {
      await this.options.store.save(this.now());
      if (this.lastSaveProblem) this.log.info('agent state file written again', { path: this.options.store.path });
      this.lastSaveProblem = undefined;
      return true;
    } catch (err) {
      const key = `${(err as { code?: string }).code}`;
      this.state.lastError = problem(err, this.now());
      if (this.lastSaveProblem !== key)
        this.log.error('agent state file not written; the agent keeps running and retries', {
          path: this.options.store.path,
          error: err,
        });
      this.lastSaveProblem = key;
      return false;
    }
  }
}
