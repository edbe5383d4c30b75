import type { Kysely } from 'kysely';
import type { AuditRow, Database } from '../db/schema.js';

export interface AuditEntry {
  actor: string;
  action: string;
  target?: string | null;
  details?: unknown;
  at: number;
}

/** Append-only: nothing here updates or deletes. */
export function auditRepo(db: Kysely<Database>) {
  return {
    async append(e: AuditEntry): Promise<void> {
      await db
        .insertInto('audit_log')
        .values({
          at: e.at,
          actor: e.actor,
          action: e.action,
          target: e.target ?? null,
          details: e.details === undefined ? null : JSON.stringify(e.details),
        })
        .execute();
    },
    /** Newest first, keyset on the id. */
    async list(q: { limit: number; beforeId?: number; action?: string; actor?: string }): Promise<AuditRow[]> {
      let query = db.selectFrom('audit_log').selectAll();
      if (q.beforeId !== undefined) query = query.where('id', '<', q.beforeId);
      if (q.action) query = query.where('action', '=', q.action);
      if (q.actor) query = query.where('actor', '=', q.actor);
      return query
        .orderBy('id', 'desc')
        .limit(q.limit + 1)
        .execute();
    },
    async count(): Promise<number> {
      const row = await db
        .selectFrom('audit_log')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}
export type AuditRepo = ReturnType<typeof auditRepo>;
