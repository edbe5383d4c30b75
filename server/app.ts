import type { Server } from 'node:http';
import Fastify, { LogController, type FastifyError, type FastifyHttpOptions, type FastifyInstance } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { API_PREFIX, type ApiError } from '../protocol/api.js';
import type { ServerConfig } from './config.js';
import { createRepos, transactional, type AppContext } from './context.js';
import type { DatabaseHandle } from './db/connect.js';
import { HttpError } from './errors.js';
import { ADMIN_PREFIX } from './plugins/auth.js';
import { registerJsonParser, rejectNulInUrl } from './plugins/json-body.js';
import { createMetrics, instrument } from './plugins/metrics.js';
import { adminApi } from './routes/admin/index.js';
import { enrollRoutes } from './routes/enroll.js';
import { healthRoutes } from './routes/health.js';
import { policyRoutes } from './routes/policy.js';
import { reportRoutes } from './routes/reports.js';
import { updateRoutes } from './routes/updates.js';
import type { ServerSecrets } from './services/bootstrap.js';
import { createDecider } from './decision/decide.js';
import { decisionRoutes, WEBDAV_METHODS } from './decision/routes.js';
import { loadOrCreateDecisionTokens } from './decision/tokens.js';
import { createEscalation, startSweeper } from './escalation/service.js';
import { createMailQueue, startMailQueue } from './mail/queue.js';
import { createWebhookDispatcher } from './webhooks/dispatch.js';
import { createPolicyStore } from './services/policy-store.js';
import { startPruner } from './services/pruner.js';
import { createReportIngest } from './services/report-ingest.js';
import { TokenCache } from './services/token-cache.js';
import { startSnapshots } from './services/compliance-history.js';
import { defaultWebDir, webRoutes } from './web/serve.js';

export const OPENAPI_PATH = `${API_PREFIX}/openapi.json`;

export interface AppDeps {
  handle: DatabaseHandle;
  secrets: ServerSecrets;
  now?: () => number;
  /** Fastify logger option; tests pass false. Defaults to JSON lines at config.logLevel. */
  logger?: boolean | { level: string };
  /** Run the retention prune on a timer (main does; tests call it directly). */
  pruneOnTimer?: boolean;
  /** Run the escalation sweep, the mail queue and the webhooks on timers (main does; tests drive them). */
  escalationOnTimer?: boolean;
  /** The built dashboard (dist/web); tests pass their own build. */
  webDir?: string;
}

/** Fastify's 4xx codes, renamed to the stable codes of our API. */
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_CONTENT_LENGTH',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'EMPTY_BODY',
  FST_ERR_CTP_INVALID_JSON_BODY: 'BAD_JSON',
  FST_ERR_CTP_INVALID_CONTENT_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_CSRF_INVALID_TOKEN: 'CSRF_INVALID',
  FST_CSRF_MISSING_SECRET: 'CSRF_INVALID',
};

function toApiError(err: FastifyError & { validationContext?: string }): ApiError | null {
  if (err instanceof HttpError) return err.toJSON();
  if (hasZodFastifySchemaValidationErrors(err)) {
    const where = err.validationContext ?? 'request';
    const issues = err.validation
      .slice(0, 5)
      .map((v) => `${where}${v.instancePath === '/' ? '' : v.instancePath}: ${v.message}`)
      .join('; ');
    return { statusCode: 400, code: 'VALIDATION', message: issues.slice(0, 1000) };
  }
  const status = err.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    const code =
      FASTIFY_CODES[err.code] ?? (err instanceof SyntaxError ? 'BAD_JSON' : status === 404 ? 'NOT_FOUND' : 'BAD_REQUEST');
    return { statusCode: status, code, message: err.message.slice(0, 500) };
  }
  return null;
}

export async function buildApp(config: ServerConfig, deps: AppDeps): Promise<FastifyInstance> {
  const now = deps.now ?? Date.now;
  const options: FastifyHttpOptions<Server> = {
    logger: deps.logger ?? { level: config.logLevel },
    // Fastify's two lines per request cost a quarter of the report throughput; plugins/metrics.ts logs one line
    // per request instead: failures at info, everything at debug.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.bodyLimit,
    // A hop count is a valid trustProxy value in Fastify (proxy-addr), its types just leave it out.
    trustProxy: config.trustProxy as boolean | string[],
    // JSON with __proto__ / constructor.prototype is rejected (400), never merged.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
  };
  // Typed as the HTTP variant either way: routes do not care whether TLS terminates here.
  if (config.tls) Object.assign(options, { https: { cert: config.tls.cert, key: config.tls.key } });
  const app = Fastify(options).withTypeProvider<ZodTypeProvider>();
  // The nginx decision endpoint sees the client's WebDAV methods (auth_request repeats them).
  for (const m of WEBDAV_METHODS) if (!app.supportedMethods.includes(m)) app.addHttpMethod(m, { hasBody: true });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // JSON only: a text/plain body would otherwise reach the validator as a string.
  app.removeContentTypeParser('text/plain');
  registerJsonParser(app);

  const repos = createRepos(deps.handle.db);
  const policies = createPolicyStore(deps.handle.db, deps.secrets.signingKeyPem, now, config.policyValidityDays);
  const metrics = createMetrics(
    () => repos.devices,
    async () => (await policies.current())?.version ?? null,
  );
  const decider = createDecider({ db: deps.handle.db, config: config.escalation, now });
  const escalation = createEscalation({
    db: deps.handle.db,
    config: config.escalation,
    now,
    onDecisionChange: (employee) => decider.forget(employee),
  });
  const ingest = createReportIngest(deps.handle.db, {
    afterFold: (trx, ids, at) => escalation.afterIngest(trx, ids, at),
    maxBatch: config.reportBatchMax,
    onBatch: (n) => metrics.batch.observe(n),
    onOutcome: (o) => metrics.reports.inc({ outcome: o }),
    bound: config.retention.perDevice,
    onTrimmed: (n) => metrics.pruned.inc(n),
  });
  const deviceTokens = new TokenCache(60_000, 50_000, now);
  const ctx: AppContext = {
    config,
    secrets: deps.secrets,
    now,
    repos,
    tx: transactional(deps.handle.db),
    ping: () => deps.handle.ping(),
    policies,
    ingest,
    metrics,
    deviceTokens,
    escalation,
    mail: config.escalation.smtp
      ? createMailQueue({ db: deps.handle.db, smtp: config.escalation.smtp, now, log: app.log })
      : null,
  };

  app.decorateRequest('deviceId', null);
  app.decorateRequest('admin', null);

  app.setErrorHandler((err: FastifyError, req, reply) => {
    const api = toApiError(err);
    if (api) {
      if (api.statusCode === 401 || api.statusCode === 403) req.log.info({ code: api.code }, api.message);
      return reply.code(api.statusCode).send(api);
    }
    // 5xx: the client learns nothing about internals; the log gets everything.
    req.log.error({ err }, 'request failed');
    return reply.code(500).send({ statusCode: 500, code: 'INTERNAL', message: 'internal server error' });
  });

  // The route table, kept for the OpenAPI completeness test and for operators (HEAD twins of GET left out).
  const routes: { method: string; url: string }[] = [];
  app.addHook('onRoute', (r) => {
    for (const m of [r.method].flat()) if (m !== 'HEAD') routes.push({ method: m, url: r.url });
  });
  app.decorate('appwachtRoutes', routes);

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Appwacht server API', version: '1' },
      components: {
        securitySchemes: {
          deviceToken: { type: 'http', scheme: 'bearer', description: 'device token from /api/v1/enroll' },
          adminToken: { type: 'http', scheme: 'bearer', description: 'admin API token (awa_…)' },
          session: { type: 'apiKey', in: 'cookie', name: 'appwacht_session' },
        },
      },
    },
    transform: jsonSchemaTransform,
  });
  // The decision endpoints are asked on every mail login: a context of their own, without the generic hooks below.
  await app.register(decisionRoutes(ctx, decider, loadOrCreateDecisionTokens(config.dataDir, config.escalation.tokens)));
  const admin = adminApi(ctx);
  await app.register(async (api) => {
    instrument(api, metrics);
    rejectNulInUrl(api);
    // Here, not at the root: the hooks of the generic context run for unknown URLs too (metered, logged).
    api.setNotFoundHandler((req, reply) => {
      reply
        .code(404)
        .send({ statusCode: 404, code: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]!.slice(0, 200)}` });
    });
    await api.register(fastifyCookie);
    await api.register(fastifyCsrf, {
      sessionPlugin: '@fastify/cookie',
      cookieOpts: { path: ADMIN_PREFIX, httpOnly: true, sameSite: 'strict', secure: config.tls !== null },
      // Bind every CSRF token to the session it was issued for: a token stolen from one session is useless in another.
      getUserInfo: (req) => req.admin?.sessionHash ?? '',
      csrfOpts: { hmacKey: deps.secrets.sessionSecret },
      getToken: (req) => {
        const t = req.headers['x-csrf-token'];
        return typeof t === 'string' ? t : undefined;
      },
    });
    await api.register(fastifyRateLimit, {
      global: false,
      errorResponseBuilder: (_req, c) => new HttpError(429, 'RATE_LIMITED', `too many requests; retry in ${c.after}`),
    });

    await api.register(healthRoutes(ctx));
    await api.register(enrollRoutes(ctx));
    await api.register(policyRoutes(ctx));
    await api.register(reportRoutes(ctx));
    await api.register(updateRoutes(ctx));
    // Every admin route lives in this one plugin, which carries authentication and CSRF (see routes/admin/index.ts).
    await api.register(admin.plugin);
    api.get(OPENAPI_PATH, { schema: { hide: true } }, async () => app.swagger());
    await api.register(webRoutes(deps.webDir ?? defaultWebDir()));
  });

  const pruner = deps.pruneOnTimer ? startPruner(ctx, app.log) : null;
  app.addHook('onReady', async () => admin.check(routes));
  const sweeper = deps.escalationOnTimer ? startSweeper(escalation, config.escalation.sweepSeconds, app.log) : null;
  // The overview chart's daily history (services/compliance-history.ts), hourly.
  const snapshots = deps.escalationOnTimer ? startSnapshots(repos, now, 60, app.log) : null;
  // The queues run on the sweep's beat (at most every 30 s): a step's mail goes out right after the sweep that made it.
  const queueSeconds = Math.min(30, config.escalation.sweepSeconds);
  const mailer = deps.escalationOnTimer && ctx.mail ? startMailQueue(ctx.mail, queueSeconds, app.log) : null;
  const hooks =
    deps.escalationOnTimer && config.escalation.webhook
      ? createWebhookDispatcher({ db: deps.handle.db, webhook: config.escalation.webhook, now })
      : null;
  const hookTimer = hooks
    ? setInterval(() => {
        hooks.drainOnce().catch((err: unknown) => app.log.error({ err }, 'webhook delivery failed'));
      }, queueSeconds * 1000)
    : null;
  hookTimer?.unref();
  app.addHook('onClose', async () => {
    pruner?.stop();
    snapshots?.stop();
    await sweeper?.stop();
    await mailer?.stop();
    if (hookTimer) clearInterval(hookTimer);
    if (!mailer) ctx.mail?.close();
    await ingest.close();
  });
  app.decorate('appwacht', ctx);
  return app;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The app's context (repositories, stores); tests use it to inspect state. */
    appwacht: AppContext;
    appwachtRoutes: { method: string; url: string }[];
  }
}
