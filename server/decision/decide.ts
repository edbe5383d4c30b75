/**
 * The access decision per employee, as the mail and groupware servers ask for it on every login: one indexed row
 * read, compiled once, and reused for APPWACHT_DECISION_CACHE_MS (a client logs in again and again, and on SQLite a
 * sweep holds the one connection for a batch). Changes this process settles clear the cache at once; a change made by
 * another instance on the same database takes effect within that time. A failure to decide (database away) becomes
 * the answer the admin chose (APPWACHT_DECISION_ON_ERROR) and is not cached.
 */
import { CompiledQuery, type Kysely } from 'kysely';
import { Policy } from '../../protocol/policy.js';
import type { Database } from '../db/schema.js';
import { loginIdentity } from '../employees/identity.js';
import { ladderRepo } from '../repositories/ladder.js';
import { policiesRepo } from '../repositories/policies.js';
import type { EscalationConfig } from '../escalation/config.js';

export interface Decision {
  allow: boolean;
  employee: string | null;
  /** When the block began (deny only). */
  since: number | null;
  /** Why, for logs and headers: blocked | allowed | unmapped | error */
  reason: 'blocked' | 'allowed' | 'unmapped' | 'error';
  /** What the person logging in reads (de + en), for a deny. */
  message: string;
}

const CACHE_MS = 10_000;
/** Past this many cached employees the cache starts over (memory stays bounded whatever logins arrive). */
const MAX_CACHED = 100_000;

export function createDecider(deps: { db: Kysely<Database>; config: EscalationConfig; now: () => number }) {
  let identities: { map: Map<string, string>; at: number } | null = null;
  let support: { text: string; at: number } | null = null;
  // Real time (monotonic), not deps.now: the cache's age has nothing to do with the ladder's (test) clock.
  const cached = new Map<string, { blockedSince: number | null; at: number }>();
  const query = deps.db.selectFrom('employees').select('blocked_since').where('email', '=', '').compile();

  async function blockedSince(employee: string): Promise<number | null> {
    const ttl = deps.config.decisionCacheMs;
    const t = performance.now();
    const hit = cached.get(employee);
    if (hit !== undefined && t - hit.at < ttl) return hit.blockedSince;
    const rows = await deps.db.executeQuery<{ blocked_since: number | null }>(CompiledQuery.raw(query.sql, [employee]));
    const since = rows.rows[0]?.blocked_since ?? null;
    if (ttl > 0) {
      if (cached.size >= MAX_CACHED) cached.clear();
      cached.set(employee, { blockedSince: since === null ? null : Number(since), at: t });
    }
    return since === null ? null : Number(since);
  }

  async function overrides(now: number) {
    if (identities === null || now - identities.at > CACHE_MS || now < identities.at)
      identities = { map: await ladderRepo(deps.db).loadOverrides(), at: now };
    return identities.map;
  }

  async function supportText(now: number): Promise<string> {
    if (support === null || now - support.at > CACHE_MS || now < support.at) {
      const repo = policiesRepo(deps.db);
      const v = await repo.latestVersion();
      const row = v === null ? undefined : await repo.get(v);
      const s = row ? Policy.parse(JSON.parse(row.payload)).organization.support : {};
      support = { text: s.email ?? s.phone ?? s.url ?? '', at: now };
    }
    return support.text;
  }

  const denyText = (contact: string) =>
    'Zugang gesperrt: auf Ihrem Dienstgerät ist eine verbotene App. Nach dem Entfernen wird er automatisch frei. ' +
    '/ Access blocked: a banned app is on your service device. It returns automatically once removed.' +
    (contact ? ` (${contact})` : '');

  return {
    async decide(login: string): Promise<Decision> {
      const now = deps.now();
      // No account name holds a NUL (a Basic-auth user can): PostgreSQL would refuse it, SQLite find nobody. The same
      // answer on both, the admin's choice, instead of an error on one and an allow on the other.
      if (login.includes('\u0000')) return this.onError();
      try {
        const employee = loginIdentity(login, deps.config.mailTemplate, await overrides(now));
        if (employee === null) return { allow: true, employee: null, since: null, reason: 'unmapped', message: '' };
        const since = await blockedSince(employee);
        if (since === null) return { allow: true, employee, since: null, reason: 'allowed', message: '' };
        return { allow: false, employee, since, reason: 'blocked', message: denyText(await supportText(now)) };
      } catch {
        return this.onError();
      }
    },

    /** An employee's decision changed in this process: the next login reads it (all, without an employee). */
    forget(employee?: string): void {
      if (employee === undefined) cached.clear();
      else cached.delete(employee);
    },

    /** The admin's choice for when no decision can be made. */
    onError(): Decision {
      const allow = deps.config.decisionOnError === 'allow';
      return { allow, employee: null, since: null, reason: 'error', message: allow ? '' : denyText('') };
    },
  };
}
export type Decider = ReturnType<typeof createDecider>;
