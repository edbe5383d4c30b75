import type { Generated, Insertable, Selectable } from 'kysely';

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
  status: 'compliant' | 'warning' | 'violation';
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
}

export type DeviceRow = Selectable<DevicesTable>;
export type NewDevice = Insertable<DevicesTable>;
export type ReportRow = Selectable<ReportsTable>;
export type PolicyRow = Selectable<PoliciesTable>;
export type AuditRow = Selectable<AuditLogTable>;
export type AdminRow = Selectable<AdminsTable>;
export type ApiTokenRow = Selectable<ApiTokensTable>;
export type EnrollmentRequestRow = Selectable<EnrollmentRequestsTable>;
