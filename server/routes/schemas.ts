import { z } from 'zod';
import { OsName } from '../../protocol/common.js';
import { ComplianceStatus } from '../../protocol/report.js';

/** Response and query shapes of the server's own API (the agent-facing ones come from protocol/). */

export const ApiErrorSchema = z.object({ statusCode: z.number().int(), code: z.string(), message: z.string() });

export const errors = <const C extends number[]>(...codes: C) =>
  Object.fromEntries(codes.map((c) => [c, ApiErrorSchema])) as Record<C[number], typeof ApiErrorSchema>;

const Iso = z.string();
export const DeviceStatusSchema = z.enum(['unknown', 'compliant', 'warning', 'violation']);

export const DeviceApp = z.object({
  ruleId: z.string(),
  appId: z.string(),
  name: z.string(),
  action: z.enum(['ban', 'warn']),
  evidence: z.array(z.string()),
  firstSeenAt: Iso,
});

export const DeviceSummary = z.object({
  id: z.uuid(),
  /** Where the device stands for the dashboard (repositories/devices.ts DEVICE_STATES). */
  state: z
    .enum(['compliant', 'violation', 'overdue', 'blocked', 'stale', 'exempt', 'never', 'warning', 'unknown', 'retired'])
    .optional(),
  hostname: z.string(),
  os: OsName,
  osVersion: z.string(),
  osUser: z.string(),
  agentVersion: z.string(),
  enrolledAt: Iso,
  lastSeenAt: Iso,
  lastScannedAt: Iso.nullable(),
  status: DeviceStatusSchema,
  failingSince: Iso.nullable(),
  deadline: Iso.nullable(),
  pastDeadline: z.boolean(),
  policyVersion: z.number().int().nullable(),
  /** Set when an admin retired the device (its token is dead, its history kept). */
  retiredAt: Iso.nullable(),
  apps: z.array(DeviceApp),
});

export const ReportHistoryItem = z.object({
  reportId: z.uuid(),
  receivedAt: Iso,
  scannedAt: Iso,
  kind: z.enum(['change', 'heartbeat']),
  status: ComplianceStatus,
  policyVersion: z.number().int().nullable(),
  agentVersion: z.string(),
  report: z.unknown(),
});

/** `a,b` or repeated `?x=a&x=b` both give a list. */
export const csvList = <T extends z.ZodType<string>>(item: T) =>
  z
    .union([z.string().max(200), z.array(z.string().max(200)).max(10)])
    .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(item).min(1).max(10) as unknown as z.ZodType<z.output<T>[], string[]>);

export const LimitParam = (max: number, dflt: number) => z.coerce.number().int().min(1).max(max).default(dflt);
