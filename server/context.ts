import type { ServerConfig } from './config.js';
import type { DatabaseHandle } from './db/connect.js';
import type { Escalation } from './escalation/service.js';
import type { Metrics } from './plugins/metrics.js';
import { adminsRepo, apiTokensRepo, sessionsRepo } from './repositories/admins.js';
import { auditRepo } from './repositories/audit.js';
import { devicesRepo } from './repositories/devices.js';
import { ladderRepo } from './repositories/ladder.js';
import { reportsRepo } from './repositories/reports.js';
import type { ServerSecrets } from './services/bootstrap.js';
import type { PolicyStore } from './services/policy-store.js';
import type { ReportIngest } from './services/report-ingest.js';
import type { TokenCache } from './services/token-cache.js';

/** Everything a route needs, created once per app in app.ts and passed to the route plugins. */
export interface AppContext {
  config: ServerConfig;
  handle: DatabaseHandle;
  secrets: ServerSecrets;
  now: () => number;
  repos: {
    devices: ReturnType<typeof devicesRepo>;
    reports: ReturnType<typeof reportsRepo>;
    audit: ReturnType<typeof auditRepo>;
    admins: ReturnType<typeof adminsRepo>;
    sessions: ReturnType<typeof sessionsRepo>;
    tokens: ReturnType<typeof apiTokensRepo>;
    ladder: ReturnType<typeof ladderRepo>;
  };
  policies: PolicyStore;
  ingest: ReportIngest;
  metrics: Metrics;
  deviceTokens: TokenCache;
  escalation: Escalation;
}

export function createRepos(handle: DatabaseHandle): AppContext['repos'] {
  const db = handle.db;
  return {
    devices: devicesRepo(db),
    reports: reportsRepo(db),
    audit: auditRepo(db),
    admins: adminsRepo(db),
    sessions: sessionsRepo(db),
    tokens: apiTokensRepo(db),
    ladder: ladderRepo(db),
  };
}
