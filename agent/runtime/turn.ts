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
import type { ApiClient } from '../transport/api-client.js';
import { AGENT_VERSION } from '../version.js';
import { loopIntervals, type IntervalOverrides, type LoopIntervals } from './intervals.js';
import type { Schedule } from './schedule.js';
import { ReportCommit } from './commit.js';
import { sayOnce, sayOver } from './said.js';
import { problem, type RuntimeState, type RuntimeStateStore } from './state.js';
import { watchedProcessNames } from './watch-list.js';
import { monotonicMs } from '../clock.js';

export interface TurnServer {
  url: string;
  api: ApiClient;
  enrollment: Enrollment;
  /** The outbox folder (`<state folder>/outbox`). */
  outboxDir: string;
  /** The state folder, where the last delivered report and the server's ladder are kept for the tray (absent: not kept). */
  stateDir?: string;
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
  /**
   * The machine service's update client (context.ts wires it for `--system` only): run when due, returns when it wants
   * to run next (null: not until another policy). It loads its code on demand, so turns without it stay as cheap.
   */
  update?: (policy: Policy, signal: AbortSignal) => Promise<number | null>;
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

/**
 * A scan step that failed (an unexpected error, not a condition) is tried again this soon at most, or at the scan
 * interval if that is shorter. Not the retry of a turn that failed as a whole: that is driver.ts FailedTurnBackoff.
 */
const SCAN_RETRY_MS = 60_000;
/**
 * Work due this soon is done in this turn too: a refresh due a few hundred ms after a scan would otherwise cost a turn
 * (a process start, ~1 s of CPU) of its own. A tenth of the scan interval, at most a minute.
 */
const DUE_SLACK_MS = 60_000;
/** An update step that failed as a whole (not a failed check: the step records that itself) is tried again after this. */
const UPDATE_RETRY_MS = 3_600_000;
/** A notification helper still running at the end of a turn is given this long (the notifier gives up after 20 s). */
const NOTIFY_GRACE_MS = 25_000;

/** Which policy is in force, as the state file and the log say it. */
function policyFacts(inForce: PolicyInForce) {
  return {
    origin: inForce.origin,
    version: inForce.policy.version,
    reportVersion: inForce.version,
    organization: inForce.policy.organization.name,
    expired: inForce.expired,
  };
}

/**
 * One turn of the background agent: one unit of work, then the schedule for the next. The same function serves both
 * drivers — the in-process AgentLoop (loop.ts: the Electron app, tests) and the supervisor's short-lived turn processes
 * (supervisor.ts, turn-process.ts) — so everything that must outlive a turn is in the state folder or in the schedule.
 *
 * A turn: announce reports a killed turn committed; take the policy in force; refresh it from the server when due
 * (enrolling first if needed); queue committed reports; scan when due or asked (or for a heartbeat), commit a change
 * report or heartbeat (commit.ts: the order that neither SIGKILL nor a full disk can break); deliver the outbox until
 * it is empty or a delivery has to wait; notify; save.
 */
export class TurnRunner {
  private outbox: Outbox | undefined;

  constructor(private readonly options: TurnOptions) {}

  async run(input: TurnInput): Promise<TurnResult> {
    const inForce = await this.options.policyClient.current();
    return new Turn(this.options, input, inForce, this.outbox, (o) => (this.outbox = o)).run();
  }
}

class Turn {
  private inForce: PolicyInForce;
  private intervals: LoopIntervals;
  /** Whether a policy was taken in this turn already (the first is announced at a new run). */
  private policyNoted = false;
  private nextScanAt: number;
  private nextRefreshAt: number;
  /** null: only at a new run or when another policy arrives (schedule.ts nextUpdateAt). */
  private nextUpdateAt: number | null;
  private scanRequest: string | undefined;
  private trigger: string | undefined;
  private deliveryAttempt: number;
  private deliveryNextAt: number | null;
  private readonly said: Schedule['said'];
  private notifying: Promise<unknown> | undefined;
  private stateSaved = true;
  private serverAway = false;
  private readonly now: () => Date;
  /** Each step logs under its own component. */
  private readonly log: Logger;
  private readonly logOf: Record<'refresh' | 'scan' | 'delivery', Logger>;
  private readonly commit: ReportCommit;

  constructor(
    private readonly options: TurnOptions,
    private readonly input: TurnInput,
    inForce: PolicyInForce,
    private outbox: Outbox | undefined,
    private readonly keepOutbox: (outbox: Outbox) => void,
  ) {
    this.now = options.now ?? (() => new Date());
    this.log = options.log.child({ component: 'turn' });
    this.logOf = {
      refresh: options.log.child({ component: 'refresh' }),
      scan: options.log.child({ component: 'scan' }),
      delivery: options.log.child({ component: 'delivery' }),
    };
    this.inForce = inForce;
    this.intervals = loopIntervals(inForce.policy, options.overrides);
    const s = input.schedule;
    const now = this.now().getTime();
    // A new run scans and asks the server at once, as a restarted agent always did.
    this.nextScanAt = input.firstOfRun ? now : s.nextScanAt;
    this.nextRefreshAt = input.firstOfRun ? now : (s.nextRefreshAt ?? now);
    // A new run (the service restarted, maybe by an installer) settles an install under way at once.
    this.nextUpdateAt = input.firstOfRun ? now : (s.nextUpdateAt ?? null);
    this.deliveryAttempt = input.firstOfRun ? 0 : s.delivery.attempt;
    this.deliveryNextAt = input.firstOfRun ? null : s.delivery.nextAt;
    this.said = { ...s.said, unknownApps: [...s.said.unknownApps] };
    this.scanRequest = input.scanRequest;
    this.commit = new ReportCommit({
      state: () => this.state,
      save: () => this.saveState(),
      said: this.said,
      log: options.log.child({ component: 'commit' }),
      now: this.now,
      noteProblem: (message, err, fields) => this.noteProblem(message, err, fields),
    });
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
    this.takePolicy(this.inForce);
    if (this.input.firstOfRun && !server)
      this.log.info('local mode: no server configured, nothing is reported', {
        policy: 'bundled',
        reason: this.inForce.reason,
      });

    if (server && !this.signal.aborted && this.due(this.nextRefreshAt)) {
      try {
        await this.refreshStep(server);
      } catch (err) {
        this.stepFailed('policy refresh', err);
        this.nextRefreshAt = this.now().getTime() + this.intervals.refreshRetryMs;
      }
    }
    try {
      if (server) await this.openOutbox(server);
      await this.commit.flushPending(this.outbox);
      const trigger =
        this.scanRequest ?? (this.due(this.nextScanAt) ? 'interval' : this.due(this.heartbeatAt()) ? 'heartbeat' : undefined);
      if (trigger !== undefined && !this.signal.aborted) {
        this.scanRequest = undefined;
        this.trigger = trigger;
        await this.scanStep(trigger);
      }
    } catch (err) {
      this.stepFailed('scan', err);
      this.nextScanAt = this.now().getTime() + Math.min(this.intervals.scanMs, SCAN_RETRY_MS);
    }
    if (server && this.outbox && !this.signal.aborted) await this.deliver(server, this.outbox);
    if (this.options.update && this.nextUpdateAt !== null && this.due(this.nextUpdateAt) && !this.signal.aborted)
      await this.updateStep(this.options.update);
    if (this.notifying) await Promise.race([this.notifying, new Promise((r) => setTimeout(r, NOTIFY_GRACE_MS).unref())]);
    await this.saveState();
    return {
      schedule: this.schedule(),
      inForce: this.inForce,
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
    return now + Math.min(DUE_SLACK_MS, this.intervals.scanMs / 10) >= at;
  }

  /** Heartbeats are due an interval after the last report (now, before the first one); never without a server. */
  private heartbeatAt(): number {
    if (!this.options.server) return Infinity;
    const last = this.state.lastReport ? Date.parse(this.state.lastReport.at) : NaN;
    return Number.isNaN(last) ? this.now().getTime() : last + this.intervals.heartbeatMs;
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
      ...(this.options.update ? { nextUpdateAt: this.nextUpdateAt } : {}),
      delivery: {
        queued,
        pending: this.state.pending.length,
        nextAt: canDeliver ? (this.deliveryNextAt ?? this.now().getTime()) : null,
        attempt: this.deliveryAttempt,
      },
      enrollment: server
        ? (({ attempts, retryAt }) => ({ attempts, retryAt: retryAt?.getTime() ?? null }))(server.enrollment.backoffState())
        : { attempts: 0, retryAt: null },
      watch: { processes: watchedProcessNames(this.inForce.policy) },
      said: this.said,
    };
  }

  // ── policy ──────────────────────────────────────────────────────────────────────────────────────────────────────

  /** A policy taken (at the start, after a refresh or an enrollment): in force, recorded, announced when new. */
  private takePolicy(inForce: PolicyInForce, refresh?: RefreshOutcome): void {
    const old = this.state.policy;
    // Another policy: another document or another origin of trust (bundled vs signed); its origin alone (server or
    // cache) says only whether the server was asked this turn.
    const changed = !old || old.version !== inForce.policy.version || old.reportVersion !== inForce.version;
    const announce = changed || (this.input.firstOfRun && !this.policyNoted);
    const hadPolicy = !this.input.firstOfRun || this.policyNoted;
    this.policyNoted = true;
    this.inForce = inForce;
    this.intervals = loopIntervals(inForce.policy, this.options.overrides);
    if (changed || refresh || this.input.firstOfRun) this.recordPolicy(inForce, refresh);
    if (!announce) return;
    this.announcePolicy(inForce);
    // Another policy may judge the same machine differently: evaluate now, not at the next interval.
    if (changed && hadPolicy) this.scanRequest ??= 'policy changed';
    // … and may change the update settings.
    if (changed) this.nextUpdateAt = this.now().getTime();
  }

  /** What `appwacht status` shows of the policy: which one is in force, and how the last refresh went. */
  private recordPolicy(inForce: PolicyInForce, refresh: RefreshOutcome | undefined): void {
    const old = this.state.policy;
    const record: NonNullable<RuntimeState['policy']> = {
      ...policyFacts(inForce),
      ...(inForce.reason ? { reason: inForce.reason.slice(0, 500) } : {}),
      ...(old?.lastRefresh ? { lastRefresh: old.lastRefresh } : {}),
      ...(old?.rejected ? { rejected: old.rejected } : {}),
    };
    if (refresh) {
      record.lastRefresh = { at: this.now().toISOString(), outcome: refresh.outcome };
      if (refresh.outcome === 'rejected' || refresh.outcome === 'failed') {
        record.lastRefresh.code = refresh.error.code;
        record.lastRefresh.message = describeError(refresh.error).slice(0, 500);
      }
      if (refresh.outcome === 'rejected') record.rejected = problem(refresh.error, this.now());
      if (refresh.outcome === 'updated' || refresh.outcome === 'not-modified') delete record.rejected;
    }
    this.state.policy = record;
  }

  private announcePolicy(inForce: PolicyInForce): void {
    this.log.info('policy in force', {
      ...policyFacts(inForce),
      ...(inForce.reason ? { reason: inForce.reason } : {}),
      intervals: this.intervals,
    });
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

  private async refreshStep(server: TurnServer): Promise<void> {
    const log = this.logOf.refresh;
    const enrollment = await server.enrollment.ensureEnrolled();
    const wasEnrolled = this.state.enrollment.enrolled;
    this.noteEnrollment(enrollment);
    if (enrollment.state !== 'enrolled') {
      if (wasEnrolled)
        log.warn('not enrolled: running on the policy at hand, reports wait in the outbox', {
          reason: enrollment.reason,
          message: enrollment.message,
        });
      this.takePolicy(await this.options.policyClient.current());
      const retryAt = enrollment.retryAt?.getTime();
      this.nextRefreshAt =
        retryAt !== undefined
          ? Math.max(retryAt, this.now().getTime() + 1_000)
          : this.now().getTime() + this.intervals.refreshRetryMs;
      return;
    }

    const result = await this.options.policyClient.refresh({ signal: this.signal });
    const { refresh } = result;
    this.takePolicy(result, refresh);
    const now = this.now().getTime();
    switch (refresh.outcome) {
      case 'failed':
        if (refresh.error.code === 'UNAUTHORIZED') {
          const again = await server.enrollment.handleUnauthorized();
          this.noteEnrollment(again);
          // Enrolled anew: ask for the policy with the new token in the next turn, at once. Otherwise when the backoff allows.
          this.nextRefreshAt =
            again.state === 'enrolled' ? now : (again.retryAt?.getTime() ?? now + this.intervals.refreshRetryMs);
          return;
        }
        this.nextRefreshAt = now + this.intervals.refreshRetryMs;
        // The server cannot be reached: a delivery now would fail the same way. It waits for the next refresh try, so a
        // laptop off the intranet has one retry clock, not two (each retry is a turn: a process start).
        if (refresh.error.transient) this.serverAway = true;
        return;
      case 'rejected':
        log.warn('server policy rejected; the last good policy stays in force', {
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
    this.nextRefreshAt = now + this.intervals.refreshMs;
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
      ...(server.stateDir !== undefined ? { keepIn: server.stateDir } : {}),
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
        this.logOf.delivery.warn('report delivery paused until the device is enrolled again', { server: server.url });
        this.nextRefreshAt = Math.min(this.nextRefreshAt, now + this.intervals.refreshRetryMs);
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

  // ── updates ─────────────────────────────────────────────────────────────────────────────────────────────────────

  private async updateStep(update: NonNullable<TurnOptions['update']>): Promise<void> {
    try {
      this.nextUpdateAt = await update(this.inForce.policy, this.signal);
    } catch (err) {
      this.stepFailed('update', err);
      this.nextUpdateAt = this.now().getTime() + UPDATE_RETRY_MS;
    }
  }

  // ── scanning ────────────────────────────────────────────────────────────────────────────────────────────────────

  private async scanStep(trigger: string): Promise<void> {
    const { inForce } = this;
    const log = this.logOf.scan;
    const started = monotonicMs();
    const result = await this.options.scan(inForce.policy);
    const durationMs = Math.round(monotonicMs() - started);
    const { evaluation } = result;
    for (const app of evaluation.unknownApps) {
      if (this.said.unknownApps.includes(app)) continue;
      this.said.unknownApps.push(app);
      log.warn('the policy names an app this agent does not know; update the agent', { app });
    }
    const next = fingerprint(evaluation);
    const changes = stateChanges(this.state.lastFingerprint ?? undefined, next);
    if (this.options.server) {
      if (changes.length > 0) await this.record('change', result, next, changes);
      else if (this.due(this.heartbeatAt(), result.scannedAt.getTime())) await this.record('heartbeat', result, next, []);
    } else if (changes.length > 0) {
      this.state.lastFingerprint = next;
      log.info('state changed', { status: evaluation.state.status, changes, mode: 'local' });
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
    log.debug('scan done', { trigger, durationMs, status: evaluation.state.status });
    this.nextScanAt = result.scannedAt.getTime() + this.intervals.scanMs;
    await this.commit.flushPending(this.outbox);
    await this.saveState();
    this.notifyLater(evaluation, inForce.policy, result.scannedAt);
  }

  /** A report of this scan, committed (commit.ts). */
  private async record(kind: ReportKind, result: ScanResult, next: StateFingerprint, changes: string[]): Promise<void> {
    const report = buildReport({
      evaluation: result.evaluation,
      policyVersion: this.inForce.version,
      agentVersion: AGENT_VERSION,
      sources: result.inventory.sources,
      kind,
      now: result.scannedAt,
    });
    await this.commit.record(report, kind, next, changes);
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

  private stepFailed(what: string, err: unknown): void {
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
      const { path } = this.options.store;
      sayOver(this.said, 'stateFile', () => this.log.info('agent state file written again', { path }));
      this.stateSaved = true;
      return true;
    } catch (err) {
      const { path } = this.options.store;
      this.state.lastError = problem(err, this.now());
      sayOnce(this.said, 'stateFile', `${(err as { code?: string }).code}`, () =>
        this.log.error('agent state file not written; the agent keeps running and retries', { path, error: err }),
      );
      this.stateSaved = false;
      return false;
    }
  }
}
