import { mkdir } from 'node:fs/promises';
import { z } from 'zod';
import { SignedPolicy, type SignedPolicy as SignedPolicyType } from '../../protocol/index.js';
import { readJsonState, writeFileAtomic, type JsonRead } from '../state/files.js';
import { statePath } from '../state/names.js';

/** What is kept on disk: the signed envelope exactly as the server sent it, so it can be verified again on every load. */
export const CachedPolicy = z.strictObject({
  format: z.literal('appwacht-policy-cache'),
  version: z.literal(1),
  signed: SignedPolicy,
  etag: z.string().max(200).optional(),
  receivedAt: z.iso.datetime({ offset: true }),
});
export type CachedPolicy = z.infer<typeof CachedPolicy>;

/** The last good signed policy, as a port: the file store below, an in-memory one in tests if ever needed. */
export interface PolicyStore {
  /**
   * Reads the cached envelope and runs `accept` on it (signature check, schema). A file that does not parse or that
   * `accept` refuses is moved aside (`…corrupt-<time>`) and reported as corrupt: a tampered cache is never used.
   */
  load<T>(accept: (entry: CachedPolicy) => T): Promise<JsonRead<T>>;
  save(entry: { signed: SignedPolicyType; etag?: string; receivedAt: Date }): Promise<void>;
  readonly path: string;
}

export function createFilePolicyStore(stateDir: string): PolicyStore {
  const path = statePath(stateDir, 'policy');
  return {
    path,
    load: (accept) => readJsonState(path, (json) => accept(CachedPolicy.parse(json))),
    async save(entry) {
      await mkdir(stateDir, { recursive: true, mode: 0o700 });
      const record: CachedPolicy = {
        format: 'appwacht-policy-cache',
        version: 1,
        signed: entry.signed,
        ...(entry.etag ? { etag: entry.etag } : {}),
        receivedAt: entry.receivedAt.toISOString(),
      };
      await writeFileAtomic(path, JSON.stringify(record) + '\n', 0o600);
    },
  };
}
