import { readFile } from 'node:fs/promises';
import type { Lang, Policy } from '../../protocol/index.js';
import { describeError } from '../errors.js';
import { formatDateTime } from '../i18n.js';
import { loadDefaultPolicy } from '../policy/default-policy.js';
import type { CachedPolicy as CachedEnvelope } from '../policy/store.js';
import { statePath } from '../state/names.js';

export type PolicyAtHand =
  | { origin: 'cache'; policy: Policy; receivedAt: string; expired: boolean }
  | { origin: 'bundled'; policy: Policy; why: 'no-server' | 'no-key' | 'no-cache' | 'cache-invalid'; detail?: string };

/**
 * The policy in force without any network call, for `appwacht scan`: the last good signed policy the agent keeps in the
 * state folder, verified against the configured key; else the bundled one (local mode) and why. Unlike the agent's
 * policy client this never moves a file aside, nor writes the checked marker: the agent owns the state folder and may
 * be running, and a scan may run as another account (policy/checked-marker.ts).
 */
export async function policyAtHand(input: {
  stateDir: string;
  serverUrl?: string;
  publicKey?: string;
  now?: Date;
}): Promise<PolicyAtHand> {
  const bundled = (why: 'no-server' | 'no-key' | 'no-cache' | 'cache-invalid', detail?: string): PolicyAtHand => ({
    origin: 'bundled',
    policy: loadDefaultPolicy(),
    why,
    ...(detail ? { detail } : {}),
  });
  if (!input.publicKey) return bundled(input.serverUrl ? 'no-key' : 'no-server');
  let text: string;
  try {
    text = await readFile(statePath(input.stateDir, 'policy'), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return bundled(input.serverUrl ? 'no-cache' : 'no-server');
    return bundled('cache-invalid', describeError(err));
  }
  try {
    // The signature is verified on every read; the schemas (zod) are needed only for bytes this agent version has not
    // yet checked in full (policy/checked-marker.ts). Both are loaded here, so a scan in local mode loads neither
    // (BENCHMARKS.md, "Start-up").
    const [{ markerVouchesFor }, { verifySignedPolicy }, { publicKeyFromBase64 }, { isExpired }] = await Promise.all([
      import('../policy/checked-marker.js'),
      import('../policy/signature-check.js'),
      import('../../protocol/signing.js'),
      import('../policy/expiry.js'),
    ]);
    let entry: CachedEnvelope;
    let policy: Policy;
    if (await markerVouchesFor(input.stateDir, text)) {
      // Checked in full before, so its shape is known: JSON.parse takes it as it is. A marker vouches for the shape,
      // never for who wrote the bytes: that is the signature's job.
      entry = JSON.parse(text) as CachedEnvelope;
      policy = JSON.parse(verifySignedPolicy(entry.signed, publicKeyFromBase64(input.publicKey))) as Policy;
    } else {
      const [{ CachedPolicy }, { openSignedPolicy }] = await Promise.all([
        import('../policy/store.js'),
        import('../policy/signed.js'),
      ]);
      entry = CachedPolicy.parse(JSON.parse(text));
      policy = openSignedPolicy(entry.signed, publicKeyFromBase64(input.publicKey));
    }
    return { origin: 'cache', policy, receivedAt: entry.receivedAt, expired: isExpired(policy, input.now ?? new Date()) };
  } catch (err) {
    return bundled('cache-invalid', describeError(err));
  }
}

/** One line for the scan output that says why this policy applies. */
export function describePolicyAtHand(p: PolicyAtHand, lang: Lang): string {
  const de = lang === 'de';
  if (p.origin === 'cache') {
    const at = formatDateTime(p.receivedAt, lang, false);
    const base = de
      ? `zuletzt vom Server erhalten ${at}, ohne Netzzugriff geprüft`
      : `last received from the server ${at}, checked offline`;
    return p.expired ? `${base}; ${de ? 'ABGELAUFEN' : 'EXPIRED'}` : base;
  }
  const why = {
    'no-server': de ? 'lokaler Modus: kein Server eingerichtet' : 'local mode: no server configured',
    'no-key': de
      ? 'lokaler Modus: kein Richtlinienschlüssel (policyPublicKey) eingestellt'
      : 'local mode: no policy key (policyPublicKey) configured',
    'no-cache': de
      ? 'lokaler Modus: noch keine Richtlinie vom Server erhalten (angemeldet? läuft "appwacht run"?)'
      : 'local mode: no policy received from the server yet (enrolled? is "appwacht run" running?)',
    'cache-invalid': de
      ? 'lokaler Modus: die zwischengespeicherte Richtlinie ist nicht gültig'
      : 'local mode: the cached policy is not valid',
  }[p.why];
  return p.detail ? `${why} (${p.detail})` : why;
}
