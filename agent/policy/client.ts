import type { KeyObject } from 'node:crypto';
import { policyEtag, policyRenewalDue, publicKeyFromBase64, type Policy, type SignedPolicy } from '../../protocol/index.js';
import { describeError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import type { ApiClient } from '../transport/api-client.js';
import { ServerError } from '../transport/errors.js';
import { loadDefaultPolicy } from './default-policy.js';
import { checkSuccessor, isExpired, openSignedPolicy, PolicyRejectedError } from './signed.js';
import type { PolicyStore } from './store.js';

/**
 * server: the server sent or confirmed (304) this policy just now. cache: the last good signed policy from disk
 * (server unreachable, or a newer one was rejected). bundled: local mode, the policy shipped with the agent.
 */
export type PolicyOrigin = 'server' | 'cache' | 'bundled';

export interface PolicyInForce {
  policy: Policy;
  origin: PolicyOrigin;
  /** What reports carry as policyVersion: null in local mode (the bundled policy is not the organisation's). */
  version: number | null;
  /** The policy in force is past its expiresAt: kept (nothing better is there) but said so. */
  expired: boolean;
  /** Why the agent is not on a fresh server policy, in words (for `appwacht status` and logs). */
  reason?: string;
}

export type RefreshOutcome =
  | { outcome: 'updated'; previousVersion: number | null }
  | { outcome: 'not-modified' }
  /** The server answered with a policy that failed verification; the policy in force stays. */
  | { outcome: 'rejected'; error: PolicyRejectedError }
  /** The server could not be asked (see error.code: UNAUTHORIZED → re-enroll; others → try again later). */
  | { outcome: 'failed'; error: ServerError }
  /** No server or no policy key configured: nothing to ask. */
  | { outcome: 'skipped' };

export interface PolicyClientOptions {
  /** base64 raw Ed25519 key from the config. Without it no server policy can be trusted: local mode. */
  publicKey?: string;
  /** Undefined without a configured server: local mode. */
  api?: ApiClient;
  store: PolicyStore;
  log?: Logger;
  now?: () => Date;
  /** The bundled policy; injectable for tests. */
  loadBundled?: () => Policy;
  /** The lowest version IT accepts (managed `MinPolicyVersion`): older ones are refused, from the server or the cache. */
  minVersion?: number;
}

export interface PolicyClient {
  /** The policy in force without asking the server: last good signed policy from disk, else the bundled one. */
  current(): Promise<PolicyInForce>;
  /** Asks the server (If-None-Match), verifies and keeps what it gets, and returns the policy in force afterwards. */
  refresh(options?: { signal?: AbortSignal }): Promise<PolicyInForce & { refresh: RefreshOutcome }>;
}

interface Good {
  signed: SignedPolicy;
  policy: Policy;
  etag?: string;
}

/**
 * The signed-policy client. Trust comes from the pinned key only: the transport (TLS, proxy) may be anything. Every
 * rejection is one warn line `policy rejected` with `reason` = the PolicyRejectedError code.
 */
export function createPolicyClient(options: PolicyClientOptions): PolicyClient {
  const log = (options.log ?? silentLogger).child({ component: 'policy' });
  const now = options.now ?? (() => new Date());
  const loadBundled = options.loadBundled ?? loadDefaultPolicy;
  const { store, api, minVersion } = options;

  let key: KeyObject | undefined;
  let keyProblem: string | undefined;
  if (options.publicKey === undefined) keyProblem = 'no policy public key configured';
  else {
    try {
      key = publicKeyFromBase64(options.publicKey);
    } catch (err) {
      keyProblem = `the configured policy public key is unusable: ${describeError(err)}`;
    }
  }

  let good: Good | undefined;
  let cacheLoaded = false;

  async function loadCache(): Promise<Good | undefined> {
    if (cacheLoaded || !key) return good;
    cacheLoaded = true;
    const pinned = key;
    let read;
    try {
      read = await store.load((entry) => ({
        signed: entry.signed,
        etag: entry.etag,
        policy: openSignedPolicy(entry.signed, pinned),
      }));
    } catch (err) {
      // Unreadable (permissions, I/O): run on what else there is and say so; the next refresh will rewrite it.
      log.error('policy cache unreadable', { path: store.path, error: err });
      return undefined;
    }
    if (read.status === 'corrupt')
      log.warn('policy cache rejected', { path: store.path, movedTo: read.movedTo, reason: read.reason });
    if (read.status === 'ok' && minVersion !== undefined && read.value.policy.version < minVersion) {
      // Kept on disk (it is genuine), but not used: IT has said versions below the minimum must not be enforced.
      log.warn('policy cache below the minimum version', { version: read.value.policy.version, minVersion });
      return undefined;
    }
    if (read.status === 'ok') {
      good = read.value;
      log.debug('policy cache loaded', { version: good.policy.version });
    }
    return good;
  }

  function inForce(origin: 'server' | 'cache', g: Good, reason?: string): PolicyInForce {
    const expired = isExpired(g.policy, now());
    if (expired)
      log.warn('policy in force has expired', {
        version: g.policy.version,
        expiresAt: g.policy.expiresAt,
        note: 'kept until the server sends a newer one',
      });
    return { policy: g.policy, origin, version: g.policy.version, expired, ...(reason ? { reason } : {}) };
  }

  function fallback(reason: string): PolicyInForce {
    if (good) return inForce('cache', good, reason);
    return { policy: loadBundled(), origin: 'bundled', version: null, expired: false, reason };
  }

  function localModeReason(): string | undefined {
    if (keyProblem) return keyProblem;
    if (!api) return 'no server configured';
    return undefined;
  }

  return {
    async current() {
      await loadCache();
      const local = localModeReason();
      if (good) return inForce('cache', good, local);
      return fallback(local ?? 'no policy received from the server yet');
    },

    async refresh(refreshOptions = {}) {
      await loadCache();
      const local = localModeReason();
      if (local || !api || !key) {
        return { ...(good ? inForce('cache', good, local) : fallback(local ?? 'local mode')), refresh: { outcome: 'skipped' } };
      }

      // The ETag of the bytes we hold, computed here (not a header some response handed us), and only while the policy is
      // in the first half of its validity: after that a renewal is due, and an unsigned 304 must not stand in for it.
      const ifNoneMatch = good && !policyRenewalDue(good.policy, now().getTime()) ? policyEtag(good.signed) : undefined;
      let answer;
      try {
        answer = await api.getPolicy(ifNoneMatch, refreshOptions);
      } catch (err) {
        if (!(err instanceof ServerError)) throw err;
        if (err.code === 'BAD_RESPONSE') {
          // For this endpoint an answer that is not a signed envelope (e.g. a bare, unsigned policy) is a rejected policy.
          const rejected = new PolicyRejectedError('POLICY_UNSIGNED', err.message, { cause: err });
          log.warn('policy rejected', { reason: rejected.code, detail: err.message, inForce: good?.policy.version ?? 'bundled' });
          return {
            ...fallback(`the server's policy was rejected: ${err.message}`),
            refresh: { outcome: 'rejected', error: rejected },
          };
        }
        log.warn('policy refresh failed', { error: err, inForce: good?.policy.version ?? 'bundled' });
        const why = err.code === 'UNAUTHORIZED' ? 'not enrolled, or the device token was rejected' : 'server unavailable';
        return { ...fallback(`${why}: ${err.message}`), refresh: { outcome: 'failed', error: err } };
      }

      if (answer.status === 'not-modified') {
        // A 304 is not signed: it is believed only as the answer to the If-None-Match we sent, for the bytes we hold.
        const problem =
          !good || ifNoneMatch === undefined
            ? 'the server answered 304 Not Modified to a request without If-None-Match (no policy held, or a renewal is due)'
            : answer.etag !== ifNoneMatch
              ? `the server answered 304 Not Modified for another ETag (${answer.etag ?? 'none'}) than the policy held`
              : undefined;
        if (problem || !good) {
          const err = new ServerError('BAD_RESPONSE', problem ?? 'unexpected 304');
          log.warn('policy refresh failed', { error: err });
          return { ...fallback(err.message), refresh: { outcome: 'failed', error: err } };
        }
        return { ...inForce('server', good), refresh: { outcome: 'not-modified' } };
      }

      const previous = good;
      try {
        const policy = openSignedPolicy(answer.signed, key);
        checkSuccessor(
          { policy, payload: answer.signed.payload },
          previous && { policy: previous.policy, payload: previous.signed.payload },
          now(),
          minVersion,
        );
        good = { signed: answer.signed, policy, etag: answer.etag };
      } catch (err) {
        if (!(err instanceof PolicyRejectedError)) throw err;
        log.warn('policy rejected', {
          reason: err.code,
          detail: err.message,
          keyId: answer.signed.keyId,
          inForce: previous?.policy.version ?? 'bundled',
        });
        return { ...fallback(`the server's policy was rejected: ${err.message}`), refresh: { outcome: 'rejected', error: err } };
      }

      const unchanged = previous !== undefined && previous.signed.payload === answer.signed.payload;
      // A renewal (same version and content, re-signed with a later expiry) changes nothing the agent enforces.
      const renewed = !unchanged && previous !== undefined && previous.policy.version === good.policy.version;
      try {
        await store.save({ signed: answer.signed, etag: answer.etag, receivedAt: now() });
      } catch (err) {
        // Disk full or similar: the new policy is in force for this run; the old file stays as it was.
        log.error('policy cache not written', { path: store.path, error: err });
      }
      if (unchanged) return { ...inForce('server', good), refresh: { outcome: 'not-modified' } };
      if (renewed) {
        log.info('policy renewed', { version: good.policy.version, expiresAt: good.policy.expiresAt });
        return { ...inForce('server', good), refresh: { outcome: 'not-modified' } };
      }
      log.info('policy updated', { version: good.policy.version, previous: previous?.policy.version ?? 'bundled' });
      return { ...inForce('server', good), refresh: { outcome: 'updated', previousVersion: previous?.policy.version ?? null } };
    },
  };
}
