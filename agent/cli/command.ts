import type { ParseArgsConfig } from 'node:util';
import type { Lang } from '../../protocol/index.js';

/** Exit codes shared by every command: scripts and installers branch on them. */
/** 3 for unknown follows the monitoring-plugin convention (Nagios/Icinga: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN). */
export const ExitCode = { OK: 0, FOUND: 1, ERROR: 2, UNKNOWN: 3 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface CliContext {
  lang: Lang;
  env: NodeJS.ProcessEnv;
  out: (text: string) => void;
  err: (text: string) => void;
  /** Aborted on SIGINT/SIGTERM, for long-running commands. */
  signal: AbortSignal;
}

type Options = NonNullable<ParseArgsConfig['options']>;
export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** One `appwacht <name>`; its one-line summary for `--help` is in commands/index.ts, which loads it on demand. */
export interface Command {
  name: string;
  /** Full help text, shown by `appwacht <name> --help`. */
  help: Record<Lang, string>;
  options: Options;
  run(values: OptionValues, ctx: CliContext): Promise<ExitCode>;
}

/** Reads a string option that parseArgs has already type-checked. */
export function stringOption(values: OptionValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}
