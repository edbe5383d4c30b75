import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { DialectName } from '../connect.js';
import { initial } from './0001-initial.js';
import { deviceSecurity } from './0002-device-security.js';
import { adminTokens } from './0003-admin-tokens.js';
import { escalation } from './0005-escalation.js';
import { policyExpiry } from './0006-policy-expiry.js';
import { dashboard } from './0007-dashboard.js';

/** Static list (no folder scanning): works the same from tsx, from dist/ and in a bundle. Append, never edit. */
export function migrations(dialect: DialectName): Record<string, Migration> {
  return {
    '0001-initial': initial(dialect),
    '0002-device-security': deviceSecurity(dialect),
    '0003-admin-tokens': adminTokens(),
    '0005-escalation': escalation(dialect),
    '0006-policy-expiry': policyExpiry,
    '0007-dashboard': dashboard,
  };
}

export class MigrationError extends Error {
  readonly code = 'MIGRATION_FAILED';
}

export async function migrateToLatest(db: Kysely<unknown>, dialect: DialectName): Promise<string[]> {
  const provider: MigrationProvider = { getMigrations: async () => migrations(dialect) };
  // Kysely looks for its bookkeeping tables in every schema but creates them in the current one: pin it, or a second
  // Appwacht schema in the same database (staging next to production, parallel tests) would hide ours.
  const schema =
    dialect === 'postgres' ? (await sql<{ s: string }>`select current_schema() as s`.execute(db)).rows[0]?.s : undefined;
  const migrator = new Migrator({ db, provider, ...(schema ? { migrationTableSchema: schema } : {}) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? '?';
    throw new MigrationError(`database migration ${failed} failed: ${(error as Error).message ?? String(error)}`, {
      cause: error,
    });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
