import type { Policy, Report, ReportAck } from '../../protocol/index.js';
import { describeError } from '../errors.js';
import type { Enrollment, EnrollmentState } from '../enroll/enroll.js';
import type { Logger } from '../log.js';
import { Outbox } from '../outbox/outbox.js';
import type { PolicyClient, PolicyInForce, RefreshOutcome } from '../policy/client.js';
import type { Evaluation } from '../policy/evaluate.js';
import { buildReport, fingerprint, stateChanges, type ReportKind, type StateFingerprint } from '../report/build.js';
import type { BackoffOptions } from '../report/backoff.js';
import { Reporter } from '../report/reporter.js';
import type { ScanResult } from '../scan.js';
import { StateFileError } from '../state/files.js';
import type { ApiClient } from '../transport/api-client.js';
import { AGENT_VERSION } from '../version.js';
import { loopIntervals, type IntervalOverrides, type LoopIntervals } from './intervals.js';
import type { Schedule } from './schedule.js';
import { MAX_PENDING, problem, type RuntimeState, type RuntimeStateStore } from './state.js';
import { watchedProcessNames } from './watch-list.js';

export interface TurnServer {
  url: string;
  api: ApiClient;
  enrollment: Enrollment;
  /** The outbox folder (`<state folder>/outbox`). */
  outboxDir: string;
  backoff?: BackoffOptions;
}

export interface TurnOptions {
  log: Logger;
  store: RuntimeStateStore;
  policyClient: PolicyClient;
  /** One full evaluation against a policy (agent/scan.ts). */
  scan: (policy: Policy) => Promise<ScanResult>;
  /** Undefined: local mode, nothing is reported. */
  server?: TurnServer;
  /** The notification service's onEvaluation; undefined when notifications are off. */
  notify?: (evaluation: Evaluation, policy: Policy, now: Date) => Promise<unknown>;
  overrides?: IntervalOverrides;
  now?: () => Date;
}

export interface TurnInput {
  /**
   * What the previous turn handed over (schedule.ts). At the first turn of a run only its backoffs count (and `said`,
   * which a new run passes empty).
   */
  schedule: Schedule;
  /** Why a full evaluation is wanted now (process watch), if it is. */
  scanRequest?: string;
  /** The first turn of this run of the agent: scan and refresh now, say what a start says. */
  firstOfRun: boolean;
  /**
   * The state was not handed over by a turn that finished (a new run, or the previous turn was killed): committed reports
   * still in `pending` are announced as recovered.
   */
  announcePending: boolean;
  signal: AbortSignal;
}

export interface TurnResult {
  schedule: Schedule;
  inForce: PolicyInForce;
  /** The state file holds this turn's state; false: only memory does (full disk), the next turn must get it handed over. */
  stateSaved: boolean;
  /** What started the scan of this turn, if one ran. */
  trigger?: string;
}

/** After an unexpected error in a scan turn, the next try waits at most this long (or the scan interval, if shorter). */
const FAILED_TURN_RETRY_MS = 60_000;
/**
 * Work due this soon is done in this turn too: a refresh due a few hundred ms after a scan would otherwise cost a turn
 * (a process start, ~1 s of CPU) of its own. A tenth of the scan interval, at most a minute.
 */
const DUE_SLACK_MS = 60_000;
/** A notification helper still running at the end of a turn is given this long (the notifier gives up after 20 s). */
const NOTIFY_GRACE_MS = 25_000;

/**
 * One turn of the background agent: one unit of work, then the schedule for the next. The same function serves both
 * drivers — the in-process AgentLoop (loop.ts: the Electron app, tests) and the supervisor's short-lived turn processes
 * (supervisor.ts, turn-process.ts) — so everything that must outlive a turn is in the state folder or in the schedule.
 *
 * A turn: announce reports a killed turn committed; take the policy in force; refresh it from the server when due
 * (enrolling first if needed); queue committed reports; scan when due or asked (or for a heartbeat), commit a change
 * report or heartbeat; deliver the outbox until it is empty or a delivery has to wait; notify; save.
 *
 * Reports are committed in a fixed order so that neither SIGKILL nor a full disk loses or doubles a state transition:
 *   1. the report is built (its id is fixed now) and written into the state file together with the new fingerprint
 *      (`pending`) — the commit point; the log line "state changed" follows it;
 *   2. it is enqueued into the outbox; 3. it is dropped from `pending`.
 * A turn killed after 1 leaves the report in `pending`: the next turn enqueues the same report (same id); the server
 * stores an id once. A turn killed before 1 has not recorded the transition, and the next turn sees it again. A full
 * disk keeps the report in `pending` in memory: the supervisor hands the unsaved state to the next turn.
 */
export class TurnRunner {
  private outbox: Outbox | undefined;

  constructor(private readonly options: TurnOptions) {}

  run(input: TurnInput): Promise<TurnResult> {
    return new Turn(this.options, input, this.outbox, (o) => (this.outbox = o)).run();
  }
}

class Turn {
  private inForce: PolicyInForce | undefined;
  private intervals: LoopIntervals | undefined;
  private policyNoted = false;
  private nextScanAt: number;
  private nextRefreshAt: number;
  private scanRequest: string | undefined;
  private trigger: string | undefined;
  private deliveryAttempt: number;
  private deliveryNextAt: number | null;
  private readonly said: Schedule['said'];
  private notifying: Promise<unknown> | undefined;
  private stateSaved = true;
  private serverAway = false;
  private readonly now: () => Date;
  private readonly log: Logger;

  constructor(
    private readonly options: TurnOptions,
    private readonly input: TurnInput,
    private outbox: Outbox | undefined,
    private readonly keepOutbox: (outbox: Outbox) => void,
  ) {
    this.now = options.now ?? (() => new Date());
    this.log = options.log.child({ component: 'loop' });
    const s = input.schedule;
    const now = this.now().getTime();
    // A new run scans and asks the server at once, as a restarted agent always did.
    this.nextScanAt = input.firstOfRun ? now : s.nextScanAt;
    this.nextRefreshAt = input.firstOfRun ? now : (s.nextRefreshAt ?? now);
    this.deliveryAttempt = input.firstOfRun ? 0 : s.delivery.attempt;
    this.deliveryNextAt = input.firstOfRun ? null : s.delivery.nextAt;
    this.said = { ...s.said, unknownApps: [...s.said.unknownApps] };
    this.scanRequest = input.scanRequest;
  }

  private get state(): RuntimeState {
    return this.options.store.state;
  }

  private get signal(): AbortSignal {
    return this.input.signal;
  }

  async run(): Promise<TurnResult> {
    const { server } = this.options;
    this.begin();
    this.setPolicy(await this.options.policyClient.current());
    if (this.input.firstOfRun && !server)
      this.log.info('local mode: no server configured, nothing is reported', {
        policy: 'bundled',
        reason: this.inForce?.reason,
      });

    if (server && !this.signal.aborted && this.due(this.nextRefreshAt)) {
      try {
        await this.refreshTurn(server);
      } catch (err) {
        this.turnFailed('policy refresh', err);
        this.nextRefreshAt = this.now().getTime() + this.intervals!.refreshRetryMs;
      }
    }
    try {
      if (server) await this.openOutbox(server);
      await this.flushPending();
      const trigger =
        this.scanRequest ?? (this.due(this.nextScanAt) ? 'interval' : this.due(this.heartbeatAt()) ? 'heartbeat' : undefined);
      if (trigger !== undefined && !this.signal.aborted) {
        this.scanRequest = undefined;
        this.trigger = trigger;
        await this.scanTurn(trigger);
      }
    } catch (err) {
      this.turnFailed('scan', err);
      this.nextScanAt = this.now().getTime() + Math.min(this.intervals!.scanMs, FAILED_TURN_RETRY_MS);
    }
    if (server && this.outbox && !this.signal.aborted) await this.deliver(server, this.outbox);
    if (this.notifying) await Promise.race([this.notifying, new Promise((r) => setTimeout(r, NOTIFY_GRACE_MS).unref())]);
    await this.saveState();
    return {
      schedule: this.schedule(),
      inForce: this.inForce!,
      stateSaved: this.stateSaved,
      ...(this.trigger !== undefined ? { trigger: this.trigger } : {}),
    };
  }

  /** What a start used to do once, done every turn (each is a no-op when nothing changed). */
  private begin(): void {
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
    if (this.input.announcePending)
      for (const r of this.state.pending)
        this.log.info('report recovered from an interrupted run', { reportId: r.reportId, kind: r.kind });
    if (!server) this.state.pending = [];
  }

  /** Whether work planned for `at` is due now (or so soon that it is done in this turn; see DUE_SLACK_MS). */
  private due(at: number, now: number = this.now().getTime()): boolean {
    return now + Math.min(DUE_SLACK_MS, this.intervals!.scanMs / 10) >= at;
  }

  /** Heartbeats are due an interval after the last report (now, before the first one); never without a server. */
  private heartbeatAt(): number {
    if (!this.options.server) return Infinity;
    const last = this.state.lastReport ? Date.parse(this.state.lastReport.at) : NaN;
    return Number.isNaN(last) ? this.now().getTime() : last + this.intervals!.heartbeatMs;
  }

  private schedule(): Schedule {
    const { server } = this.options;
    // No outbox (it could not be opened): nothing to deliver; the next scan turn tries to open it again.
    const queued = this.outbox?.size ?? 0;
    const canDeliver = server !== undefined && this.state.enrollment.enrolled && queued > 0;
    const heartbeat = this.heartbeatAt();
    return {
      format: 'appwacht-agent-schedule',
      version: 1,
      at: this.now().toISOString(),
      stateSeq: this.state.seq ?? 0,
      nextScanAt: this.nextScanAt,
      nextRefreshAt: server ? this.nextRefreshAt : null,
      nextHeartbeatAt: Number.isFinite(heartbeat) ? heartbeat : null,
      delivery: {
        queued,
        pending: this.state.pending.length,
        nextAt: canDeliver ? (this.deliveryNextAt ?? this.now().getTime()) : null,
        attempt: this.deliveryAttempt,
      },
      enrollment: server
        ? (({ attempts, retryAt }) => ({ attempts, retryAt: retryAt?.getTime() ?? null }))(server.enrollment.backoffState())
        : { attempts: 0, retryAt: null },
      watch: { processes: this.inForce ? watchedProcessNames(this.inForce.policy) : [] },
      said: this.said,
    };
  }

  // ── policy ──────────────────────────────────────────────────────────────────────────────────────────────────────

  private setPolicy(inForce: PolicyInForce, refresh?: RefreshOutcome): void {
    const old = this.state.policy;
    // Another policy: another document or another origin of trust (bundled vs signed); its origin alone (server or
    // cache) says only whether the server was asked this turn.
    const changed = !old || old.version !== inForce.policy.version || old.reportVersion !== inForce.version;
    const announce = changed || (this.input.firstOfRun && !this.policyNoted);
    const hadPolicy = !this.input.firstOfRun || this.policyNoted;
    this.policyNoted = true;
    this.inForce = inForce;
    this.intervals = loopIntervals(inForce.policy, this.options.overrides);
    const at = this.now().toISOString();
    if (changed || refresh || this.input.firstOfRun) {
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
    }
    if (refresh) {
      const r = this.state.policy!;
      r.lastRefresh = { at, outcome: refresh.outcome };
      if (refresh.outcome === 'rejected' || refresh.outcome === 'failed') {
        r.lastRefresh.code = refresh.error.code;
        r.lastRefresh.message = describeError(refresh.error).slice(0, 500);
      }
      if (refresh.outcome === 'rejected') r.rejected = problem(refresh.error, this.now());
      if (refresh.outcome === 'updated' || refresh.outcome === 'not-modified') delete r.rejected;
    }
    if (!announce) return;
    this.log.info('policy in force', {
      origin: inForce.origin,
      version: inForce.policy.version,
      reportVersion: inForce.version,
      organization: inForce.policy.organization.name,
      expired: inForce.expired,
      ...(inForce.reason ? { reason: inForce.reason } : {}),
      intervals: this.intervals,
    });
    // Another policy may judge the same machine differently: evaluate now, not at the next interval.
    if (changed && hadPolicy) this.scanRequest ??= 'policy changed';
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

  private async refreshTurn(server: TurnServer): Promise<void> {
    const intervals = () => this.intervals!;
    const enrollment = await server.enrollment.ensureEnrolled();
    const wasEnrolled = this.state.enrollment.enrolled;
    this.noteEnrollment(enrollment);
    if (enrollment.state !== 'enrolled') {
      if (wasEnrolled)
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

    const result = await this.options.policyClient.refresh({ signal: this.signal });
    const { refresh } = result;
    this.setPolicy(result, refresh);
    const now = this.now().getTime();
    switch (refresh.outcome) {
      case 'failed':
        if (refresh.error.code === 'UNAUTHORIZED') {
          const again = await server.enrollment.handleUnauthorized();
          this.noteEnrollment(again);
          // Enrolled anew: ask for the policy with the new token in the next turn, at once. Otherwise when the backoff allows.
          this.nextRefreshAt = again.state === 'enrolled' ? now : (again.retryAt?.getTime() ?? now + intervals().refreshRetryMs);
          return;
        }
        this.nextRefreshAt = now + intervals().refreshRetryMs;
        // The server cannot be reached: a delivery now would fail the same way. It waits for the next refresh try, so a
        // laptop off the intranet has one retry clock, not two (each retry is a turn: a process start).
        if (refresh.error.transient) this.serverAway = true;
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
        // No policy key: nothing from the server can be trusted. Said at start by the policy client's reason.
        break;
      default:
        break;
    }
    this.nextRefreshAt = now + intervals().refreshMs;
  }

  // ── reports ─────────────────────────────────────────────────────────────────────────────────────────────────────

  private async openOutbox(server: TurnServer): Promise<void> {
    if (this.outbox) return;
    try {
      this.outbox = await Outbox.open({ dir: server.outboxDir, log: this.options.log });
      this.keepOutbox(this.outbox);
    } catch (err) {
      // A full disk can keep the folder from being created: reports wait in `pending` and this is tried every turn.
      this.noteProblem('outbox cannot be opened; reports are kept and this is retried', err);
    }
  }

  /** Delivers the outbox until it is empty or a delivery has to wait; the wait becomes the schedule's delivery time. */
  private async deliver(server: TurnServer, outbox: Outbox): Promise<void> {
    if (!this.state.enrollment.enrolled || outbox.size === 0) return;
    if (this.serverAway) {
      this.deliveryNextAt = Math.max(this.deliveryNextAt ?? 0, this.nextRefreshAt);
      return;
    }
    if (this.deliveryNextAt !== null && !this.due(this.deliveryNextAt)) return;
    const reporter = new Reporter({
      outbox,
      log: this.options.log,
      attempt: this.deliveryAttempt,
      ...(server.backoff ? { backoff: server.backoff } : {}),
      deliver: async (report) => {
        try {
          const ack = await server.api.postReport(report, { signal: this.signal });
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
        if (again.state !== 'enrolled' && again.retryAt)
          this.nextRefreshAt = Math.min(this.nextRefreshAt, again.retryAt.getTime());
        return again.state === 'enrolled';
      },
    });
    const result = await reporter.drain(this.signal);
    this.deliveryAttempt = reporter.failedAttempts;
    const now = this.now().getTime();
    switch (result.outcome) {
      case 'empty':
        this.deliveryNextAt = null;
        break;
      case 'wait':
        this.deliveryNextAt = now + result.ms;
        break;
      case 'unauthorized':
        this.log.warn('report delivery paused until the device is enrolled again', { server: server.url });
        this.nextRefreshAt = Math.min(this.nextRefreshAt, now + this.intervals!.refreshRetryMs);
        this.deliveryNextAt = null;
        break;
      case 'aborted':
        break;
    }
  }

  private noteDelivered(report: Report, ack: ReportAck): void {
    this.state.lastDelivery = { reportId: report.reportId, at: this.now().toISOString(), stored: ack.stored };
    this.state.lastDeliveryError = null;
  }

  /** Step 1 of the commit order (see the class comment of TurnRunner). */
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
          if (this.said.queue !== err.code)
            this.noteProblem('report could not be queued; it is kept and retried on the next turn', err, {
              reportId: report.reportId,
            });
          this.said.queue = err.code;
          break;
        }
      }
      this.state.pending.shift();
      moved++;
    }
    if (moved > 0) {
      if (this.said.queue) this.log.info('reports are queued again', { count: moved });
      delete this.said.queue;
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
      if (this.said.unknownApps.includes(app)) continue;
      this.said.unknownApps.push(app);
      this.log.warn('the policy names an app this agent does not know; update the agent', { app });
    }
    const next = fingerprint(evaluation);
    const changes = stateChanges(this.state.lastFingerprint ?? undefined, next);
    if (this.options.server) {
      if (changes.length > 0) await this.record('change', result, next, changes);
      else if (this.due(this.heartbeatAt(), result.scannedAt.getTime())) await this.record('heartbeat', result, next, []);
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

  /** The notification runs beside the delivery; the turn waits for it (bounded) before it ends. */
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
      if (this.said.stateFile) this.log.info('agent state file written again', { path: this.options.store.path });
      delete this.said.stateFile;
      this.stateSaved = true;
      return true;
    } catch (err) {
      const key = `${(err as { code?: string }).code}`;
      this.state.lastError = problem(err, this.now());
      if (this.said.stateFile !== key)
        this.log.error('agent state file not written; the agent keeps running and retries', {
          path: this.options.store.path,
          error: err,
        });
      this.said.stateFile = key;
      this.stateSaved = false;
      return false;
    }
  }
}
