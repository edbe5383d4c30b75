import { z } from 'zod';
import { OsName } from '../../protocol/index.js';
import type { RawShape, Zod } from './sources/raw.js';

/**
 * The check of a capture read from disk (`--from`): the one inventory module that imports zod, loaded on demand. A live
 * scan never loads it: what our own typed collect code just produced needs no check. The envelope's shape is here,
 * each source's beside its collector (sources/raw.ts says why shapes are functions of zod).
 */

export const RawSourceResultShape = (zod: Zod) =>
  zod.discriminatedUnion('ok', [
    zod.object({ ok: zod.literal(true), ms: zod.number(), data: zod.unknown() }),
    zod.object({ ok: zod.literal(false), ms: zod.number(), error: zod.object({ code: zod.string(), message: zod.string() }) }),
  ]);

/**
 * The serialisable capture of a machine: verbatim tool outputs and file contents, so that a capture from a Windows
 * laptop can be replayed (parsed and evaluated) anywhere. `root` is the folder file-based sources read below ("/" on a
 * live system).
 */
export const RawInventoryShape = (zod: Zod) =>
  zod.object({
    format: zod.literal('appwacht-raw-inventory'),
    version: zod.literal(1),
    os: OsName,
    root: zod.string(),
    collectedAt: zod.string(),
    sources: zod.record(zod.string(), RawSourceResultShape(zod)),
    processes: RawSourceResultShape(zod).optional(),
  });

/** Checks `value` against a shape; the first issue as "field.path: message", the form every RAW_INVALID message uses. */
export function checkShape(shape: RawShape, value: unknown): { ok: true; data: unknown } | { ok: false; issue: string } {
  const result = shape(z).safeParse(value);
  if (result.success) return { ok: true, data: result.data };
  const issue = result.error.issues[0];
  return { ok: false, issue: `${issue?.path.join('.') || '(top)'}: ${issue?.message}` };
}
