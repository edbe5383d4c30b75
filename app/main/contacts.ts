/**
 * Pure: the one kind of external link the app opens — the organisation's own support contact, as the signed policy
 * names it. The renderer only says which kind (bridge.ts); the address comes from the policy and is checked here once
 * more, so a policy field can never become a file://, javascript: or custom-scheme launch.
 */
import type { ContactKind } from '../shared/bridge.js';

const EMAIL = /^[^\s@<>()[\]\\,;:"]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?\.[A-Za-z]{2,63}$/;

export function contactUrl(
  kind: ContactKind,
  support: { email?: string; phone?: string; url?: string } | null,
): string | undefined {
  if (!support) return undefined;
  if (kind === 'email') {
    const v = support.email?.trim();
    return v && EMAIL.test(v) ? `mailto:${encodeURIComponent(v).replace('%40', '@')}` : undefined;
  }
  if (kind === 'phone') {
    // Digits with the usual separators; tel: gets the digits and a leading + only.
    const v = support.phone?.trim();
    if (!v || !/^\+?[0-9 ()./-]{3,40}$/.test(v)) return undefined;
    return `tel:${v.startsWith('+') ? '+' : ''}${v.replace(/\D/g, '')}`;
  }
  const v = support.url?.trim();
  if (!v) return undefined;
  try {
    const u = new URL(v);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') return undefined;
    if (u.username || u.password) return undefined;
    return u.href;
  } catch {
    return undefined;
  }
}
