import type { FastifyBaseLogger } from 'fastify';
import type { AppContext } from '../context.js';

/** Deletes reports older than the retention and expired sessions. Device state is kept: it lives in `devices`. */
export async function pruneOnce(ctx: AppContext): Promise<{ reports: number; sessions: number }> {
  const now = ctx.now();
  const reports = await ctx.repos.reports.pruneReceivedBefore(now - ctx.config.retention.reportDays * 86_400_000);
  const sessions = await ctx.repos.sessions.pruneExpired(now);
  ctx.metrics.pruned.inc(reports);
  return { reports, sessions };
}

export function startPruner(ctx: AppContext, log: FastifyBaseLogger): { stop(): void } {
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      const r = await pruneOnce(ctx);
      if (r.reports > 0 || r.sessions > 0) log.info(r, 'retention prune');
    } catch (err) {
      log.error({ err }, 'retention prune failed');
    } finally {
      running = false;
    }
  };
  const first = setTimeout(tick, 10_000);
  const timer = setInterval(tick, ctx.config.retention.pruneIntervalMinutes * 60_000);
  first.unref();
  timer.unref();
  return {
    stop() {
      clearTimeout(first);
      clearInterval(timer);
    },
  };
}
