/**
 * The HTTP calls bench:server and the SIGKILL test make besides the load itself: enroll devices, get an admin API
 * token, read the policy ETag, time sequential admin requests. All over a keep-alive undici Pool, like an agent.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Pool } from 'undici';
import type { HostFacts } from '../protocol/enrollment.js';
import { osFor, profileFor, type BenchDevice } from './server-payloads.js';

export async function call<T>(
  pool: Pool,
  method: 'GET' | 'POST',
  path: string,
  opts: { headers?: Record<string, string>; json?: unknown; expect?: number[] } = {},
): Promise<{ status: number; body: T; headers: Record<string, string | string[] | undefined> }> {
  const res = await pool.request({
    method,
    path,
    headers: { ...(opts.json !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers },
    ...(opts.json !== undefined ? { body: JSON.stringify(opts.json) } : {}),
  });
  const text = await res.body.text();
  const expect = opts.expect ?? [200, 201];
  if (!expect.includes(res.statusCode)) throw new Error(`${method} ${path}: ${res.statusCode} ${text.slice(0, 300)}`);
  return { status: res.statusCode, body: (text ? JSON.parse(text) : null) as T, headers: res.headers };
}

export function benchHost(i: number): HostFacts {
  return {
    hostname: `PC-BENCH-${String(i).padStart(6, '0')}`,
    os: osFor(i),
    osVersion: '10.0.22631',
    osUser: `CITY\\bench${i}`,
    agentVersion: '0.1.0',
    machineId: createHash('sha256').update(`bench-${i}-${randomUUID()}`).digest('hex'),
  };
}

export type EnrolledDevice = BenchDevice & { deviceId: string };

/** Enrolls `count` devices through POST /api/v1/enroll, `concurrency` at a time. */
export async function enrollDevices(origin: string, secret: string, count: number, concurrency = 8): Promise<EnrolledDevice[]> {
  const pool = new Pool(origin, { connections: concurrency });
  const devices: EnrolledDevice[] = new Array(count);
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < count) {
          const i = next++;
          const r = await call<{ deviceId: string; deviceToken: string }>(pool, 'POST', '/api/v1/enroll', {
            json: { enrollmentSecret: secret, host: benchHost(i) },
          });
          devices[i] = { deviceId: r.body.deviceId, token: r.body.deviceToken, profile: profileFor(i), os: osFor(i) };
        }
      }),
    );
  } finally {
    await pool.close();
  }
  return devices;
}

/** Logs in as the first admin and creates an API token, as an operator's script would. */
export async function adminToken(origin: string, password: string, username = 'admin'): Promise<string> {
  const pool = new Pool(origin, { connections: 1 });
  try {
    const login = await call<{ csrfToken: string }>(pool, 'POST', '/api/v1/admin/login', { json: { username, password } });
    const setCookie = [login.headers['set-cookie'] ?? []].flat();
    const cookie = setCookie.map((c) => c.split(';')[0]).join('; ');
    const tok = await call<{ token: string }>(pool, 'POST', '/api/v1/admin/tokens', {
      headers: { cookie, 'x-csrf-token': login.body.csrfToken },
      json: { name: `bench ${Date.now()}` },
    });
    return tok.body.token;
  } finally {
    await pool.close();
  }
}

export async function policyEtag(origin: string, deviceToken: string): Promise<string> {
  const pool = new Pool(origin, { connections: 1 });
  try {
    const r = await call(pool, 'GET', '/api/v1/policy', { headers: { authorization: `Bearer ${deviceToken}` } });
    const etag = r.headers.etag;
    if (typeof etag !== 'string') throw new Error('policy answer has no ETag');
    return etag;
  } finally {
    await pool.close();
  }
}
