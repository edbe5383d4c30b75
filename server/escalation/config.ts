import { z } from 'zod';
import { checkTemplate, IdentityError } from '../employees/identity.js';

/** The escalation part of the server configuration (env → validated; problems are reported like config.ts does). */
export interface EscalationConfig {
  /** `{user}@stadt.example`; null: only imported mappings make mail identities. */
  mailTemplate: string | null;
  sweepSeconds: number;
  smtp: { url: string; from: string; leaseSeconds: number } | null;
  webhook: { url: string; secret: string } | null;
  /** What a decision endpoint answers when it cannot decide (database away): the admin's choice. */
  decisionOnError: 'allow' | 'deny';
  /** How long a decision read from the database is reused (ms); 0: every login reads the database. */
  decisionCacheMs: number;
  /** Tokens of the decision endpoints; unset ones are generated into the data folder on first start. */
  tokens: { dovecot: string | null; nginx: string | null; blocklist: string | null };
}

const Token = z.string().min(16, 'must be at least 16 characters').max(200);

const EscalationEnv = z.object({
  APPWACHT_EMPLOYEE_MAIL_TEMPLATE: z.string().max(200).optional(),
  APPWACHT_SWEEP_SECONDS: z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(1).max(3600))
    .default(60),
  APPWACHT_SMTP_URL: z.url({ protocol: /^smtps?$/ }).optional(),
  APPWACHT_MAIL_FROM: z.string().min(3).max(200).default('Appwacht <appwacht@localhost>'),
  APPWACHT_MAIL_LEASE_SECONDS: z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(4).max(3600))
    .default(120),
  APPWACHT_WEBHOOK_URL: z.url({ protocol: /^https?$/ }).optional(),
  APPWACHT_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').max(200).optional(),
  APPWACHT_DECISION_ON_ERROR: z.enum(['allow', 'deny']).default('allow'),
  APPWACHT_DECISION_CACHE_MS: z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(0).max(60_000))
    .default(1000),
  APPWACHT_DOVECOT_TOKEN: Token.optional(),
  APPWACHT_NGINX_TOKEN: Token.optional(),
  APPWACHT_BLOCKLIST_TOKEN: Token.optional(),
});

/** Reads the escalation variables from the merged environment; appends problems, returns null if there were any. */
export function loadEscalationConfig(env: Record<string, string>, problems: string[]): EscalationConfig | null {
  const parsed = EscalationEnv.safeParse(env);
  if (!parsed.success) {
    for (const i of parsed.error.issues) problems.push(`${String(i.path[0] ?? '?')}: ${i.message}`);
    return null;
  }
  const e = parsed.data;
  const before = problems.length;
  if (e.APPWACHT_EMPLOYEE_MAIL_TEMPLATE !== undefined) {
    try {
      checkTemplate(e.APPWACHT_EMPLOYEE_MAIL_TEMPLATE);
    } catch (err) {
      if (!(err instanceof IdentityError)) throw err;
      problems.push(`APPWACHT_EMPLOYEE_MAIL_TEMPLATE: ${err.message}`);
    }
  }
  if ((e.APPWACHT_WEBHOOK_URL === undefined) !== (e.APPWACHT_WEBHOOK_SECRET === undefined))
    problems.push('APPWACHT_WEBHOOK_URL / APPWACHT_WEBHOOK_SECRET: set both or neither');
  if (problems.length > before) return null;
  return {
    mailTemplate: e.APPWACHT_EMPLOYEE_MAIL_TEMPLATE ?? null,
    sweepSeconds: e.APPWACHT_SWEEP_SECONDS,
    smtp: e.APPWACHT_SMTP_URL
      ? { url: e.APPWACHT_SMTP_URL, from: e.APPWACHT_MAIL_FROM, leaseSeconds: e.APPWACHT_MAIL_LEASE_SECONDS }
      : null,
    webhook:
      e.APPWACHT_WEBHOOK_URL && e.APPWACHT_WEBHOOK_SECRET
        ? { url: e.APPWACHT_WEBHOOK_URL, secret: e.APPWACHT_WEBHOOK_SECRET }
        : null,
    decisionOnError: e.APPWACHT_DECISION_ON_ERROR,
    decisionCacheMs: e.APPWACHT_DECISION_CACHE_MS,
    tokens: {
      dovecot: e.APPWACHT_DOVECOT_TOKEN ?? null,
      nginx: e.APPWACHT_NGINX_TOKEN ?? null,
      blocklist: e.APPWACHT_BLOCKLIST_TOKEN ?? null,
    },
  };
}
