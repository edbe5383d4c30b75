import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';

/** Where the dashboard lives in the URL space; everything it fetches is relative to it (works under a proxy sub-path). */
export const WEB_PREFIX = '/admin';

/**
 * No inline script or style, nothing from another origin, no framing, no plugins. The page's own bundle and
 * stylesheet are all it loads; its API calls go to the same origin.
 */
export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
};

/** The built dashboard: dist/web next to dist/server (built server) or under the repository (server run by tsx). */
export function defaultWebDir(): string {
  const candidates = ['../../dist/web/', '../../web/'].map((p) => fileURLToPath(new URL(p, import.meta.url)));
  return candidates.find((d) => existsSync(join(d, 'index.html'))) ?? candidates[0]!;
}

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  if (!existsSync(join(dir, 'index.html'))) return assets;
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (!type || name.endsWith('.map')) continue;
    const body = readFileSync(join(dir, name));
    assets.set(name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
  }
  return assets;
}

/**
 * Serves the dashboard's few static files from memory (read once at start). The page holds no data: it is public,
 * and every API call it makes is authenticated by the admin plugin.
 */
export function webRoutes(dir: string): FastifyPluginAsync {
  const assets = loadAssets(dir);
  return async (app) => {
    // The page's relative URLs need the trailing slash; a relative Location keeps a proxy's sub-path.
    app.get(WEB_PREFIX, { schema: { tags: ['web'], summary: 'Redirects to the dashboard (admin/)' } }, async (_req, reply) =>
      reply.redirect('admin/', 302),
    );
    app.get('/', { schema: { tags: ['web'], summary: 'Redirects to the dashboard (admin/)' } }, async (_req, reply) =>
      reply.redirect('admin/', 302),
    );
    const serve = async (name: string, req: FastifyRequest, reply: FastifyReply) => {
      const asset = assets.get(name);
      reply
        .header('content-security-policy', CSP)
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer')
        .header('x-frame-options', 'DENY')
        .header('cache-control', 'no-cache');
      if (!asset) {
        if (assets.size === 0)
          return reply
            .code(503)
            .type('text/plain; charset=utf-8')
            .send('Dashboard nicht gebaut / dashboard not built: npm run build');
        return reply.code(404).type('text/plain; charset=utf-8').send('not found');
      }
      if (req.headers['if-none-match'] === asset.etag) return reply.code(304).send();
      return reply.type(asset.type).header('etag', asset.etag).send(asset.body);
    };
    app.get(`${WEB_PREFIX}/`, { schema: { tags: ['web'], summary: 'The dashboard page' } }, (req, reply) =>
      serve('index.html', req, reply),
    );
    app.get(
      `${WEB_PREFIX}/:file`,
      {
        schema: {
          tags: ['web'],
          summary: "The dashboard's bundle and stylesheet (static; every call the page makes is an admin route)",
          params: z.strictObject({ file: z.string().max(100) }),
        },
      },
      (req, reply) => serve((req.params as { file: string }).file, req, reply),
    );
  };
}
