import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { FastifyInstance } from 'fastify';
import type { DevicesRepo } from '../repositories/devices.js';

/** One registry per app instance, so tests (and two apps in one process) never share counters. */
export function createMetrics(devices: () => DevicesRepo, currentPolicyVersion: () => Promise<number | null>) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'appwacht_process_' });
  const http = new Histogram({
    name: 'appwacht_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const reports = new Counter({
    name: 'appwacht_reports_total',
    help: 'Reports received, by outcome (stored, duplicate, foreign)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const enrollments = new Counter({
    name: 'appwacht_enrollments_total',
    help: 'Enrollment attempts, by result (new, reenrolled, rejected)',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  const batch = new Histogram({
    name: 'appwacht_report_commit_batch_size',
    help: 'Reports written per transaction (group commit)',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
    registers: [registry],
  });
  const pruned = new Counter({
    name: 'appwacht_reports_pruned_total',
    help: 'Reports deleted by retention (age, or a device history bound)',
    registers: [registry],
  });
  // The decision endpoints skip the per-request histogram above (mail servers ask on every login): a counter only.
  const decisions = new Counter({
    name: 'appwacht_decisions_total',
    help: 'Access decisions answered, by endpoint and answer (error: the APPWACHT_DECISION_ON_ERROR answer)',
    labelNames: ['endpoint', 'answer'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'appwacht_devices',
    help: 'Enrolled devices by current status',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const counts = await devices().countByStatus();
      for (const s of ['unknown', 'compliant', 'warning', 'violation']) this.set({ status: s }, counts[s] ?? 0);
    },
  });
  new Gauge({
    name: 'appwacht_policy_version',
    help: 'Newest policy version',
    registers: [registry],
    async collect() {
      this.set((await currentPolicyVersion()) ?? 0);
    },
  });
  return { registry, http, reports, enrollments, batch, pruned, decisions };
}
export type Metrics = ReturnType<typeof createMetrics>;

export function instrument(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.http.observe({ method: req.method, route, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
    const level = reply.statusCode >= 400 ? 'info' : 'debug';
    // pino replaces disabled levels with a no-op, so this is nearly free at the default level.
    req.log[level](
      {
        method: req.method,
        route,
        url: req.url.slice(0, 300),
        statusCode: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
      },
      'request',
    );
  });
}
