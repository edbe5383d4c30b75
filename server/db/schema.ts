import type { Generated, Insertable, Selectable } from 'kysely';
import type { ComplianceStatus } from '../../protocol/report.js';

/**
 * The one typed view of the database, the same on SQLite and PostgreSQL.
 * Timestamps are integers (milliseconds since the epoch, UTC) on both dialects: they sort, compare and index
 * identically, and PostgreSQL's int8 is parsed back to a number by the pool (see connect.ts).
 * JSON is stored as text on both. Booleans are avoided (SQLite has none): a nullable timestamp says "revoked when".
 */

/** `unknown` until the first report arrives. */
export type DeviceStatus = 'unknown' | 'compliant' | 'warning' | 'violation';

export interface DevicesTable {
  id: string; // uuid
  machine_id: string;
  token_hash: string;
  hostname: string;
  os: 'windows' | 'macos' | 'linux';
  os_version: string;
  os_user: string;
  agent_version: string;
  enrolled_at: number;
  /** Last enrollment or report; enrollment counts, so the column is never null and keyset paging stays simple. */
  last_seen_at: number;
  /** scannedAt of the newest report folded into the current state. */
  last_scanned_at: number | null;
  last_report_id: string | null;
  status: Generated<DeviceStatus>;
  /** When the device turned non-compliant (first non-compliant report after a compliant one). */
  failing_since: number | null;
  deadline: number | null;
  past_deadline: Generated<number>; // 0 | 1
  policy_version: number | null;
  /** Sorted rule ids of the current findings: lets an unchanged heartbeat skip rewriting device_apps. */
  findings_key: Generated<string>;
  /** Reports and their body bytes currently stored for this device: the history bound is checked against these. */
  history_count: Generated<number>;
  history_bytes: Generated<number>;
  /** When an admin retired the device: its token is gone, its history stays. */
  retired_at: number | null;
}

export interface DeviceAppsTable {
  device_id: string;
  rule_id: string;
  app_id: string;
  name: string;
  action: 'ban' | 'warn';
  evidence: string; // comma-separated: installed,running
  first_seen_at: number;
}

export interface ReportsTable {
  id: string; // reportId from the agent (uuid)
  device_id: string;
  received_at: number;
  scanned_at: number;
  kind: 'change' | 'heartbeat';
  /** As the server classified the report (coverage.ts), which may be stricter than what the body claims. */
  status: ComplianceStatus;
  policy_version: number | null;
  agent_version: string;
  body: string; // the validated report as JSON
  body_bytes: Generated<number>;
}

/** A re-enrollment of a known machine without its current token: waits for an admin (issue 14, finding 1). */
export interface EnrollmentRequestsTable {
  id: string;
  machine_id: string;
  /** The device the machine id belongs to: approving hands it this request's token. */
  device_id: string;
  /** Hash of the token handed to the requester; it works only once the request is approved. */
  token_hash: string;
  hostname: string;
  os: 'windows' | 'macos' | 'linux';
  os_version: string;
  os_user: string;
  agent_version: string;
  ip: string;
  requested_at: number;
  status: Generated<EnrollmentRequestStatus>;
  decided_at: number | null;
  decided_by: string | null;
}
export type EnrollmentRequestStatus = 'pending' | 'approved' | 'denied';

export interface PoliciesTable {
  version: number;
  payload: string;
  signature: string;
  key_id: string;
  etag: string;
  created_at: number;
  created_by: string;
  /** 1: the expiry is the server's default and renewed by re-signing; 0: an admin's; null: from before 0006 (see policy-store). */
  expiry_renewable: number | null;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: number;
  actor: string; // admin:<name> | token:<name> | device:<id> | system
  action: string;
  target: string | null;
  details: string | null; // JSON
}

export interface AdminsTable {
  id: string;
  username: string;
  password_hash: string;
  created_at: number;
  /** `readonly` sees everything and changes nothing (enforced by the server, routes/admin/index.ts). */
  role: Generated<AdminRole>;
}
export type AdminRole = 'admin' | 'readonly';

/** One row per UTC day: the fleet's devices per dashboard state (services/compliance-history.ts). */
export interface ComplianceDailyTable {
  day: string;
  taken_at: number;
  counts: string; // JSON
}

export interface SessionsTable {
  id_hash: string;
  admin_id: string;
  created_at: number;
  expires_at: number;
}

export interface ApiTokensTable {
  id: string;
  name: string;
  token_hash: string;
  admin_id: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
  expires_at: number;
  /** Lineage: hash of the login session the token was created in (null: created before migration 0003). */
  created_in_session: string | null;
}

export interface Database {
  devices: DevicesTable;
  device_apps: DeviceAppsTable;
  reports: ReportsTable;
  policies: PoliciesTable;
  audit_log: AuditLogTable;
  admins: AdminsTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  enrollment_requests: EnrollmentRequestsTable;
  device_ladder: DeviceLadderTable;
  employees: EmployeesTable;
  employee_map: EmployeeMapTable;
  exemptions: ExemptionsTable;
  mail_outbox: MailOutboxTable;
  webhook_deliveries: WebhookDeliveriesTable;
  escalation_meta: { key: string; value: string };
  compliance_daily: ComplianceDailyTable;
}

export type DeviceRow = Selectable<DevicesTable>;
export type NewDevice = Insertable<DevicesTable>;
export type ReportRow = Selectable<ReportsTable>;
export type PolicyRow = Selectable<PoliciesTable>;
export type AuditRow = Selectable<AuditLogTable>;
export type AdminRow = Selectable<AdminsTable>;
export type ApiTokenRow = Selectable<ApiTokensTable>;
export type EnrollmentRequestRow = Selectable<EnrollmentRequestsTable>;

/** The escalation ladder of one device (see server/escalation/ladder.ts for what each time means). */
export interface DeviceLadderTable {
  device_id: string;
  /** The employee's mail identity, null while the OS user maps to none. */
  employee: string | null;
  step: Generated<'compliant' | 'notice' | 'overdue' | 'blocked'>;
  reason: Generated<'compliant' | 'violation' | 'stale' | 'unknown' | 'exempt' | 'retired'>;
  deadline: number | null;
  failing_since: number | null;
  warned_at: number | null;
  reminded_at: number | null;
  reminders: Generated<number>;
  blocked_at: number | null;
  cleared_at: number | null;
  stale_since: number | null;
  unknown_since: number | null;
  exempt_until: number | null;
  /** When the sweep must evaluate the row again (indexed). */
  next_at: number | null;
  changed_at: number;
  why: Generated<string>;
}

/** The access decision per employee: blocked while any of their active devices is blocked. */
export interface EmployeesTable {
  email: string;
  blocked_since: number | null;
  changed_at: number;
}

/** Imported OS user → mail identity; overrides the template. */
export interface EmployeeMapTable {
  os_user: string; // normalised (see server/employees/identity.ts)
  email: string;
  imported_at: number;
}

export interface ExemptionsTable {
  id: string;
  device_id: string | null;
  employee: string | null;
  reason: string;
  granted_by: string;
  granted_at: number;
  until: number;
  revoked_at: number | null;
}

export type MailKind = 'warn' | 'remind' | 'block' | 'cleared';

export interface MailOutboxTable {
  id: Generated<number>;
  created_at: number;
  device_id: string | null;
  employee: string | null;
  kind: MailKind;
  /** JSON: what the template needs (apps, dates, hostname, os), fixed when the step happened. */
  facts: string;
  status: 'pending' | 'sending' | 'sent' | 'failed' | 'unmapped';
  attempts: Generated<number>;
  next_attempt_at: number;
  last_error: string | null;
  sent_at: number | null;
  message_id: string | null;
}

export interface WebhookDeliveriesTable {
  id: Generated<number>;
  created_at: number;
  employee: string;
  body: string;
  status: 'pending' | 'sending' | 'delivered' | 'failed';
  attempts: Generated<number>;
  next_attempt_at: number;
  last_status: number | null;
  last_error: string | null;
  delivered_at: number | null;
}

export type DeviceLadderRow = Selectable<DeviceLadderTable>;
