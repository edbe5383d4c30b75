import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppContext } from '../../context.js';
import { ADMIN_PREFIX } from '../../plugins/auth.js';
import { readFeed, updatesDir } from '../../updates/feed.js';
import { errors } from '../schemas.js';

const Release = z.object({
  channel: z.string(),
  os: z.enum(['windows', 'linux', 'macos']),
  version: z.string().optional(),
  releaseDate: z.string().optional(),
  files: z.array(z.object({ url: z.string(), size: z.number().optional(), present: z.boolean() })),
  problem: z.string().optional(),
});

/**
 * The update overview (issue 11): what the feed offers per channel and OS (server/updates/feed.ts), and which agent
 * versions the fleet runs (from the devices' latest reports), so the admin sees how far a release has spread.
 */
export function adminUpdateRoutes(ctx: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      `${ADMIN_PREFIX}/updates`,
      {
        schema: {
          tags: ['admin'],
          summary: 'Published releases of the update feed and the agent versions the fleet runs',
          response: {
            200: z.object({
              feedFolder: z.string(),
              releases: z.array(Release),
              fleet: z.array(z.object({ agentVersion: z.string(), os: z.string(), devices: z.number().int() })),
            }),
            ...errors(401),
          },
        },
      },
      async () => {
        const dir = updatesDir(ctx.config.dataDir);
        const [releases, fleet] = await Promise.all([readFeed(dir), ctx.repos.devices.versionCounts()]);
        return { feedFolder: dir, releases, fleet };
      },
    );
  };
}
