import { mkdir } from 'node:fs/promises';
import { z } from 'zod';
import { SignedPolicy, type SignedPolicy as SignedPolicyType } from '../../protocol/index.js';
import { readJsonState, writeFileAtomic, type JsonRead } from '../state/files.js';
import { statePath } from '../state/names.js';
import { recordChecked } from './checked-marker.js';

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
   * Reads the cached envelope and runs `accept` on it: the agent's full check, `openSignedPolicy` (signature, schema).
   * A file that does not parse or that `accept` refuses is moved aside (`…corrupt-<time>`) and reported as corrupt: a
   * tampered cache is never used. A file it accepted is recorded as checked (checked-marker.ts), so that after an
   * update of the agent the first turn renews the marker for the scans.
   */
  load<T>(accept: (entry: CachedPolicy) => T): Promise<JsonRead<T>>;
  /** Keeps a signed policy that `openSignedPolicy` accepted, and records it as checked for the scans. */
  save(entry: { signed: SignedPolicyType; etag?: string; receivedAt: Date }): Promise<void>;
  readonly path: string;
}

export function createFilePolicyStore(stateDir: string): PolicyStore {
  const path = statePath(stateDir, 'policy');
  return {
    path,
    async load(accept) {
      let checked: string | undefined;
      const read = await readJsonState(path, (json, text) => {
        const value = accept(CachedPolicy.parse(json));
        checked = text;
        return value;
      });
      if (checked !== undefined) await recordChecked(stateDir, checked);
      return read;
    },
    async save(entry) {
      await mkdir(stateDir, { recursive: true, mode: 0o700 });
      const record: CachedPolicy = {
        format: 'appwacht-policy-cache',
        version: 1,
        signed: entry.signed,
        ...(entry.etag ? { etag: entry.etag } : {}),
        receivedAt: entry.receivedAt.toISOString(),
      };
      const text = JSON.stringify(record) + '\n';
      await writeFileAtomic(path, text, 0o600);
      await recordChecked(stateDir, text);
    },
  };
}
