import type { FastifyInstance } from 'fastify';
import { HttpError } from '../errors.js';

/** True if any string (or key) in a parsed JSON value contains a NUL character. Iterative: depth cannot blow the stack. */
export function containsNul(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return true;
    } else if (Array.isArray(v)) {
      stack.push(...v);
    } else if (v !== null && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        if (k.includes('\u0000')) return true;
        stack.push(child);
      }
    }
  }
  return false;
}

/**
 * Fastify's own JSON parser (secure-json-parse: __proto__ and constructor.prototype are refused), plus one rule:
 * no NUL characters anywhere. PostgreSQL text cannot hold them and no hostname, app name or path legitimately has one,
 * so both dialects refuse them the same way, with a 400, before anything is written.
 */
export function registerJsonParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    parse(req, body as string, (err, value) => {
      if (err) return done(err, undefined);
      if (containsNul(value))
        return done(new HttpError(400, 'NUL_IN_STRING', 'strings must not contain NUL characters'), undefined);
      done(null, value);
    });
  });
}

/**
 * The same rule for the query string and path parameters (a `%00` in ?hostname= would reach PostgreSQL). A hook of
 * the generic context only: the decision routes read no parameter into a query (server/decision/routes.ts).
 */
export function rejectNulInUrl(app: FastifyInstance): void {
  app.addHook('preValidation', async (req) => {
    if (containsNul(req.query) || containsNul(req.params))
      throw new HttpError(400, 'NUL_IN_STRING', 'the URL must not contain NUL characters');
  });
}
