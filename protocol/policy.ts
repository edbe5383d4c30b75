import { z } from 'zod';
import { INT4_MAX, IsoDateTime, Localized, Slug } from './common.js';
import { Matcher } from './matcher.js';
import { UPDATE_CHANNEL_PATTERN } from './updates.js';

/** An app the catalog does not know, described by the admin. */
export const CustomApp = z.strictObject({
  name: z.string().min(1).max(100),
  match: Matcher,
});
export type CustomApp = z.infer<typeof CustomApp>;

export const RuleAction = z.enum(['ban', 'warn']);
export type RuleAction = z.infer<typeof RuleAction>;

/**
 * Which clients of a catalog service a rule covers: `all` (the default) counts third-party clients, wrappers and forks
 * as the service (ZapZap for WhatsApp, Kotatogram for Telegram …); `official` only the vendor's own app.
 */
export const RuleClients = z.enum(['all', 'official']);
export type RuleClients = z.infer<typeof RuleClients>;

/** One banned (or warned-about) app: a catalog id or a custom matcher, never both. */
export const PolicyRule = z
  .strictObject({
    id: Slug,
    app: Slug.optional(),
    custom: CustomApp.optional(),
    action: RuleAction,
    deadline: IsoDateTime,
    message: Localized.optional(),
    /** Optional, so policies written before it still parse; absent means `all`. */
    clients: RuleClients.optional(),
  })
  .refine((r) => (r.app === undefined) !== (r.custom === undefined), {
    message: 'a rule names either a catalog app or a custom app',
  })
  .refine((r) => r.clients === undefined || r.app !== undefined, {
    message: 'clients applies to a catalog app only; a custom app lists exactly what it matches',
    path: ['clients'],
  });
export type PolicyRule = z.infer<typeof PolicyRule>;

export const Escalation = z.strictObject({
  /** Report what would happen but never warn by mail or block. */
  reportOnly: z.boolean(),
  /** Days after the deadline (while still non-compliant) until the mail warning. */
  mailWarningAfterDays: z.number().int().min(0).max(365),
  /** Days after the deadline until mail/contacts/calendar sync is blocked. */
  blockAfterDays: z.number().int().min(0).max(365),
  /** A device that has not reported for this many hours is stale. */
  staleAfterHours: z
    .number()
    .int()
    .min(1)
    .max(24 * 90),
  // The fields below are optional so that policies written before them still parse; ESCALATION_DEFAULTS fills them.
  /** Days between reminder mails while a device is overdue and not yet blocked; 0 sends none. */
  reminderEveryDays: z.number().int().min(0).max(90).optional(),
  /**
   * Whether a stale device counts as non-compliant (its ladder starts when it became stale). True by default:
   * stopping the agent must be no way out.
   */
  staleCountsAsViolation: z.boolean().optional(),
  /** A device whose scans cannot tell (status `unknown`) counts as non-compliant after this many hours. */
  unknownAfterHours: z
    .number()
    .int()
    .min(1)
    .max(24 * 90)
    .optional(),
});
export type Escalation = z.infer<typeof Escalation>;

/** What an absent optional escalation field means. */
export const ESCALATION_DEFAULTS = { reminderEveryDays: 3, staleCountsAsViolation: true, unknownAfterHours: 24 } as const;

/** An update channel: a folder of the server's update feed (protocol/updates.ts). */
export const UpdateChannel = z.string().regex(UPDATE_CHANNEL_PATTERN, 'lower-case letters, digits and - (max 32)');

/** A local time of day, 24 h: "22:00". */
const ClockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day as HH:MM (00:00–23:59)');

/**
 * Automatic updates by the machine service (agent/update/): check the server's feed on `channel` every
 * `checkEveryHours`, download and verify at once, install only inside `installWindow` (local time of the laptop; `to`
 * before `from` crosses midnight, e.g. 22:00–05:00). Absent or `enabled: false`: no automatic update, the deployment
 * tool stays the update path. Agents older than this block refuse a policy that has it (strict schema): publish it once
 * the fleet runs an agent that knows it (GET /api/v1/admin/updates lists the versions).
 */
export const UpdatePolicy = z.strictObject({
  enabled: z.boolean(),
  channel: UpdateChannel,
  checkEveryHours: z
    .number()
    .int()
    .min(1)
    .max(24 * 30),
  installWindow: z
    .strictObject({ from: ClockTime, to: ClockTime })
    .refine((w) => w.from !== w.to, 'from and to must differ (leave installWindow out to install at any time)')
    .optional(),
});
export type UpdatePolicy = z.infer<typeof UpdatePolicy>;

export const Policy = z.strictObject({
  schema: z.literal(1),
  /** Monotonic: an agent never accepts a version older than the one it has. */
  version: z.number().int().min(1).max(INT4_MAX),
  /** When this version was signed; a renewal (same content, re-signed with a later expiresAt) moves it forward. */
  issuedAt: IsoDateTime,
  /**
   * After this an agent stops trusting the policy and says so (it keeps enforcing the last good one meanwhile). The
   * server gives every policy a default expiry and renews it by re-signing (policyRenewalDue), so a replayed old version
   * or a frozen agent (its refreshes answered 304 or dropped) shows up within one validity period.
   */
  expiresAt: IsoDateTime.optional(),
  organization: z.strictObject({
    name: z.string().min(1).max(200),
    support: z
      .strictObject({
        email: z.email().optional(),
        phone: z.string().max(50).optional(),
        url: z.url().optional(),
      })
      .refine((s) => s.email || s.phone || s.url, 'at least one support contact'),
  }),
  message: Localized,
  rules: z.array(PolicyRule).max(500),
  intervals: z.strictObject({
    scanMinutes: z.number().int().min(1).max(1440),
    heartbeatMinutes: z
      .number()
      .int()
      .min(5)
      .max(7 * 1440),
    policyRefreshMinutes: z
      .number()
      .int()
      .min(5)
      .max(7 * 1440),
  }),
  escalation: Escalation,
  /** Optional, so policies written before it still parse; absent means no automatic update. */
  updates: UpdatePolicy.optional(),
});
export type Policy = z.infer<typeof Policy>;

/**
 * What the server sends: the policy's exact JSON bytes and an Ed25519 signature over them.
 * Signing bytes rather than a parsed object avoids any canonicalisation question.
 */
/** The most characters of policy JSON an agent accepts; the server refuses to sign more (POLICY_TOO_LARGE). */
export const POLICY_PAYLOAD_MAX = 1_000_000;

export const SignedPolicy = z.strictObject({
  keyId: z.string().regex(/^[0-9a-f]{16}$/),
  payload: z.string().min(2).max(POLICY_PAYLOAD_MAX),
  signature: z.base64().max(200),
});
export type SignedPolicy = z.infer<typeof SignedPolicy>;

/**
 * Pure: is a policy in the second half of its validity (or without any expiry)? Then the server renews it on the next
 * request, and an agent asks without If-None-Match: a 304 carries no signature, so it must never stand in for the renewal
 * an agent needs before its policy expires (an attacker on plain HTTP could otherwise freeze it on an old policy).
 */
export function policyRenewalDue(policy: Pick<Policy, 'issuedAt' | 'expiresAt'>, now: number): boolean {
  if (policy.expiresAt === undefined) return true;
  const issued = Date.parse(policy.issuedAt);
  const expires = Date.parse(policy.expiresAt);
  return now >= issued + (expires - issued) / 2;
}

/** Pure: the same policy apart from when it was signed and until when it holds (a renewal, not a new version). */
export function samePolicyContent(a: Policy, b: Policy): boolean {
  const strip = ({ issuedAt: _i, expiresAt: _e, ...rest }: Policy) => JSON.stringify(rest);
  return strip(a) === strip(b);
}
