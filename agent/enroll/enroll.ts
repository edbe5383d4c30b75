import type { HostFacts } from '../../protocol/index.js';
import { silentLogger, type Logger } from '../log.js';
import { createApiClient, type ApiClient } from '../transport/api-client.js';
import { ServerError, type Fetch } from '../transport/errors.js';
import { EnrollError } from './errors.js';
import type { DeviceCredentials, TokenStore } from './token-store.js';

export type EnrollmentState =
  | { state: 'enrolled'; credentials: DeviceCredentials; /** enrolled by this very call */ fresh: boolean }
  | { state: 'unenrolled'; reason: UnenrolledReason; message: string; /** automatic attempts resume then */ retryAt?: Date };

/**
 * no-server / no-secret: configuration, nothing to try. token-rejected: the server revoked the token and no secret is
 * configured to get a new one. refused (secret or request refused) / server-unavailable / failed: an attempt failed, the next one waits (retryAt).
 * waiting: an earlier attempt failed and the wait is not over.
 */
export type UnenrolledReason =
  'no-server' | 'no-secret' | 'token-rejected' | 'refused' | 'server-unavailable' | 'failed' | 'waiting';

/** `pendingApproval`: the server knows this machine and waits for an admin before the token works. */
export type EnrolledCredentials = DeviceCredentials & { pendingApproval?: true };

export interface EnrollmentOptions {
  serverUrl?: string;
  secret?: string;
  /** The client for serverUrl; undefined without a server. */
  api?: ApiClient;
  store: TokenStore;
  hostFacts: () => Promise<HostFacts>;
  log?: Logger;
  now?: () => Date;
  /** 0 ≤ random() < 1, for the jitter. */
  random?: () => number;
  /** Waits between automatic attempts: full jitter over base·2ⁿ, capped. Default 1 min … 1 h. */
  backoff?: { baseMs: number; capMs: number };
  /** Where the automatic attempts of an earlier process stood (a short-lived process continues their backoff). */
  resume?: EnrollmentBackoff;
}

/** Automatic enrollment attempts since the token last proved itself, and when the next one may start. */
export interface EnrollmentBackoff {
  attempts: number;
  retryAt?: Date;
}

export interface Enrollment {
  /** The device token for the configured server, or undefined (then the API client fails with UNAUTHORIZED unasked). */
  getToken(): Promise<string | undefined>;
  /**
   * First run and every turn of the loop: already enrolled with this server? If not and a secret is configured, enroll
   * (at most once per backoff window). Never throws for server trouble; the state says what happened.
   */
  ensureEnrolled(): Promise<EnrollmentState>;
  /**
   * After a 401/403 from any call: forget the token, and enroll again if a secret is configured. Attempts are spaced out
   * with backoff until an authenticated call succeeds again, so a server that keeps refusing causes no enrollment storm.
   */
  handleUnauthorized(): Promise<EnrollmentState>;
  /** An authenticated call succeeded: the token works, automatic attempts may start without waiting again. */
  noteAuthorized(): void;
  /**
   * `appwacht enroll`: enroll now, whatever the backoff says, proving itself with the stored token if there is one.
   * Throws ServerError / EnrollError.
   */
  enrollNow(): Promise<EnrolledCredentials>;
  /** Where the automatic attempts stand, for the next process to `resume`. */
  backoffState(): EnrollmentBackoff;
}

export function createEnrollment(options: EnrollmentOptions): Enrollment {
  const log = (options.log ?? silentLogger).child({ component: 'enroll' });
  const now = options.now ?? (() => new Date());
  const random = options.random ?? Math.random;
  const { baseMs, capMs } = options.backoff ?? { baseMs: 60_000, capMs: 3_600_000 };
  const { store, serverUrl, secret, api } = options;

  let cached: DeviceCredentials | undefined;
  let loaded = false;
  /** Automatic attempts since the token last proved itself; decides the next wait. */
  let attempts = options.resume?.attempts ?? 0;
  let retryAt: Date | undefined = options.resume?.retryAt;

  async function credentials(): Promise<DeviceCredentials | undefined> {
    if (loaded) return cached;
    const read = await store.load();
    loaded = true;
    if (read.status === 'unusable') log.warn('device token unusable', { location: store.location, reason: read.reason });
    if (read.status !== 'ok') return (cached = undefined);
    if (read.credentials.serverUrl !== serverUrl) {
      log.info('device token belongs to another server', { enrolledWith: read.credentials.serverUrl, configured: serverUrl });
      return (cached = undefined);
    }
    return (cached = read.credentials);
  }

  async function enrollOnce(): Promise<EnrolledCredentials> {
    if (!serverUrl || !api) throw new EnrollError('NOT_CONFIGURED', 'no server configured (serverUrl)');
    if (!secret) throw new EnrollError('NOT_CONFIGURED', 'no enrollment secret configured (enrollmentSecret)');
    // The token held now proves to the server that this is the device itself; without it, the server has an admin
    // approve the re-enrollment of a machine it knows (the secret and the machine id are no proof).
    const current = (await credentials())?.deviceToken;
    const { pendingApproval, ...answer } = await api.enroll(
      { enrollmentSecret: secret, host: await options.hostFacts() },
      current ? { currentToken: current } : {},
    );
    const creds: DeviceCredentials = { serverUrl, ...answer, enrolledAt: now().toISOString() };
    await store.save(creds);
    cached = creds;
    loaded = true;
    log.info('enrolled', { deviceId: creds.deviceId, server: serverUrl, ...(pendingApproval ? { pendingApproval } : {}) });
    return pendingApproval ? { ...creds, pendingApproval } : creds;
  }

  async function automaticAttempt(): Promise<EnrollmentState> {
    if (retryAt && now() < retryAt)
      return { state: 'unenrolled', reason: 'waiting', message: `next enrollment attempt at ${retryAt.toISOString()}`, retryAt };
    const wait = random() * Math.min(capMs, baseMs * 2 ** attempts);
    attempts++;
    retryAt = new Date(now().getTime() + wait);
    try {
      return { state: 'enrolled', credentials: await enrollOnce(), fresh: true };
    } catch (err) {
      let reason: UnenrolledReason = 'failed';
      if (err instanceof ServerError) reason = err.transient ? 'server-unavailable' : 'refused';
      else if (!(err instanceof EnrollError) && !(err as { code?: string }).code) throw err; // a bug, not a condition
      log[reason === 'server-unavailable' ? 'warn' : 'error']('enrollment failed', { reason, error: err, retryAt });
      return { state: 'unenrolled', reason, message: (err as Error).message, retryAt };
    }
  }

  return {
    async getToken() {
      return (await credentials())?.deviceToken;
    },

    async ensureEnrolled() {
      if (!serverUrl || !api) return { state: 'unenrolled', reason: 'no-server', message: 'no server configured: local mode' };
      const creds = await credentials();
      if (creds) return { state: 'enrolled', credentials: creds, fresh: false };
      if (!secret)
        return {
          state: 'unenrolled',
          reason: 'no-secret',
          message: 'not enrolled and no enrollment secret configured: run "appwacht enroll --secret …" or ask IT',
        };
      return automaticAttempt();
    },

    async handleUnauthorized() {
      log.warn('device token rejected by the server', { server: serverUrl });
      cached = undefined;
      loaded = true;
      await store.clear();
      if (!secret)
        return {
          state: 'unenrolled',
          reason: 'token-rejected',
          message: 'the server no longer accepts this device and no enrollment secret is configured: run "appwacht enroll"',
        };
      return automaticAttempt();
    },

    noteAuthorized() {
      attempts = 0;
      retryAt = undefined;
    },

    enrollNow: enrollOnce,

    backoffState: () => ({ attempts, ...(retryAt ? { retryAt } : {}) }),
  };
}

/**
 * The API client and the enrollment for one server, wired together: the client asks the enrollment for the token,
 * and every successful authenticated call tells the enrollment that the token works (resets its backoff).
 */
export function createServerConnection(
  options: Omit<EnrollmentOptions, 'api' | 'serverUrl'> & { serverUrl: string; fetch: Fetch; timeoutMs?: number },
): { api: ApiClient; enrollment: Enrollment } {
  const { fetch, timeoutMs, ...rest } = options;
  // The client asks the enrollment for the token only when a call is made, after both exist.
  const raw = createApiClient({ serverUrl: options.serverUrl, fetch, timeoutMs, getToken: () => enrollment.getToken() });
  const api: ApiClient = {
    serverUrl: raw.serverUrl,
    enroll: (request, o) => raw.enroll(request, o),
    getPolicy: async (etag, o) => {
      const answer = await raw.getPolicy(etag, o);
      enrollment.noteAuthorized();
      return answer;
    },
    postReport: async (report, o) => {
      const ack = await raw.postReport(report, o);
      enrollment.noteAuthorized();
      return ack;
    },
  };
  const enrollment = createEnrollment({ ...rest, api });
  return { api, enrollment };
}
