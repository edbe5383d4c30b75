import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../state/files.js';
import { statePath } from '../state/names.js';
import { AGENT_VERSION } from '../version.js';

/**
 * The marker beside the policy cache (`STATE_FILES.policyChecked`): the SHA-256 of the cache file's exact bytes and the
 * agent version that checked them in full: the envelope and the signed payload against the protocol's schemas (zod),
 * after the signature. A scan whose cache file matches it (same bytes, same agent version) verifies the signature
 * only and takes the payload with JSON.parse (runtime/policy-at-hand.ts): loading zod and building the schemas was
 * about a third of an enrolled scan's start (BENCHMARKS.md, "Start-up").
 *
 * Why a forged marker gains nothing: the signature is verified on every read, whatever the marker says, so the marker
 * can only let through bytes the server signed. What it skips is the schema check, which guards against a server of
 * another version or a bug, not against tampering. Only the agent writes it, into its own state folder: root's in
 * machine mode; in per-user mode the employee owns the folder, the cache and the agent's process anyway.
 *
 * It covers the whole file, not only the payload, so the envelope needs no check by hand that would have to follow
 * the schema's (CachedPolicy in store.ts); and the agent version, so a newer agent with other schemas checks anew.
 */
const FORMAT = 'appwacht-policy-checked';

function digestOf(cacheText: string): string {
  return createHash('sha256').update(cacheText, 'utf8').digest('hex');
}

/**
 * Whether the marker vouches for these exact bytes of the cache file. Never throws: a marker it cannot read or
 * understand vouches for nothing, and the caller checks in full.
 */
export async function markerVouchesFor(stateDir: string, cacheText: string, agentVersion = AGENT_VERSION): Promise<boolean> {
  let marker: unknown;
  try {
    marker = JSON.parse(await readFile(statePath(stateDir, 'policyChecked'), 'utf8'));
  } catch {
    return false;
  }
  if (typeof marker !== 'object' || marker === null) return false;
  const m = marker as Record<string, unknown>;
  return m.format === FORMAT && m.version === 1 && m.agentVersion === agentVersion && m.sha256 === digestOf(cacheText);
}

/**
 * Records that this agent version has checked the cache file's bytes `cacheText` in full: call it only after
 * `openSignedPolicy` accepted them. Writes only when the marker says something else. Never throws: the marker saves
 * a scan time, and an agent that cannot write it (full disk, a folder it cannot write) goes on without.
 */
export async function recordChecked(stateDir: string, cacheText: string, agentVersion = AGENT_VERSION): Promise<void> {
  if (await markerVouchesFor(stateDir, cacheText, agentVersion)) return;
  const marker = { format: FORMAT, version: 1, sha256: digestOf(cacheText), agentVersion };
  await writeFileAtomic(statePath(stateDir, 'policyChecked'), JSON.stringify(marker) + '\n', 0o600).catch(() => {});
}
