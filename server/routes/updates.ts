import { createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppContext } from '../context.js';
import { HttpError } from '../errors.js';
import { feedFile, updatesDir } from '../updates/feed.js';
import { errors } from './schemas.js';
import { UPDATE_SIGNATURE_HEADER, signUpdateIndex } from '../../protocol/signing.js';

/** An index larger than this is not one electron-builder wrote; it is refused rather than read into memory and signed. */
const INDEX_MAX_BYTES = 1024 * 1024;

/**
 * GET /updates/<channel>/<file>: the update feed for electron-updater's generic provider (server/updates/feed.ts).
 * Public like the installers themselves (the app cannot present an admin credential); what makes an update safe is the
 * signed index (below) and the sha512 in it, not the transport. No Range support: electron-updater then
 * downloads the whole file instead of a differential update.
 *
 * Index files carry an Ed25519 signature by the policy key (protocol/signing.ts signUpdateIndex, header
 * x-appwacht-signature): the machine agent's update client (agent/update/) runs an installer only from a signed index.
 */
export function updateRoutes(ctx: AppContext): FastifyPluginAsyncZod {
  const dir = updatesDir(ctx.config.dataDir);
  const signingKey = createPrivateKey(ctx.secrets.signingKeyPem);
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
        if (file.index) {
          if (file.size > INDEX_MAX_BYTES) throw new HttpError(404, 'NOT_FOUND', 'the update index is too large to serve');
          // Read once and sign exactly the bytes sent (the file could change between a stat and a stream).
          const bytes = await readFile(file.path);
          return reply
            .header(UPDATE_SIGNATURE_HEADER, signUpdateIndex(req.params.channel, req.params.file, bytes, signingKey))
            .header('x-content-type-options', 'nosniff')
            .header('cache-control', 'no-cache')
            .type('text/yaml; charset=utf-8')
            .send(bytes as never);
        }
        void reply
          .header('content-length', file.size)
          .header('x-content-type-options', 'nosniff')
          // Installers never change under their name.
          .header('cache-control', 'public, max-age=86400, immutable')
          .type('application/octet-stream');
        return reply.send(file.open() as never);
      },
    );
  };
}
