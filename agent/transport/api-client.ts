import type { z } from 'zod';
import {
  AgentRoutes,
  EnrollRequest,
  EnrollResponse,
  Report,
  ReportAck,
  describeIssues,
  SignedPolicy,
  type EnrollRequest as EnrollRequestType,
  type EnrollResponse as EnrollResponseType,
  type Report as ReportType,
  type ReportAck as ReportAckType,
  type SignedPolicy as SignedPolicyType,
} from '../../protocol/index.js';
import { AGENT_VERSION } from '../version.js';
import { ServerError, type Fetch, type FetchResponse } from './errors.js';

export interface ApiClientOptions {
  /** Base URL of the Appwacht server; may carry a path prefix (https://intranet.example/appwacht). */
  serverUrl: string;
  fetch: Fetch;
  /** The device token, or undefined when not enrolled (then authenticated calls fail with UNAUTHORIZED without a request). */
  getToken: () => string | undefined | Promise<string | undefined>;
  /** Deadline for a whole call, body included. Default 60 s. */
  timeoutMs?: number;
  /** Larger answers are not the protocol (a signed policy is at most ~1 MB). Default 2 MiB. */
  maxBodyBytes?: number;
}

export type PolicyFetch = { status: 'not-modified'; etag?: string } | { status: 'ok'; signed: SignedPolicyType; etag?: string };

export interface CallOptions {
  /** Aborts the call (agent shutting down); the call then fails with UNAVAILABLE. */
  signal?: AbortSignal;
}

export interface EnrollCallOptions extends CallOptions {
  /** The device token held now: the server's proof that a re-enrollment comes from the device itself. */
  currentToken?: string;
}

export interface ApiClient {
  readonly serverUrl: string;
  /** A known machine without its current token gets a token that waits for an admin (`pendingApproval`, HTTP 202). */
  enroll(request: EnrollRequestType, options?: EnrollCallOptions): Promise<EnrollResponseType>;
  /** With the ETag of the cached policy the server answers 304 when nothing changed. */
  getPolicy(etag?: string, options?: CallOptions): Promise<PolicyFetch>;
  postReport(report: ReportType, options?: CallOptions): Promise<ReportAckType>;
}

/** `Retry-After` is either seconds or an HTTP date; returns milliseconds from now, or undefined if absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // An HTTP-date always ends in GMT (RFC 9110); anything else Date.parse would guess at ("-5" is a year).
  const at = / GMT$/.test(trimmed) ? Date.parse(trimmed) : NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The first line of what went wrong at the network level: undici wraps the real cause in "fetch failed". */
export function networkReason(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return `no complete answer within ${Math.round(timeoutMs / 1000)} s`;
  if (e?.name === 'AbortError') return 'the call was aborted';
  const cause = e?.cause;
  if (cause?.message)
    return cause.code && !cause.message.includes(cause.code) ? `${cause.code}: ${cause.message}` : cause.message;
  return e?.message ?? String(err);
}

export async function readBody(response: FetchResponse, maxBytes: number, what: string): Promise<string> {
  return (await readBodyBytes(response, maxBytes, what)).toString('utf8');
}

/** The body's exact bytes (what a signature covers), refused past `maxBytes` without reading further. */
export async function readBodyBytes(response: FetchResponse, maxBytes: number, what: string): Promise<Buffer> {
  if (!response.body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += chunk.byteLength;
    if (size > maxBytes) {
      // Leaving the loop lets the body go (the iterator's return), so the rest is never read.
      throw new ServerError('BAD_RESPONSE', `${what}: the answer is larger than ${maxBytes} bytes`, { status: response.status });
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function parseJson<T>(text: string, schema: z.ZodType<T>, what: string, status: number): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ServerError('BAD_RESPONSE', `${what}: the answer is not JSON (${JSON.stringify(text.slice(0, 60))})`, { status });
  }
  const result = schema.safeParse(json);
  if (!result.success)
    throw new ServerError('BAD_RESPONSE', `${what}: the answer does not match the protocol: ${describeIssues(result.error, 3)}`, {
      status,
    });
  return result.data;
}

/** A plain Policy document where the signed envelope belongs: worth its own message, it is a misconfigured or hostile server. */
function looksLikeBarePolicy(text: string): boolean {
  try {
    const json = JSON.parse(text) as Record<string, unknown> | null;
    return json !== null && typeof json === 'object' && !('signature' in json) && 'rules' in json;
  } catch {
    return false;
  }
}

/** Maps a non-2xx answer to the ServerError code the caller branches on (see errors.ts). */
function errorFor(response: FetchResponse, bodyText: string, what: string): ServerError {
  const status = response.status;
  let serverCode: string | undefined;
  let serverMessage: string | undefined;
  try {
    const body = JSON.parse(bodyText) as { code?: unknown; message?: unknown };
    if (typeof body.code === 'string') serverCode = body.code.slice(0, 100);
    if (typeof body.message === 'string') serverMessage = body.message.split('\n')[0]!.slice(0, 200);
  } catch {
    // Not an API error body (a reverse proxy's HTML page, say); the status alone decides.
  }
  const detail = `${what}: HTTP ${status}${serverCode ? ` ${serverCode}` : ''}${serverMessage ? ` – ${serverMessage}` : ''}`;
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
  const details = { status, serverCode, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  // The token is good but waits for an admin's approval: keep it and ask again when told, like a 429.
  if (status === 403 && serverCode === 'ENROLLMENT_PENDING') return new ServerError('RATE_LIMITED', detail, details);
  if (status === 401 || status === 403) return new ServerError('UNAUTHORIZED', detail, details);
  if (status === 429) return new ServerError('RATE_LIMITED', detail, details);
  if (status >= 500) return new ServerError('UNAVAILABLE', detail, details);
  if (status >= 300 && status < 400) {
    const location = response.headers.get('location');
    return new ServerError(
      'BAD_RESPONSE',
      `${detail}: redirected${location ? ` to ${location}` : ''}; set serverUrl to the final address`,
      details,
    );
  }
  return new ServerError('REJECTED', detail, details);
}

/**
 * The agent's side of protocol/api.ts. Every failure becomes a ServerError with the code that says what to do next;
 * every answer is validated with the protocol schemas before anyone sees it.
 */
export function createApiClient(options: ApiClientOptions): ApiClient {
  const base = options.serverUrl.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 60_000;
  const maxBodyBytes = options.maxBodyBytes ?? 2 * 1024 * 1024;

  async function call(
    method: 'GET' | 'POST',
    route: string,
    init: { auth: boolean; body?: unknown; headers?: Record<string, string>; signal?: AbortSignal },
  ): Promise<{ response: FetchResponse; text: string }> {
    const what = `${method} ${route}`;
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': `appwacht-agent/${AGENT_VERSION}`,
      ...init.headers,
    };
    if (init.auth) {
      const token = await options.getToken();
      if (!token) throw new ServerError('UNAUTHORIZED', `${what}: this device is not enrolled (no device token)`);
      headers.authorization = `Bearer ${token}`;
    }
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = init.signal ? AbortSignal.any([deadline, init.signal]) : deadline;
    let response: FetchResponse;
    let text: string;
    try {
      response = await options.fetch(base + route, {
        method,
        headers,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal,
        // A redirect would carry the token to wherever it points; the configured URL must be the real one.
        redirect: 'manual',
      });
      text = await readBody(response, maxBodyBytes, what);
    } catch (err) {
      if (err instanceof ServerError) throw err;
      throw new ServerError('UNAVAILABLE', `${what} to ${base}: ${networkReason(err, timeoutMs)}`, {}, { cause: err });
    }
    return { response, text };
  }

  return {
    serverUrl: base,

    async enroll(request, callOptions = {}) {
      const what = `POST ${AgentRoutes.enroll}`;
      const valid = EnrollRequest.safeParse(request);
      if (!valid.success)
        throw new ServerError('REJECTED', `${what}: the request does not match the protocol: ${describeIssues(valid.error, 3)}`);
      const body = valid.data;
      const { response, text } = await call('POST', AgentRoutes.enroll, {
        auth: false,
        body,
        headers: callOptions.currentToken ? { authorization: `Bearer ${callOptions.currentToken}` } : {},
        signal: callOptions.signal,
      });
      if (response.status !== 200 && response.status !== 201 && response.status !== 202) throw errorFor(response, text, what);
      return parseJson(text, EnrollResponse, what, response.status);
    },

    async getPolicy(etag, callOptions = {}) {
      const what = `GET ${AgentRoutes.policy}`;
      const { response, text } = await call('GET', AgentRoutes.policy, {
        auth: true,
        headers: etag ? { 'if-none-match': etag } : {},
        signal: callOptions.signal,
      });
      const responseEtag = response.headers.get('etag') ?? undefined;
      if (response.status === 304) return { status: 'not-modified', etag: responseEtag ?? etag };
      if (response.status !== 200) throw errorFor(response, text, what);
      if (looksLikeBarePolicy(text))
        throw new ServerError('BAD_RESPONSE', `${what}: the server sent a policy without a signature envelope (unsigned)`, {
          status: 200,
        });
      return { status: 'ok', signed: parseJson(text, SignedPolicy, what, 200), etag: responseEtag };
    },

    async postReport(report, callOptions = {}) {
      const what = `POST ${AgentRoutes.reports}`;
      const valid = Report.safeParse(report);
      // The server would refuse it too; saying so here keeps a broken report from being retried forever.
      if (!valid.success)
        throw new ServerError('REJECTED', `${what}: the report does not match the protocol: ${describeIssues(valid.error, 3)}`);
      const { response, text } = await call('POST', AgentRoutes.reports, {
        auth: true,
        body: valid.data,
        signal: callOptions.signal,
      });
      if (response.status < 200 || response.status >= 300) throw errorFor(response, text, what);
      const ack = parseJson(text, ReportAck, what, response.status);
      if (ack.reportId !== report.reportId)
        throw new ServerError('BAD_RESPONSE', `${what}: acknowledged report ${ack.reportId}, sent ${report.reportId}`, {
          status: response.status,
        });
      return ack;
    },
  };
}
