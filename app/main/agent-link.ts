/**
 * How the tray reaches the agent. Machine mode (the design's default): the agent is the machine service and this app a
 * client of its tray channel (agent/channel/): read-state, read-last-report and check-now, nothing else. Per-user mode: user-agent.ts.
 * Either way the rest of main sees only this interface.
 */
import { connectTray, type TrayConnection } from '../../agent/channel/client.js';
import type { LastReportMessage, StateMessage, ToPeer } from '../../agent/channel/messages.js';
import { describeError } from '../../agent/errors.js';
import type { CheckNowResult } from '../shared/bridge.js';

export interface AgentLink {
  readonly mode: 'machine' | 'user';
  /** The agent's state for this account; `problem` when it could not be asked (then the tray shows offline). */
  read(): Promise<{ state?: StateMessage; problem?: string }>;
  /** The last delivered report as the agent kept it, and the queue; `problem` when it could not be asked. */
  readLastReport(): Promise<{ answer?: LastReportMessage; problem?: string }>;
  checkNow(): Promise<CheckNowResult>;
  close(): Promise<void>;
}

/**
 * A client of the machine agent's tray channel. One connection, made again after any failure (the agent restarted, the
 * idle timeout closed it); requests one at a time, as the channel answers them in order.
 */
export function machineLink(dir: string, connect: (dir: string) => Promise<TrayConnection> = connectTray): AgentLink {
  let conn: TrayConnection | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  const ask = (message: unknown): Promise<ToPeer> => {
    const run = async () => {
      conn ??= await connect(dir);
      try {
        return await conn.request(message);
      } catch (err) {
        conn.close();
        conn = undefined;
        throw err;
      }
    };
    const next = queue.then(run, run);
    queue = next.catch(() => {});
    return next;
  };
  return {
    mode: 'machine',
    async read() {
      try {
        const answer = await ask({ type: 'read-state' });
        if (answer.type === 'state') return { state: answer };
        return { problem: answer.type === 'error' ? `${answer.code}: ${answer.message}` : `unexpected answer ${answer.type}` };
      } catch (err) {
        return { problem: describeError(err) };
      }
    },
    async readLastReport() {
      try {
        const answer = await ask({ type: 'read-last-report' });
        if (answer.type === 'last-report') return { answer };
        return { problem: answer.type === 'error' ? `${answer.code}: ${answer.message}` : `unexpected answer ${answer.type}` };
      } catch (err) {
        return { problem: describeError(err) };
      }
    },
    async checkNow() {
      try {
        const answer = await ask({ type: 'check-now' });
        if (answer.type === 'check-accepted') return { outcome: 'accepted' };
        if (answer.type === 'error' && answer.code === 'RATE_LIMITED')
          return { outcome: 'rate-limited', retryAfterMs: Math.max(0, Math.min(answer.retryAfterMs ?? 60_000, 3_600_000)) };
        return { outcome: 'unavailable', message: answer.type === 'error' ? answer.message : `unexpected answer ${answer.type}` };
      } catch (err) {
        return { outcome: 'unavailable', message: describeError(err) };
      }
    },
    async close() {
      conn?.close();
      conn = undefined;
    },
  };
}
