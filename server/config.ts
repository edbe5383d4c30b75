import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ConfigError } from './errors.js';
import { loadEscalationConfig, type EscalationConfig } from './escalation/config.js';

/**
 * Server configuration, read from the environment (and a few CLI flags) and validated once at start.
 * Every problem names the variable and says what is wrong; main.ts prints them and exits with code 2.
 */

const int = (min: number, max: number) =>
  z.string().regex(/^\d+$/, 'must be a whole number').transform(Number).pipe(z.number().int().min(min).max(max));

/** `false`, `true`, a hop count, or a comma-separated list of addresses/CIDRs (passed to Fastify's trustProxy). */
const trustProxy = z
  .string()
  .min(1)
  .transform((v): boolean | number | string[] => {
    if (v === 'true' || v === 'false') return v === 'true';
    if (/^\d+$/.test(v)) return Number(v);
    return v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  });

const EnvSchema = z.object({
  PORT: int(0, 65535).default(8080),
  // Loopback by default: without TLS a reachable server would carry device tokens and admin passwords in clear text.
  // Production sets HOST=0.0.0.0 together with TLS, or keeps loopback behind a TLS-terminating reverse proxy.
  HOST: z.string().min(1).default('127.0.0.1'),
  APPWACHT_DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\/.+/, 'must be a postgres:// or postgresql:// URL (leave it unset for the SQLite file)')
    .optional(),
  APPWACHT_TLS_CERT: z.string().min(1).optional(),
  APPWACHT_TLS_KEY: z.string().min(1).optional(),
  APPWACHT_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  APPWACHT_BODY_LIMIT: int(1024, 16 * 1024 * 1024).default(512 * 1024),
  APPWACHT_POLICY_BODY_LIMIT: int(1024, 16 * 1024 * 1024).default(2 * 1024 * 1024),
  APPWACHT_ENROLL_RATE_LIMIT: int(1, 100_000).default(30),
  APPWACHT_LOGIN_RATE_LIMIT: int(1, 100_000).default(10),
  APPWACHT_REPORT_RATE_LIMIT: int(1, 1_000_000).default(30),
  APPWACHT_REPORT_HISTORY_MAX: int(1, 10_000_000).default(10_000),
  APPWACHT_REPORT_HISTORY_MIB: int(1, 100_000).default(16),
  APPWACHT_REPORT_RETENTION_DAYS: int(1, 3650).default(180),
  APPWACHT_PRUNE_INTERVAL_MINUTES: int(1, 24 * 60).default(60),
  APPWACHT_TRUST_PROXY: trustProxy.default(false),
  APPWACHT_SESSION_HOURS: int(1, 24 * 30).default(12),
  APPWACHT_POLICY_VALIDITY_DAYS: int(2, 365).default(14),
  APPWACHT_SQLITE_SYNCHRONOUS: z.enum(['full', 'normal']).default('full'),
  APPWACHT_PG_POOL_MAX: int(1, 200).default(10),
  APPWACHT_REPORT_BATCH_MAX: int(1, 5000).default(256),
  APPWACHT_INITIAL_POLICY: z.string().min(1).optional(),
  APPWACHT_ADMIN_USER: z
    .string()
    .regex(/^[a-zA-Z0-9._@-]{1,64}$/, 'letters, digits, . _ @ - (max 64)')
    .default('admin'),
  APPWACHT_ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').max(200).optional(),
  APPWACHT_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** When set, GET /metrics needs `Authorization: Bearer <this>` (the counts tell fleet compliance and login activity). */
  APPWACHT_METRICS_TOKEN: z
    .string()
    .regex(/^[\x21-\x7e]{16,200}$/, '16 to 200 printable characters without spaces')
    .optional(),
  /** `true`: show the enrollment secret in the ready line and banner on this start too, not only on the first. */
  APPWACHT_PRINT_ENROLLMENT_SECRET: z.enum(['true', 'false']).default('false'),
});

export type TrustProxy = boolean | number | string[];

export interface HistoryBound {
  maxReports: number;
  maxBytes: number;
}

export interface ServerConfig {
  port: number;
  host: string;
  dataDir: string;
  database: { kind: 'sqlite'; file: string; synchronous: 'full' | 'normal' } | { kind: 'postgres'; url: string; poolMax: number };
  tls: { cert: Buffer; key: Buffer } | null;
  publicUrl: string | null;
  bodyLimit: number;
  policyBodyLimit: number;
  /** Per client address and minute (enroll, login); reports per device token and minute. */
  rateLimits: { enrollPerMinute: number; loginPerMinute: number; reportsPerDeviceMinute: number };
  /** Report history: by age, and per device by count and bytes (the oldest go first; the newest always stays). */
  retention: { reportDays: number; pruneIntervalMinutes: number; perDevice: HistoryBound };
  trustProxy: TrustProxy;
  sessionHours: number;
  /** How long a signed policy holds without an admin's expiresAt; renewed by re-signing in its second half. */
  policyValidityDays: number;
  reportBatchMax: number;
  initialPolicyFile: string | null;
  firstAdmin: { username: string; password: string | null };
  logLevel: z.infer<typeof EnvSchema>['APPWACHT_LOG_LEVEL'];
  escalation: EscalationConfig;
  metricsToken: string | null;
  printEnrollmentSecret: boolean;
}

const FLAGS = {
  port: 'PORT',
  host: 'HOST',
  'data-dir': 'APPWACHT_DATA_DIR',
  'database-url': 'DATABASE_URL',
} as const;

/** CLI flags override the environment: `--port 0 --data-dir /tmp/x`. */
export function flagsToEnv(argv: string[]): Record<string, string> {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: Object.fromEntries(Object.keys(FLAGS).map((f) => [f, { type: 'string' as const }])),
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    throw new ConfigError(
      `command line: ${(err as Error).message} (known flags: ${Object.keys(FLAGS)
        .map((f) => `--${f}`)
        .join(', ')})`,
    );
  }
  const out: Record<string, string> = {};
  for (const [flag, name] of Object.entries(FLAGS)) {
    const v = values[flag];
    if (typeof v === 'string') out[name] = v;
  }
  return out;
}

function readFileOrProblem(name: string, path: string, problems: string[]): Buffer | null {
  try {
    return readFileSync(path);
  } catch (err) {
    problems.push(`${name}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    return null;
  }
}

/** Validates the environment; throws ConfigError listing every problem at once. `cwd` resolves relative paths. */
export function loadConfig(env: NodeJS.ProcessEnv, argv: string[] = [], cwd = process.cwd()): ServerConfig {
  // Empty variables count as unset, as in most shells' `VAR= cmd` idiom.
  const merged = Object.fromEntries(
    Object.entries({ ...env, ...flagsToEnv(argv) }).filter(([, v]) => v !== undefined && v !== ''),
  );
  const parsed = EnvSchema.safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => {
      const name = String(i.path[0] ?? '?');
      const got = merged[name];
      const shown =
        name.includes('PASSWORD') || name.includes('TOKEN') || name === 'DATABASE_URL'
          ? ''
          : got === undefined
            ? ''
            : ` (got ${JSON.stringify(got)})`;
      return `${name}: ${i.message}${shown}`;
    });
    throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`, problems);
  }
  const e = parsed.data;
  const problems: string[] = [];
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(cwd, p));
  const dataDir = abs(e.APPWACHT_DATA_DIR);

  let tls: ServerConfig['tls'] = null;
  if ((e.APPWACHT_TLS_CERT === undefined) !== (e.APPWACHT_TLS_KEY === undefined)) {
    problems.push('APPWACHT_TLS_CERT / APPWACHT_TLS_KEY: set both (PEM files) or neither');
  } else if (e.APPWACHT_TLS_CERT && e.APPWACHT_TLS_KEY) {
    const cert = readFileOrProblem('APPWACHT_TLS_CERT', abs(e.APPWACHT_TLS_CERT), problems);
    const key = readFileOrProblem('APPWACHT_TLS_KEY', abs(e.APPWACHT_TLS_KEY), problems);
    if (cert && !cert.toString('latin1').includes('-----BEGIN CERTIFICATE-----'))
      problems.push('APPWACHT_TLS_CERT: not a PEM certificate');
    if (key && !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key.toString('latin1')))
      problems.push('APPWACHT_TLS_KEY: not a PEM private key');
    if (cert && key) tls = { cert, key };
  }
  const escalation = loadEscalationConfig(merged as Record<string, string>, problems);
  if (problems.length > 0) throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`, problems);

  return {
    port: e.PORT,
    host: e.HOST,
    dataDir,
    database: e.DATABASE_URL
      ? { kind: 'postgres', url: e.DATABASE_URL, poolMax: e.APPWACHT_PG_POOL_MAX }
      : { kind: 'sqlite', file: resolve(dataDir, 'appwacht.sqlite'), synchronous: e.APPWACHT_SQLITE_SYNCHRONOUS },
    tls,
    publicUrl: e.APPWACHT_PUBLIC_URL ?? null,
    bodyLimit: e.APPWACHT_BODY_LIMIT,
    policyBodyLimit: e.APPWACHT_POLICY_BODY_LIMIT,
    rateLimits: {
      enrollPerMinute: e.APPWACHT_ENROLL_RATE_LIMIT,
      loginPerMinute: e.APPWACHT_LOGIN_RATE_LIMIT,
      reportsPerDeviceMinute: e.APPWACHT_REPORT_RATE_LIMIT,
    },
    retention: {
      reportDays: e.APPWACHT_REPORT_RETENTION_DAYS,
      pruneIntervalMinutes: e.APPWACHT_PRUNE_INTERVAL_MINUTES,
      perDevice: { maxReports: e.APPWACHT_REPORT_HISTORY_MAX, maxBytes: e.APPWACHT_REPORT_HISTORY_MIB * 1024 * 1024 },
    },
    trustProxy: e.APPWACHT_TRUST_PROXY,
    sessionHours: e.APPWACHT_SESSION_HOURS,
    policyValidityDays: e.APPWACHT_POLICY_VALIDITY_DAYS,
    reportBatchMax: e.APPWACHT_REPORT_BATCH_MAX,
    initialPolicyFile: e.APPWACHT_INITIAL_POLICY ? abs(e.APPWACHT_INITIAL_POLICY) : null,
    firstAdmin: { username: e.APPWACHT_ADMIN_USER, password: e.APPWACHT_ADMIN_PASSWORD ?? null },
    logLevel: e.APPWACHT_LOG_LEVEL,
    escalation: escalation!,
    metricsToken: e.APPWACHT_METRICS_TOKEN ?? null,
    printEnrollmentSecret: e.APPWACHT_PRINT_ENROLLMENT_SECRET === 'true',
  };
}
