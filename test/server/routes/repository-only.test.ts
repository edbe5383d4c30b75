/**
 * Routes reach the database only through ctx.repos / ctx.tx (issue 15). The rule lives in eslint.config.js; this test
 * proves it bites on a route file, so removing or loosening it fails here too, not only in review.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';

const root = new URL('../../../', import.meta.url).pathname;

async function lintRoute(code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: root });
  const [result] = await eslint.lintText(code, { filePath: `${root}server/routes/admin/example.ts` });
  return result!.messages.map((m) => `${m.ruleId}@${m.line}`);
}

describe('routes use repositories only', () => {
  it('refuses Kysely, the database handle and hand-built repositories in server/routes/', async () => {
    const messages = await lintRoute(
      [
        "import { sql } from 'kysely';",
        "import type { AppContext } from '../../context.js';",
        "import { devicesRepo } from '../../repositories/devices.js';",
        'export const a = (ctx: AppContext & { handle: { db: unknown } }) => [sql, devicesRepo, ctx.handle.db];',
        "export const b = (db: { selectFrom(t: string): unknown }) => db.selectFrom('devices');",
        '',
      ].join('\n'),
    );
    assert.deepEqual(messages.filter((m) => m.startsWith('no-restricted-imports')).sort(), [
      'no-restricted-imports@1',
      'no-restricted-imports@3',
    ]);
    assert.ok(messages.includes('no-restricted-syntax@4'), messages.join(', '));
    assert.ok(messages.includes('no-restricted-syntax@5'), messages.join(', '));
  });

  it('lets a route use ctx.repos, ctx.tx and repository types', async () => {
    const messages = await lintRoute(
      [
        "import type { AppContext } from '../../context.js';",
        "import { DEVICE_SORTS, type DeviceAppRow } from '../../repositories/devices.js';",
        'export const a = (ctx: AppContext, rows: DeviceAppRow[]) => [DEVICE_SORTS, rows, ctx.repos.devices.get("x")];',
        'export const b = (ctx: AppContext) => ctx.tx(async (repos) => repos.audit.count());',
        '',
      ].join('\n'),
    );
    assert.deepEqual(messages, []);
  });
});
