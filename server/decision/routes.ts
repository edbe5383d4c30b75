/**
 * The access decision in the forms real servers speak, each behind a token of its own (header X-Appwacht-Token):
 * - Dovecot's authentication policy protocol: POST JSON, `?command=allow|report`, answer `{"status": 0}` (let in)
 *   or `{"status": -1, "msg": …}` (refuse with that message). Always 200 with JSON: Dovecot reads a non-200 as
 *   a policy server failure and applies its own auth_policy_reject_on_fail instead of our answer.
 * - nginx `auth_request`: 204 allow, 403 deny; the employee from X-Appwacht-User or the Basic-auth user.
 * - the list of blocked employees as JSON or CSV, for gateways driven by a script.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { HttpError } from '../errors.js';
import { secretMatcher } from '../services/secrets.js';
import type { Decider } from './decide.js';
import type { DecisionTokens } from './tokens.js';
import { csvLine } from '../services/csv.js';

export const DECISION_PREFIX = '/api/v1/decision';

/** What a CalDAV/CardDAV/ActiveSync client may send through nginx; WebDAV's methods are added in app.ts. */
export const WEBDAV_METHODS = ['PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'REPORT', 'MKCALENDAR'];
const NGINX_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', ...WEBDAV_METHODS];
const TOKEN_HEADER = 'x-appwacht-token';

function requireToken(expected: string) {
  const matches = secretMatcher(expected);
  return async (req: FastifyRequest) => {
    const given = req.headers[TOKEN_HEADER];
    const bearer = req.headers.authorization?.startsWith('Bearer ') ? req.headers.authorization.slice(7) : undefined;
    const token = typeof given === 'string' ? given : bearer;
    if (token === undefined || !matches(token)) throw new HttpError(401, 'UNAUTHORIZED', 'missing or invalid decision token');
  };
}

/**
 * Dovecot sends whatever auth_policy_request_attributes names; only `login` matters here, the rest is ignored. No
 * usable login (not a string, empty, over 512 characters, a body that is no object): undefined, the admin's error
 * answer. Checked by hand, not by zod, on this per-login path.
 */
function dovecotLogin(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const login = (body as { login?: unknown }).login;
  return typeof login === 'string' && login.length > 0 && login.length <= 512 ? login : undefined;
}

/** The user of a Basic Authorization header, or null. */
export function basicUser(header: string | undefined): string | null {
  if (!header?.startsWith('Basic ')) return null;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const user = colon < 0 ? decoded : decoded.slice(0, colon);
  return user.length > 0 && user.length <= 512 ? user : null;
}

/** The two answers Dovecot gets most, serialized once; a deny carries the decider's message (one per support text). */
const DOVECOT_ALLOW = Buffer.from(JSON.stringify({ status: 0, msg: '' }));
const JSON_TYPE = 'application/json; charset=utf-8';

function dovecotDeny(): (msg: string) => Buffer {
  let last: { msg: string; body: Buffer } | null = null;
  return (msg) => {
    if (last?.msg !== msg) last = { msg, body: Buffer.from(JSON.stringify({ status: -1, msg })) };
    return last.body;
  };
}

/** Sends pre-serialized JSON as is (Fastify skips serializers for a Buffer); the schema still documents its shape. */
const sendJson = (reply: FastifyReply, body: Buffer) => reply.header('content-type', JSON_TYPE).send(body);

/** The body is read by hand (see below) and `command` only compared: zod runs for the OpenAPI document alone. */
const unchecked = () => (value: unknown) => ({ value });

/**
 * Registered in a context of their own, beside the generic one (app.ts): no cookie parsing, no URL NUL check (no
 * parameter reaches a query), and a counter instead of the per-request latency histogram. The JSON body parser, the
 * error handler (401s logged) and the route table are the app's.
 */
export function decisionRoutes(ctx: AppContext, decider: Decider, tokens: DecisionTokens): FastifyPluginAsyncZod {
  return async (app) => {
    const counted = (endpoint: string) => ({
      allow: ctx.metrics.decisions.labels(endpoint, 'allow'),
      deny: ctx.metrics.decisions.labels(endpoint, 'deny'),
      error: ctx.metrics.decisions.labels(endpoint, 'error'),
    });
    const count = { dovecot: counted('dovecot'), nginx: counted('nginx') };
    const deny = dovecotDeny();

    app.post(
      `${DECISION_PREFIX}/dovecot`,
      {
        onRequest: requireToken(tokens.dovecot),
        validatorCompiler: unchecked,
        schema: {
          tags: ['decision'],
          summary: 'Dovecot authentication policy (auth_policy_server_url); command=allow decides, command=report is noted',
          querystring: z.object({ command: z.string().max(20).optional() }),
          // Parsed by hand below: a body we cannot read is the admin's error decision, not a 400 Dovecot would misread.
          body: z.unknown(),
          response: { 200: z.object({ status: z.number().int(), msg: z.string() }) },
        },
      },
      async (req, reply) => {
        if (req.query.command === 'report') return sendJson(reply, DOVECOT_ALLOW);
        const login = dovecotLogin(req.body);
        const d = login === undefined ? decider.onError() : await decider.decide(login);
        if (d.reason === 'error') {
          req.log.warn({ login: login?.slice(0, 100) }, 'dovecot policy: no decision possible');
          count.dovecot.error.inc();
        } else count.dovecot[d.allow ? 'allow' : 'deny'].inc();
        return sendJson(reply, d.allow ? DOVECOT_ALLOW : deny(d.message));
      },
    );

    const nginx = async (req: FastifyRequest, reply: FastifyReply) => {
      const header = req.headers['x-appwacht-user'];
      const user = typeof header === 'string' && header !== '' ? header : basicUser(req.headers.authorization);
      // No user yet: the backend asks for credentials itself; the decision comes with the next request.
      if (user === null) return reply.code(204).send();
      const d = await decider.decide(user);
      count.nginx[d.reason === 'error' ? 'error' : d.allow ? 'allow' : 'deny'].inc();
      reply.header('x-appwacht-decision', d.allow ? 'allow' : 'deny');
      if (d.allow) return reply.code(204).send();
      if (d.since !== null) reply.header('x-appwacht-blocked-since', new Date(d.since).toISOString());
      return reply.code(403).send({ statusCode: 403, code: 'ACCESS_BLOCKED', message: d.message });
    };
    // auth_request repeats the client's method (PROPFIND, REPORT, …) unless nginx sets proxy_method; accept them all.
    (app as unknown as FastifyInstance).route({
      method: [...NGINX_METHODS],
      url: `${DECISION_PREFIX}/nginx`,
      onRequest: requireToken(tokens.nginx),
      schema: {
        tags: ['decision'],
        summary: 'nginx auth_request: 204 allow, 403 deny; the employee from X-Appwacht-User or the Basic-auth user',
      },
      handler: nginx,
    });

    app.get(
      `${DECISION_PREFIX}/blocked`,
      {
        onRequest: requireToken(tokens.blocklist),
        schema: {
          tags: ['decision'],
          summary: 'Who is blocked now (JSON, or CSV with format=csv)',
          querystring: z.object({ format: z.enum(['json', 'csv']).default('json') }),
        },
      },
      async (req, reply) => {
        const rows = await ctx.repos.ladder.blocked();
        if (req.query.format === 'csv') {
          const csv =
            csvLine(['employee', 'blocked_since']) +
            rows.map((r) => csvLine([r.email, new Date(r.blockedSince).toISOString()])).join('');
          return reply.type('text/csv; charset=utf-8').send(csv);
        }
        return {
          generatedAt: new Date(ctx.now()).toISOString(),
          items: rows.map((r) => ({ employee: r.email, blockedSince: new Date(r.blockedSince).toISOString() })),
        };
      },
    );
  };
}
