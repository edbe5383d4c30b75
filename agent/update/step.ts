import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { publicKeyFromBase64, type OsName, type UpdatePolicy } from '../../protocol/index.js';
import { describeError, errorCode } from '../errors.js';
import type { Logger } from '../log.js';
import type { Fetch } from '../transport/errors.js';
import { CHECK_RETRY_MS, decideUpdate, installerKindOf, type UpdateDecision, type UpdateFacts } from './decide.js';
import { downloadInstaller, downloadPath, verifyDownloaded } from './download.js';
import { UpdateError } from './errors.js';
import { fetchUpdateIndex } from './feed-client.js';
import type { UpdateIndex } from './index-file.js';
import type { InstallerPort } from './installer.js';
import { installLogTail, launchInstall, readInstallResult } from './launch.js';
import {
  MAX_INSTALL_ATTEMPTS,
  emptyRecord,
  installFiles,
  readRecord,
  updatesFolder,
  writeRecord,
  type UpdateEvent,
  type UpdateRecord,
} from './record.js';
import { compareSemVer, parseSemVer } from './semver.js';

/** While an installer runs, its outcome is looked for this often … */
const INSTALL_POLL_MS = 5 * 60_000;
/** … and an installer that left no outcome after this counts as failed (it hung, or the machine went down). */
const INSTALL_GIVE_UP_MS = 30 * 60_000;
const HOUR = 3_600_000;

export interface UpdateStepOptions {
  stateDir: string;
  /** The configured server and the agent's transport (its CA file and proxy). */
  serverUrl: string;
  fetch: Fetch;
  /** The pinned policy key: the index must be signed by it. */
  policyPublicKey: string;
  /** The signed policy's `updates` block. */
  settings: UpdatePolicy | undefined;
  os: OsName;
  arch: string;
  port: InstallerPort;
  /** The running agent's version. */
  current: string;
  log: Logger;
  now?: () => Date;
  signal?: AbortSignal;
  downloadDeadlineMs?: number;
}

/** The later of two versions (either may not parse: the other wins). */
function later(a: string, b: string | null): string {
  const [x, y] = [parseSemVer(a), b === null ? undefined : parseSemVer(b)];
  return x && y && compareSemVer(y, x) > 0 ? b! : a;
}

/**
 * One step of the update client in the machine service (turn.ts calls it when the schedule says it is due): settle an
 * install under way, check the feed when due, download and verify, install inside the window. Everything it learns goes
 * into update.json; it never throws for a failed check, download or install (they are recorded and said). Returns when
 * it wants to run next (epoch ms), or null: not until the policy enables updates.
 */
export async function runUpdateStep(o: UpdateStepOptions): Promise<number | null> {
  return new UpdateStep(o, (await readRecord(o.stateDir)) ?? emptyRecord()).run();
}

class UpdateStep {
  private readonly now: () => Date;
  private readonly log: Logger;
  private dir = '';

  constructor(
    private readonly o: UpdateStepOptions,
    private readonly record: UpdateRecord,
  ) {
    this.now = o.now ?? (() => new Date());
    this.log = o.log.child({ component: 'update' });
  }

  private t(): number {
    return this.now().getTime();
  }

  async run(): Promise<number | null> {
    const { o, record } = this;
    if (!o.settings?.enabled && !record.installing) return null;
    this.dir = await updatesFolder(o.stateDir);
    if (record.installing) {
      const settled = await this.settleInstall();
      // Still running: look again soon. Failed: tried again at the next check, not at once.
      if (settled === 'running') return this.finish(this.t() + INSTALL_POLL_MS);
      if (settled === 'failed') return this.finish(this.nextCheckAt());
    }
    if (record.downloaded && !(await this.downloadedExists())) record.downloaded = null;

    const facts: UpdateFacts = {
      current: later(o.current, record.installedVersion),
      settings: o.settings,
      lastCheck: record.lastCheck,
      platform: { arch: o.arch, kinds: await o.port.kinds() },
      ...(record.downloaded ? { downloaded: record.downloaded } : {}),
      now: this.now(),
    };
    let d = decideUpdate(facts);
    let index: UpdateIndex | undefined;
    if (d.action === 'check') {
      index = await this.check();
      if (!index) {
        await this.save();
        return this.nextCheckAt();
      }
      d = decideUpdate({ ...facts, index });
    }
    if (d.action === 'download') {
      if (this.givenUp(d.version)) return this.finish(this.refused(d.version, this.givenUpReason()));
      if (!(await this.download(d))) {
        await this.save();
        return this.nextCheckAt();
      }
      d = decideUpdate({ ...facts, index: index!, downloaded: record.downloaded! });
    }
    switch (d.action) {
      case 'nothing':
        if (index) {
          await this.dropStaleDownload(facts.current);
          if (d.reason === 'up-to-date') this.event({ what: 'up-to-date', at: this.t(), version: index.version });
          else if (d.reason !== 'disabled') this.event(this.refused(index.version, d.detail ?? d.reason));
        }
        return this.finish(d.nextCheckAt);
      case 'wait-until':
        if (!(record.last?.what === 'downloaded' && record.last.version === d.version && record.last.installAt === d.at))
          this.event({ what: 'downloaded', at: this.t(), version: d.version, installAt: d.at });
        return this.finish(Math.min(d.at, this.nextCheckAt() ?? Infinity));
      case 'install-now':
        if (this.givenUp(d.version)) return this.finish(this.refused(d.version, this.givenUpReason()));
        await this.install(d, facts.platform.kinds);
        await this.save();
        return this.t() + INSTALL_POLL_MS;
      default:
        return this.finish(this.nextCheckAt());
    }
  }

  // ── steps ───────────────────────────────────────────────────────────────────────────────────────────────────────

  /** The feed's index for this OS, signature checked; undefined when the check failed (recorded). */
  private async check(): Promise<UpdateIndex | undefined> {
    const { o, record } = this;
    const at = this.t();
    try {
      const index = await fetchUpdateIndex(
        { serverUrl: o.serverUrl, channel: o.settings!.channel, fetch: o.fetch },
        o.os,
        publicKeyFromBase64(o.policyPublicKey),
        o.signal ? { signal: o.signal } : {},
      );
      record.lastCheck = { at, ok: true };
      for (const r of index.refused) this.log.warn('update index entry refused', { url: r.url, reason: r.reason });
      this.log.debug('update feed checked', { channel: o.settings!.channel, offered: index.version, current: o.current });
      return index;
    } catch (err) {
      record.lastCheck = { at, ok: false };
      this.fail('check', undefined, err);
      return undefined;
    }
  }

  private async download(d: Extract<UpdateDecision, { action: 'download' }>): Promise<boolean> {
    const { o, record } = this;
    await this.removeInstallers();
    record.downloaded = null;
    try {
      await downloadInstaller({ serverUrl: o.serverUrl, channel: o.settings!.channel, fetch: o.fetch }, d.file, this.dir, {
        ...(o.signal ? { signal: o.signal } : {}),
        ...(o.downloadDeadlineMs !== undefined ? { deadlineMs: o.downloadDeadlineMs } : {}),
      });
    } catch (err) {
      // Asked again within the hour rather than at the interval: the feed offered something this agent wants.
      record.lastCheck = { at: this.t(), ok: false };
      this.fail('download', d.version, err);
      return false;
    }
    record.downloaded = { version: d.version, ...d.file };
    this.log.info('update downloaded and verified', { version: d.version, file: d.file.name, size: d.file.size });
    this.event({ what: 'downloaded', at: this.t(), version: d.version, installAt: null });
    return true;
  }

  private async install(d: Extract<UpdateDecision, { action: 'install-now' }>, kinds: Parameters<typeof installerKindOf>[1]) {
    const { o, record } = this;
    const file = record.downloaded!;
    const path = downloadPath(this.dir, file);
    const files = installFiles(this.dir);
    try {
      await verifyDownloaded(path, file);
      const kind = installerKindOf(file.name, kinds);
      if (!kind) throw new UpdateError('INSTALL_FAILED', `${file.name} is not an installer this machine takes`);
      await unlink(files.result).catch(() => {});
      // Recorded before it starts: a service stopped by the installer at once still knows an install is under way.
      record.installing = { version: d.version, name: file.name, startedAt: this.t() };
      this.event({ what: 'installing', at: this.t(), version: d.version });
      await this.save();
      const port = o.port;
      await launchInstall(port.command(kind, path), files, port.outsideService?.bind(port));
      this.log.info('update installer started', { version: d.version, file: file.name });
    } catch (err) {
      record.installing = null;
      if ((err as { code?: unknown }).code === 'SHA512_MISMATCH') record.downloaded = null;
      this.countAttempt(d.version);
      this.fail('install', d.version, err);
    }
  }

  /** An install under way: how it ended, or that it still runs. */
  private async settleInstall(): Promise<'installed' | 'failed' | 'running'> {
    const { o, record } = this;
    const inst = record.installing!;
    const files = installFiles(this.dir);
    const result = await readInstallResult(files);
    const running = parseSemVer(o.current);
    const target = parseSemVer(inst.version);
    const runsTarget = running !== undefined && target !== undefined && compareSemVer(running, target) >= 0;
    let settled: 'installed' | 'failed' = 'failed';
    if (runsTarget || result?.status === 0) {
      settled = 'installed';
      record.installedVersion = inst.version;
      record.attempts = null;
      await this.removeInstallers();
      record.downloaded = null;
      this.event({ what: 'installed', at: this.t(), version: inst.version });
      this.log.info('update installed', { version: inst.version, running: o.current });
    } else if (result) {
      const tail = await installLogTail(files);
      const why = result.error ?? (result.signal ? `ended by ${result.signal}` : `exit code ${result.status}`);
      this.countAttempt(inst.version);
      this.fail('install', inst.version, new UpdateError('INSTALL_FAILED', `${why}${tail ? ` – ${tail}` : ''}`));
    } else if (this.t() - inst.startedAt > INSTALL_GIVE_UP_MS) {
      this.countAttempt(inst.version);
      this.fail(
        'install',
        inst.version,
        new UpdateError('INSTALL_FAILED', `the installer left no outcome within ${INSTALL_GIVE_UP_MS / 60_000} min`),
      );
    } else return 'running';
    record.installing = null;
    await unlink(files.result).catch(() => {});
    return settled;
  }

  // ── record ──────────────────────────────────────────────────────────────────────────────────────────────────────

  private event(e: UpdateEvent): void {
    this.record.last = e;
  }

  private refused(version: string, reason: string): UpdateEvent {
    return { what: 'refused', at: this.t(), version: version.slice(0, 100), reason: reason.slice(0, 500) };
  }

  private fail(stage: 'check' | 'download' | 'install', version: string | undefined, err: unknown): void {
    const reason = describeError(err);
    this.event({ what: 'failed', at: this.t(), ...(version ? { version } : {}), stage, code: errorCode(err), reason });
    this.log.warn(`update ${stage} failed`, { version, code: errorCode(err), error: reason });
  }

  private countAttempt(version: string): void {
    const a = this.record.attempts;
    this.record.attempts = { version, count: a?.version === version ? a.count + 1 : 1 };
  }

  private givenUp(version: string): boolean {
    const a = this.record.attempts;
    return a?.version === version && a.count >= MAX_INSTALL_ATTEMPTS;
  }

  private givenUpReason(): string {
    return `its installer failed ${MAX_INSTALL_ATTEMPTS} times; waiting for a newer version`;
  }

  /** When the feed is asked next, from the record (a failed check or download is retried within the hour). */
  private nextCheckAt(): number | null {
    const { settings } = this.o;
    const last = this.record.lastCheck;
    if (!settings?.enabled) return null;
    if (!last) return this.t();
    const interval = settings.checkEveryHours * HOUR;
    return last.at + (last.ok ? interval : Math.min(interval, CHECK_RETRY_MS));
  }

  /** Records `event` (if one is given instead of a time), saves, returns the next time. */
  private async finish(next: number | null | UpdateEvent): Promise<number | null> {
    if (next !== null && typeof next === 'object') {
      this.event(next);
      next = this.nextCheckAt();
    }
    await this.save();
    return next;
  }

  private async save(): Promise<void> {
    await writeRecord(this.o.stateDir, this.record);
  }

  // ── the downloads folder ────────────────────────────────────────────────────────────────────────────────────────

  private async downloadedExists(): Promise<boolean> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    return names.includes(this.record.downloaded!.name);
  }

  /** A waiting download the feed no longer offers above the running version goes. */
  private async dropStaleDownload(current: string): Promise<void> {
    const d = this.record.downloaded;
    const [v, c] = [d && parseSemVer(d.version), parseSemVer(current)];
    if (d && (!v || !c || compareSemVer(v, c) <= 0)) {
      await this.removeInstallers();
      this.record.downloaded = null;
    }
  }

  /** Every file of the folder but the helper's result and log: old installers and partial downloads. */
  private async removeInstallers(): Promise<void> {
    const keep = new Set(Object.values(installFiles('')));
    for (const name of await readdir(this.dir).catch(() => [] as string[]))
      if (!keep.has(name)) await unlink(join(this.dir, name)).catch(() => {});
  }
}
