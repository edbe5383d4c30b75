import type { RuntimeState } from './state.js';

/**
 * `appwacht status`'s check of the agent's state file: the fields status shows, with the types it relies on. The full
 * schema is RuntimeState in state.ts (zod), which the agent applies whenever it loads the file; status only reads the
 * file the agent wrote, and loading zod would cost status more than all its other work (BENCHMARKS.md, "Start-up",
 * third pass). A file that fails here is reported as unreadable, naming the first field that is wrong.
 */

/** undefined when the value is fine, else the path below it that is wrong ('' for the value itself). */
type Check = (value: unknown) => string | undefined;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const is =
  (test: (v: unknown) => boolean): Check =>
  (v) =>
    test(v) ? undefined : '';
const string = is((v) => typeof v === 'string');
const number = is((v) => typeof v === 'number');
const boolean = is((v) => typeof v === 'boolean');
const oneOf = (...values: unknown[]) => is((v) => values.includes(v));
const nullable =
  (check: Check): Check =>
  (v) =>
    v === null ? undefined : check(v);
const optional =
  (check: Check): Check =>
  (v) =>
    v === undefined ? undefined : check(v);
const below = (key: string | number, bad: string) => (bad ? `${key}.${bad}` : String(key));
const array =
  (item: Check): Check =>
  (v) => {
    if (!Array.isArray(v)) return '';
    for (const [i, x] of v.entries()) {
      const bad = item(x);
      if (bad !== undefined) return below(i, bad);
    }
    return undefined;
  };
const object =
  (shape: Record<string, Check>): Check =>
  (v) => {
    if (!isRecord(v)) return '';
    for (const [key, check] of Object.entries(shape)) {
      const bad = check(v[key]);
      if (bad !== undefined) return below(key, bad);
    }
    return undefined;
  };

const problem = object({ at: string, code: string, message: string });

const shownState = object({
  format: oneOf('appwacht-agent-state'),
  version: oneOf(1),
  agent: object({ pid: number, startedAt: string, stoppedAt: nullable(string) }),
  mode: oneOf('server', 'local'),
  server: nullable(string),
  enrollment: object({ enrolled: boolean, deviceId: optional(string), reason: optional(string), message: optional(string) }),
  policy: nullable(
    object({
      origin: oneOf('server', 'cache', 'bundled'),
      version: number,
      organization: string,
      expired: boolean,
      reason: optional(string),
      rejected: optional(problem),
    }),
  ),
  lastScan: nullable(
    object({
      at: string,
      trigger: string,
      state: object({
        status: oneOf('compliant', 'warning', 'violation', 'unknown'),
        gaps: optional(array(object({ code: string, source: optional(string) }))),
        deadline: optional(string),
        pastDeadline: boolean,
        daysPastDeadline: number,
      }),
      findings: array(object({ appId: string, name: string, action: string, evidence: array(oneOf('installed', 'running')) })),
      failedSources: array(object({ id: string, error: string })),
    }),
  ),
  lastReport: nullable(object({ at: string, kind: oneOf('change', 'heartbeat') })),
  lastDelivery: nullable(object({ at: string })),
  lastDeliveryError: nullable(problem),
  lastError: nullable(problem),
  pending: is(Array.isArray),
});

/** The parsed file as status shows it, or which field is wrong (`lastScan.findings.0.name`). */
export function checkShownState(value: unknown): { ok: true; state: RuntimeState } | { ok: false; field: string } {
  const bad = shownState(value);
  return bad === undefined ? { ok: true, state: value as RuntimeState } : { ok: false, field: bad || '(the whole file)' };
}
