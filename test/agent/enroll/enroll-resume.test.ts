/**
 * Enrollment backoff across processes: each turn of `appwacht run` is a new process with a new Enrollment, so where the
 * automatic attempts stand is handed over (`backoffState()` → `resume`). Against the STAND-IN server over real HTTP.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { HostFacts } from '../../../protocol/index.js';
import { createServerConnection, type EnrollmentBackoff } from '../../../agent/enroll/enroll.js';
import { createFileTokenStore } from '../../../agent/enroll/token-store.js';
import { createHttpTransport, type HttpTransport } from '../../../agent/transport/http.js';
import { startStandInServer, type StandInServer } from '../../helpers/stand-in-server.js';

const host: HostFacts = {
  hostname: 'laptop-18',
  os: 'linux',
  osVersion: 'Debian GNU/Linux 12 (bookworm)',
  osUser: 'erika',
  agentVersion: '0.1.0',
  machineId: 'd'.repeat(64),
};

let dir: string;
let server: StandInServer;
let transport: HttpTransport;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'appwacht-enroll-resume-'));
  server = await startStandInServer();
  transport = await createHttpTransport({ env: {} });
});
after(async () => {
  await transport.close();
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('enrollment backoff handed from process to process', () => {
  it('a refused secret: each new process waits where the last one left off, and the waits keep growing', async () => {
    let clock = Date.parse('2026-07-01T08:00:00Z');
    let resume: EnrollmentBackoff | undefined;
    const enrollRequests = () => server.requests.filter((r) => r.url === '/api/v1/enroll').length;
    const waits: number[] = [];
    for (let turn = 0; turn < 6; turn++) {
      const { enrollment } = createServerConnection({
        serverUrl: server.url,
        secret: 'a-wrong-secret-of-enough-length',
        fetch: transport.fetch,
        store: createFileTokenStore(dir),
        hostFacts: async () => host,
        now: () => new Date(clock),
        random: () => 1,
        backoff: { baseMs: 60_000, capMs: 3_600_000 },
        timeoutMs: 2000,
        ...(resume ? { resume } : {}),
      });
      const before = enrollRequests();
      const state = await enrollment.ensureEnrolled();
      assert.equal(state.state, 'unenrolled');
      if (turn % 2 === 1) {
        // Half of the turns come before the wait is over: they must not ask the server.
        assert.equal(state.state === 'unenrolled' && state.reason, 'waiting');
        assert.equal(enrollRequests(), before, 'no attempt inside the backoff window');
      } else {
        assert.equal(state.state === 'unenrolled' && state.reason, 'refused');
        waits.push((state.state === 'unenrolled' ? state.retryAt!.getTime() : 0) - clock);
      }
      resume = enrollment.backoffState();
      clock = turn % 2 === 0 ? clock + 1_000 : resume.retryAt!.getTime();
    }
    assert.deepEqual(waits, [60_000, 120_000, 240_000], 'the backoff grows across processes, it does not restart');
  });
});
