import type { Kysely } from 'kysely';
import type { z } from 'zod';
import { Policy, POLICY_PAYLOAD_MAX, policyRenewalDue } from '../../protocol/policy.js';
import type { SignedPolicy } from '../../protocol/policy.js';
import { policyEtag, signPayload } from '../../protocol/signing.js';
import type { Database, PolicyRow } from '../db/schema.js';
import { conflict, HttpError } from '../errors.js';
import { auditRepo } from '../repositories/audit.js';
import { policiesRepo } from '../repositories/policies.js';

/** A policy as an admin submits it: the server assigns `version` and `issuedAt`. */
export const PolicyDraft = Policy.omit({ version: true, issuedAt: true }).extend({
  /** Optional optimistic lock: if given it must be the next version, so two admins cannot overwrite each other. */
  version: Policy.shape.version.optional(),
  /** Accepted so a file exported from the server can be submitted again; replaced by the server's time. */
  issuedAt: Policy.shape.issuedAt.optional(),
});
export type PolicyDraft = z.infer<typeof PolicyDraft>;

export interface CachedPolicy {
  version: number;
  etag: string;
  signed: SignedPolicy;
  /** The exact JSON the agent receives, serialised once. */
  body: string;
  createdAt: number;
  createdBy: string;
}

/** How long a policy holds when the admin sets no expiresAt; the server renews it in the second half (finding 2). */
export const DEFAULT_POLICY_VALIDITY_DAYS = 14;
const DAY_MS = 86_400_000;

/** Signs a policy document: the envelope, the exact payload and its ETag (a hash of the signed bytes, protocol/signing.ts). */
function signPolicy(policy: Policy, signingKeyPem: string) {
  const payload = JSON.stringify(policy);
  const signed = signPayload(payload, signingKeyPem);
  return { payload, signature: signed.signature, key_id: signed.keyId, etag: policyEtag(signed) };
}

/**
 * Signs once, when a version is created; requests only read the stored signature.
 * The newest version is looked up per request (one indexed row), its signed body is cached by version,
 * so several server instances on one PostgreSQL never serve a stale policy.
 */
export function createPolicyStore(
  db: Kysely<Database>,
  signingKeyPem: string,
  now: () => number = Date.now,
  validityDays: number = DEFAULT_POLICY_VALIDITY_DAYS,
) {
  const validityMs = validityDays * DAY_MS;
  const cache = new Map<number, CachedPolicy & { renewable: boolean }>();
  const toCached = (row: PolicyRow): CachedPolicy & { renewable: boolean } => {
    const signed: SignedPolicy = { keyId: row.key_id, payload: row.payload, signature: row.signature };
    return {
      // Rows from before migration 0006: renewable when the admin gave no expiry (they have none at all).
      renewable: row.expiry_renewable === null ? !row.payload.includes('"expiresAt"') : row.expiry_renewable === 1,
      version: row.version,
      etag: row.etag,
      signed,
      body: JSON.stringify(signed),
      createdAt: row.created_at,
      createdBy: row.created_by,
    };
  };

  /**
   * The version as agents get it: in the second half of its default validity it is re-signed with a fresh issuedAt and
   * expiresAt and nothing else changed (an agent accepts that as a renewal of the same version), and audit-logged.
   * An admin's own expiresAt is never extended.
   */
  async function renewIfDue(c: CachedPolicy & { renewable: boolean }): Promise<CachedPolicy> {
    const at = now();
    const policy = Policy.parse(JSON.parse(c.signed.payload));
    if (!c.renewable || !policyRenewalDue(policy, at)) return c;
    const renewed = signPolicy(
      { ...policy, issuedAt: new Date(at).toISOString(), expiresAt: new Date(at + validityMs).toISOString() },
      signingKeyPem,
    );
    // Two servers renewing at once: only the one whose update still finds the old ETag writes; both then serve the row.
    await db.transaction().execute(async (trx) => {
      if (!(await policiesRepo(trx).renew(c.version, c.etag, renewed))) return;
      await auditRepo(trx).append({
        at,
        actor: 'system',
        action: 'policy.renew',
        target: `policy:${c.version}`,
        details: { version: c.version, expiresAt: new Date(at + validityMs).toISOString() },
      });
    });
    cache.delete(c.version);
    return (await get(c.version)) ?? c;
  }

  async function get(version: number): Promise<(CachedPolicy & { renewable: boolean }) | null> {
    const hit = cache.get(version);
    if (hit) return hit;
    const row = await policiesRepo(db).get(version);
    if (!row) return null;
    const c = toCached(row);
    cache.set(version, c);
    return c;
  }

  return {
    async current(): Promise<CachedPolicy | null> {
      const v = await policiesRepo(db).latestVersion();
      return v === null ? null : get(v);
    },
    get,
    /** The newest version for GET /policy: renewed first when due (see renewIfDue). */
    async forAgents(): Promise<CachedPolicy | null> {
      const v = await policiesRepo(db).latestVersion();
      const c = v === null ? null : await get(v);
      return c && renewIfDue(c);
    },

    /** Creates the next version: validated, numbered, signed, stored and audit-logged in one transaction. */
    async create(draft: PolicyDraft, actor: string): Promise<CachedPolicy> {
      const row = await db
        .transaction()
        .execute(async (trx) => {
          const latest = (await policiesRepo(trx).latestVersion()) ?? 0;
          const version = latest + 1;
          if (draft.version !== undefined && draft.version !== version) {
            throw conflict('POLICY_VERSION_CONFLICT', `the next version is ${version}, the request asked for ${draft.version}`);
          }
          const at = now();
          const renewable = draft.expiresAt === undefined;
          const policy: Policy = Policy.parse({
            ...draft,
            version,
            issuedAt: new Date(at).toISOString(),
            // No expiry of the admin's: the default, renewed by re-signing while this is the newest version.
            ...(renewable ? { expiresAt: new Date(at + validityMs).toISOString() } : {}),
          });
          if (policy.expiresAt !== undefined && Date.parse(policy.expiresAt) <= at) {
            throw new HttpError(400, 'POLICY_EXPIRED', 'expiresAt lies in the past');
          }
          const payload = JSON.stringify(policy);
          // Checked before signing and storing: a version every agent would refuse must not exist (issue 14 finding 5).
          if (payload.length > POLICY_PAYLOAD_MAX)
            throw new HttpError(
              400,
              'POLICY_TOO_LARGE',
              `the policy is ${payload.length} characters as JSON; agents accept at most ${POLICY_PAYLOAD_MAX}`,
            );
          const row: PolicyRow = {
            version,
            ...signPolicy(policy, signingKeyPem),
            created_at: at,
            created_by: actor,
            expiry_renewable: renewable ? 1 : 0,
          };
          await policiesRepo(trx).insert(row);
          await auditRepo(trx).append({
            at,
            actor,
            action: 'policy.create',
            target: `policy:${version}`,
            details: { version, rules: policy.rules.map((r) => r.id), reportOnly: policy.escalation.reportOnly },
          });
          return row;
        })
        .catch((err: unknown) => {
          if (err instanceof HttpError) throw err;
          // Two creates raced for the same number: the loser gets a 409 instead of a 500.
          if (isUniqueViolation(err))
            throw conflict('POLICY_VERSION_CONFLICT', 'another version was created at the same time; retry');
          throw err;
        });
      const c = toCached(row);
      cache.set(row.version, c);
      return c;
    },
  };
}
export type PolicyStore = ReturnType<typeof createPolicyStore>;

export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE';
}
