import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppContext } from '../context.js';
import { HttpError } from '../errors.js';
import { feedFile, updatesDir } from '../updates/feed.js';
import { errors } from './schemas.js';

/**
 * GET /updates/<channel>/<file>: the update feed for electron-updater's generic provider (server/updates/feed.ts).
 * Public like the installers themselves (the app cannot present an admin credential); what makes an update safe is the
 * sha512 in the index, TLS to the server and the installers' code signatures. No Range support: electron-updater then
 * downloads the whole file instead of a differential update.
 */
export function updateRoutes(ctx: AppContext): FastifyPluginAsyncZod {
  const dir = updatesDir(ctx.config.dataDir);
  return async (app) => {
    app.get(
      '/updates/:channel/:file',
      {
        schema: {
          tags: ['updates'],
          summary: 'A file of the update feed (latest*.yml or an installer)',
          params: z.object({ channel: z.string().max(64), file: z.string().max(256) }),
          response: errors(404),
        },
      },
      async (req, reply) => {
        const file = await feedFile(dir, req.params.channel, req.params.file);
        if (!file) throw new HttpError(404, 'NOT_FOUND', 'no such file in the update feed');
        void reply
          .header('content-length', file.size)
          .header('x-content-type-options', 'nosniff')
          // The index changes with each release; installers never change under their name.
          .header('cache-control', file.index ? 'no-cache' : 'public, max-age=86400, immutable')
          .type(file.index ? 'text/yaml; charset=utf-8' : 'application/octet-stream');
        return reply.send(file.open() as never);
      },
    );
  };
}
