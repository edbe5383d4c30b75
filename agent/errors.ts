/**
 * Every error the agent raises on purpose has a class and a stable code that callers branch on
 * (an unauthorised agent re-enrolls, a missing tool is reported as an unreadable source, …).
 */
export class AppwachtError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad command line or config: exit code 2, message for the user. */
export class UsageError extends AppwachtError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('USAGE', message, options);
  }
}

/** An inventory source could not be read; the scan records it and goes on. */
export class SourceError extends AppwachtError {}

/** A short, single-line description of anything thrown, for logs and source statuses. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0]!.slice(0, 300);
  return String(err).slice(0, 300);
}

export function errorCode(err: unknown): string {
  if (err instanceof AppwachtError) return err.code;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'UNKNOWN';
}
