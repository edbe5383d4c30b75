import type { Insertable, Kysely } from 'kysely';
import type { Database, EnrollmentRequestRow, EnrollmentRequestStatus, EnrollmentRequestsTable } from '../db/schema.js';

/** Re-enrollment requests of known machines that came without the device's current token. */
export type EnrollmentRequestView = EnrollmentRequestRow & { device_hostname: string };

export function enrollmentRequestsRepo(db: Kysely<Database>) {
  /** Requests with the current hostname of the device they ask for. */
  const withDevice = () =>
    db
      .selectFrom('enrollment_requests as r')
      .innerJoin('devices as d', 'd.id', 'r.device_id')
      .selectAll('r')
      .select('d.hostname as device_hostname');
  return {
    async create(row: Insertable<EnrollmentRequestsTable>): Promise<void> {
      await db.insertInto('enrollment_requests').values(row).execute();
    },

    async countPendingFor(machineId: string): Promise<number> {
      const { n } = await db
        .selectFrom('enrollment_requests')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('machine_id', '=', machineId)
        .where('status', '=', 'pending')
        .executeTakeFirstOrThrow();
      return Number(n);
    },

    async findByTokenHash(tokenHash: string): Promise<EnrollmentRequestRow | undefined> {
      return db.selectFrom('enrollment_requests').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
    },

    async get(id: string): Promise<EnrollmentRequestRow | undefined> {
      return db.selectFrom('enrollment_requests').selectAll().where('id', '=', id).executeTakeFirst();
    },

    async view(id: string): Promise<EnrollmentRequestView | undefined> {
      return withDevice().where('r.id', '=', id).executeTakeFirst();
    },

    /** Newest first, keyset on (requested_at, id); `limit + 1` rows at most. */
    async list(q: {
      status?: EnrollmentRequestStatus;
      limit: number;
      before?: [requestedAt: number, id: string];
    }): Promise<EnrollmentRequestView[]> {
      let query = withDevice();
      if (q.status) query = query.where('r.status', '=', q.status);
      if (q.before) {
        const [at, id] = q.before;
        query = query.where(({ eb, refTuple, tuple }) => eb(refTuple('r.requested_at', 'r.id'), '<', tuple(at, id)));
      }
      return query
        .orderBy('r.requested_at', 'desc')
        .orderBy('r.id', 'desc')
        .limit(q.limit + 1)
        .execute();
    },

    /** Pending → approved/denied; false when the request was decided already (a second admin, a double click). */
    async decide(id: string, status: 'approved' | 'denied', at: number, by: string): Promise<boolean> {
      const r = await db
        .updateTable('enrollment_requests')
        .set({ status, decided_at: at, decided_by: by })
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },
  };
}
export type EnrollmentRequestsRepo = ReturnType<typeof enrollmentRequestsRepo>;
