import type { Kysely } from 'kysely';
import type { Insertable } from 'kysely';
import type { AdminRow, AdminsTable, ApiTokenRow, Database } from '../db/schema.js';

export function adminsRepo(db: Kysely<Database>) {
  return {
    async count(): Promise<number> {
      const row = await db
        .selectFrom('admins')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
    async create(row: Insertable<AdminsTable>): Promise<void> {
      await db.insertInto('admins').values(row).execute();
    },
    /** Every admin without the password hash, oldest first. */
    async list(): Promise<Omit<AdminRow, 'password_hash'>[]> {
      return db
        .selectFrom('admins')
        .select(['id', 'username', 'role', 'created_at'])
        .orderBy('created_at')
        .orderBy('id')
        .execute();
    },
    async get(id: string): Promise<AdminRow | undefined> {
      return db.selectFrom('admins').selectAll().where('id', '=', id).executeTakeFirst();
    },
    async findByUsername(username: string): Promise<AdminRow | undefined> {
      return db.selectFrom('admins').selectAll().where('username', '=', username).executeTakeFirst();
    },
    async setPassword(id: string, passwordHash: string): Promise<void> {
      await db.updateTable('admins').set({ password_hash: passwordHash }).where('id', '=', id).execute();
    },
  };
}

export function sessionsRepo(db: Kysely<Database>) {
  return {
    async create(row: { id_hash: string; admin_id: string; created_at: number; expires_at: number }): Promise<void> {
      await db.insertInto('sessions').values(row).execute();
    },
    async findValid(idHash: string, now: number) {
      return db
        .selectFrom('sessions')
        .innerJoin('admins', 'admins.id', 'sessions.admin_id')
        .select(['sessions.id_hash', 'admins.id as admin_id', 'admins.username', 'admins.role'])
        .where('sessions.id_hash', '=', idHash)
        .where('sessions.expires_at', '>', now)
        .executeTakeFirst();
    },
    /** Ends every session of an admin except (optionally) the one making the request. */
    async deleteForAdmin(adminId: string, exceptHash?: string): Promise<void> {
      let q = db.deleteFrom('sessions').where('admin_id', '=', adminId);
      if (exceptHash) q = q.where('id_hash', '!=', exceptHash);
      await q.execute();
    },
    async delete(idHash: string): Promise<void> {
      await db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
    },
    async pruneExpired(now: number): Promise<number> {
      const r = await db.deleteFrom('sessions').where('expires_at', '<=', now).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}

export function apiTokensRepo(db: Kysely<Database>) {
  return {
    async create(row: ApiTokenRow): Promise<void> {
      await db.insertInto('api_tokens').values(row).execute();
    },
    async list(): Promise<Omit<ApiTokenRow, 'token_hash'>[]> {
      return db
        .selectFrom('api_tokens')
        .select(['id', 'name', 'admin_id', 'created_at', 'last_used_at', 'revoked_at', 'expires_at', 'created_in_session'])
        .orderBy('created_at', 'desc')
        .orderBy('id')
        .execute();
    },
    /** A token that is neither revoked nor expired at `now`. */
    async findActiveByHash(tokenHash: string, now: number) {
      return db
        .selectFrom('api_tokens')
        .innerJoin('admins', 'admins.id', 'api_tokens.admin_id')
        .select([
          'api_tokens.id',
          'api_tokens.name',
          'api_tokens.last_used_at',
          'admins.id as admin_id',
          'admins.username',
          'admins.role',
        ])
        .where('api_tokens.token_hash', '=', tokenHash)
        .where('api_tokens.revoked_at', 'is', null)
        .where('api_tokens.expires_at', '>', now)
        .executeTakeFirst();
    },
    async touch(id: string, now: number): Promise<void> {
      await db.updateTable('api_tokens').set({ last_used_at: now }).where('id', '=', id).execute();
    },
    /** Returns false when there is no such (unrevoked) token. */
    async revoke(id: string, now: number): Promise<boolean> {
      const r = await db
        .updateTable('api_tokens')
        .set({ revoked_at: now })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
    /** Revokes every active token of an admin (a password change: they all descend from the old password). */
    async revokeAllOf(adminId: string, now: number): Promise<number> {
      const r = await db
        .updateTable('api_tokens')
        .set({ revoked_at: now })
        .where('admin_id', '=', adminId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows);
    },
  };
}
