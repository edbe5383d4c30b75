import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { AgentRoutes, EnrollRequest, policyEtag, Report, type SignedPolicy } from '../../protocol/index.js';

/**
 * A STAND-IN for the Appwacht server, faithful to protocol/api.ts: enroll (secret → device id + token, the same machine
 * gets the same device and a fresh token), GET policy with ETag/304, POST reports stored once per reportId, errors as
 * `{ statusCode, code, message }`. It is NOT the real server (server/ is written in parallel); the end-to-end test
 * against the real one comes later. Real HTTP over loopback, port 0.
 * `intercept` lets a test answer one request its own way (faults: 500, 429, garbage, hang, …).
 */
export interface StandInOptions {
  secret?: string;
  /** Serve https with this key and certificate (PEM). */
  tls?: { key: string; cert: string };
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export type Interceptor = (req: IncomingMessage, res: ServerResponse, body: string) => boolean | void;

export interface StandInServer {
  url: string;
  server: Server;
  secret: string;
  requests: RecordedRequest[];
  devices: Map<string, { deviceId: string; machineId: string; tokenHash: string; host: unknown }>;
  reports: Map<string, unknown>;
  /** The envelope GET /policy serves (undefined → 404 NO_POLICY); etag is derived from its bytes. */
  policy: SignedPolicy | undefined;
  /** Called before the normal handling; return true when it answered. Cleared with `intercept = undefined`. */
  intercept: Interceptor | undefined;
  /** Revokes every token (the next authenticated call gets 401). */
  revokeAll(): void;
  close(): Promise<void>;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
/** The same ETag the real server sends and the agent computes from the bytes it holds. */
export const etagOf = (signed: SignedPolicy) => policyEtag(signed);

function send(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers });
  res.end(body === undefined ? undefined : JSON.stringify(body));
}

const apiError = (res: ServerResponse, statusCode: number, code: string, message: string) =>
  send(res, statusCode, { statusCode, code, message });

export async function startStandInServer(options: StandInOptions = {}): Promise<StandInServer> {
  const state: Omit<StandInServer, 'url' | 'server' | 'close' | 'revokeAll'> = {
    secret: options.secret ?? 'stand-in-enrollment-secret-' + randomBytes(8).toString('hex'),
    requests: [],
    devices: new Map(),
    reports: new Map(),
    policy: undefined,
    intercept: undefined,
  };

  const authenticate = (req: IncomingMessage) => {
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    if (!m) return undefined;
    const hash = sha256(m[1]!);
    return [...state.devices.values()].find((d) => d.tokenHash === hash);
  };

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      state.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if (state.intercept?.(req, res, body)) return;
      const route = (req.url ?? '').split('?')[0];
      if (req.method === 'POST' && route === AgentRoutes.enroll) {
        const parsed = EnrollRequest.safeParse(safeJson(body));
        if (!parsed.success) return apiError(res, 400, 'BAD_REQUEST', 'body is not an EnrollRequest');
        if (parsed.data.enrollmentSecret !== state.secret)
          return apiError(res, 401, 'BAD_SECRET', 'enrollment secret not accepted');
        const token = randomBytes(32).toString('base64url');
        const existing = [...state.devices.values()].find((d) => d.machineId === parsed.data.host.machineId);
        const deviceId = existing?.deviceId ?? randomUUID();
        state.devices.set(deviceId, {
          deviceId,
          machineId: parsed.data.host.machineId,
          tokenHash: sha256(token),
          host: parsed.data.host,
        });
        return send(res, existing ? 200 : 201, { deviceId, deviceToken: token });
      }
      if (req.method === 'GET' && route === AgentRoutes.policy) {
        if (!authenticate(req)) return apiError(res, 401, 'UNAUTHORIZED', 'device token missing or revoked');
        if (!state.policy) return apiError(res, 404, 'NO_POLICY', 'no policy published');
        const etag = etagOf(state.policy);
        if (req.headers['if-none-match'] === etag) return send(res, 304, undefined, { etag });
        return send(res, 200, state.policy, { etag });
      }
      if (req.method === 'POST' && route === AgentRoutes.reports) {
        if (!authenticate(req)) return apiError(res, 401, 'UNAUTHORIZED', 'device token missing or revoked');
        const parsed = Report.safeParse(safeJson(body));
        if (!parsed.success) return apiError(res, 400, 'BAD_REQUEST', 'body is not a Report');
        const stored = !state.reports.has(parsed.data.reportId);
        if (stored) state.reports.set(parsed.data.reportId, parsed.data);
        return send(res, stored ? 201 : 200, { reportId: parsed.data.reportId, stored });
      }
      apiError(res, 404, 'NOT_FOUND', `no route ${req.method} ${route}`);
    });
  };

  const server = options.tls ? createHttpsServer(options.tls, handler) : createHttpServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const self = Object.assign(state, {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    server,
    revokeAll() {
      for (const d of state.devices.values()) d.tokenHash = 'revoked';
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
  return self;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
