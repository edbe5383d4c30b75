import type { z } from 'zod';
import { badRequest } from '../errors.js';

/** Keyset cursors are opaque to clients: base64url of JSON that the route's schema checks when it comes back. */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/** 400 BAD_CURSOR for anything this server did not hand out (or that no longer fits the query). */
export function decodeCursor<T>(raw: string, schema: z.ZodType<T>): T {
  try {
    return schema.parse(JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')));
  } catch {
    throw badRequest('BAD_CURSOR', 'cursor is not one this server handed out');
  }
}
