/**
 * PostgreSQL introspection limited to the schemas on our search_path.
 *
 * Kysely's migrator asks its dialect's introspector whether its bookkeeping tables exist. The stock PostgreSQL
 * introspector reads every schema of the database and calls `has_schema_privilege(name)` and
 * `pg_get_serial_sequence(name)` per row: when another client drops a schema while that query runs (a second
 * Appwacht instance's tests, another application in a shared database), the migration fails with "schema … does not
 * exist" for a schema that is not ours. Seen in CI: a parallel test file dropped its schema mid-query. Reading only
 * `current_schemas(false)` removes that race and is all Appwacht needs.
 */
import { PostgresDialect, sql, type DatabaseIntrospector, type Kysely, type SchemaMetadata, type TableMetadata } from 'kysely';

interface ColumnRow {
  schema: string;
  table: string;
  table_type: string;
  column: string;
  type: string;
  not_null: boolean;
  has_default: boolean;
}

export class OwnSchemasIntrospector implements DatabaseIntrospector {
  constructor(private readonly db: Kysely<unknown>) {}

  async getSchemas(): Promise<SchemaMetadata[]> {
    const { rows } = await sql<{ name: string }>`select unnest(current_schemas(false)) as name`.execute(this.db);
    return rows.map((r) => ({ name: r.name }));
  }

  async getTables(): Promise<TableMetadata[]> {
    const { rows } = await sql<ColumnRow>`
      select ns.nspname as schema, c.relname as table, c.relkind as table_type, a.attname as column,
             t.typname as type, a.attnotnull as not_null, a.atthasdef as has_default
        from pg_catalog.pg_class c
        join pg_catalog.pg_namespace ns on ns.oid = c.relnamespace
        join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
        join pg_catalog.pg_type t on t.oid = a.atttypid
       where ns.nspname = any (current_schemas(false)) and c.relkind in ('r', 'v', 'p')
       order by ns.nspname, c.relname, a.attnum`.execute(this.db);
    const tables = new Map<string, TableMetadata & { columns: TableMetadata['columns'][number][] }>();
    for (const r of rows) {
      const key = `${r.schema}.${r.table}`;
      let table = tables.get(key);
      if (!table) {
        table = { schema: r.schema, name: r.table, isView: r.table_type === 'v', columns: [] };
        tables.set(key, table);
      }
      table.columns.push({
        name: r.column,
        dataType: r.type,
        isNullable: !r.not_null,
        hasDefaultValue: r.has_default,
        isAutoIncrementing: false,
      });
    }
    return [...tables.values()];
  }

  async getMetadata(): Promise<{ tables: TableMetadata[] }> {
    return { tables: await this.getTables() };
  }
}

/** Kysely's PostgreSQL dialect with {@link OwnSchemasIntrospector}. */
export class OwnSchemasPostgresDialect extends PostgresDialect {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the signature Kysely declares
  override createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new OwnSchemasIntrospector(db);
  }
}
