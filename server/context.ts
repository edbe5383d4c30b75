import type { Kysely } from 'kysely';
import type { ServerConfig } from './config.js';
import type { Escalation } from './escalation/service.js';
import type { Database } from './db/schema.js';
import type { MailQueue } from './mail/queue.js';
import type { Metrics } from './plugins/metrics.js';
import { adminsRepo, apiTokensRepo, sessionsRepo } from './repositories/admins.js';
import { auditRepo } from './repositories/audit.js';
import { dashboardRepo } from './repositories/dashboard.js';
import { devicesRepo } from './repositories/devices.js';
import { employeesRepo } from './repositories/employees.js';
import { ladderRepo } from './repositories/ladder.js';
import { mailTemplatesRepo } from './repositories/mail-templates.js';
import { enrollmentRequestsRepo } from './repositories/enrollment-requests.js';
import { policiesRepo } from './repositories/policies.js';
import { reportsRepo } from './repositories/reports.js';
import type { ServerSecrets } from './services/bootstrap.js';
import type { PolicyStore } from './services/policy-store.js';
import type { ReportIngest } from './services/report-ingest.js';
import type { TokenCache } from './services/token-cache.js';

/** Every repository, bound to one connection: the pool, or a transaction inside `AppContext.tx`. */
export interface Repos {
  devices: ReturnType<typeof devicesRepo>;
  reports: ReturnType<typeof reportsRepo>;
  audit: ReturnType<typeof auditRepo>;
  admins: ReturnType<typeof adminsRepo>;
  sessions: ReturnType<typeof sessionsRepo>;
  tokens: ReturnType<typeof apiTokensRepo>;
  policies: ReturnType<typeof policiesRepo>;
  enrollmentRequests: ReturnType<typeof enrollmentRequestsRepo>;
  ladder: ReturnType<typeof ladderRepo>;
  employees: ReturnType<typeof employeesRepo>;
  mailTemplates: ReturnType<typeof mailTemplatesRepo>;
  dashboard: ReturnType<typeof dashboardRepo>;
}

/**
 * Everything a route needs, created once per app in app.ts and passed to the route plugins.
 * Routes reach the database only through `repos` and `tx`: no Kysely handle here (eslint keeps it out of routes/).
 */
export interface AppContext {
  config: ServerConfig;
  secrets: ServerSecrets;
  now: () => number;
  repos: Repos;
  /** Runs `work` in one transaction with repositories bound to it: all its writes commit together or none does. */
  tx<T>(work: (repos: Repos) => Promise<T>): Promise<T>;
  /** Cheap database round trip for /readyz. */
  ping(): Promise<void>;
  policies: PolicyStore;
  ingest: ReportIngest;
  metrics: Metrics;
  deviceTokens: TokenCache;
  escalation: Escalation;
  /** null without APPWACHT_SMTP_URL: mails wait in the outbox. */
  mail: MailQueue | null;
}

export function createRepos(db: Kysely<Database>): Repos {
  return {
    devices: devicesRepo(db),
    reports: reportsRepo(db),
    audit: auditRepo(db),
    admins: adminsRepo(db),
    sessions: sessionsRepo(db),
    tokens: apiTokensRepo(db),
    ladder: ladderRepo(db),
    employees: employeesRepo(db),
    mailTemplates: mailTemplatesRepo(db),
    policies: policiesRepo(db),
    enrollmentRequests: enrollmentRequestsRepo(db),
    dashboard: dashboardRepo(db),
  };
}

/** `AppContext.tx` over a database: a transaction, and the repositories bound to it. */
export function transactional(db: Kysely<Database>): AppContext['tx'] {
  return (work) => db.transaction().execute((trx) => work(createRepos(trx)));
}
