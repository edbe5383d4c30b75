import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { UpdateError } from './errors.js';
import type { InstallCommand } from './installer.js';

/**
 * The install helper: a few lines of Node run with the agent's own runtime (`node -e`), detached from the service. It
 * runs the installer with its output in a log file and then writes the outcome to a result file — so the outcome is kept
 * even when the package's maintainer scripts stop and restart the service that started it (they do: a deb's postinst
 * restarts appwacht-agent). The next turn of the new agent reads the result. Data travels as arguments only.
 */
const HELPER = `
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const [result, log, file, ...args] = process.argv.slice(1);
const out = fs.openSync(log, 'w', 0o600);
const r = spawnSync(file, args, { stdio: ['ignore', out, out], windowsHide: true });
fs.closeSync(out);
const outcome = { status: r.status, signal: r.signal, error: r.error ? String(r.error.message) : null, endedAt: new Date().toISOString() };
fs.writeFileSync(result + '.tmp', JSON.stringify(outcome) + '\\n', { mode: 0o600 });
fs.renameSync(result + '.tmp', result);
`;

export interface InstallFiles {
  /** Written by the helper when the installer has ended. */
  result: string;
  /** The installer's output. */
  log: string;
}

/**
 * Starts the installer through the helper and returns once the helper runs (not when the install ends).
 * `outside` turns the helper's command line into one that runs outside the service (installer.ts outsideService).
 */
export async function launchInstall(
  command: InstallCommand,
  files: InstallFiles,
  outside?: (argv: string[], env: Record<string, string>) => Promise<string[]>,
): Promise<void> {
  const helper = [process.execPath, '-e', HELPER, files.result, files.log, command.file, ...command.args];
  const env = command.env ?? {};
  const argv = outside ? await outside(helper, env) : helper;
  const wrapped = argv[0] !== helper[0];
  const child = spawn(argv[0]!, argv.slice(1), {
    // The helper itself is detached (its own session: a stop of the service's process group does not reach it); a
    // wrapper such as systemd-run returns once its unit runs, and is waited for so that a refusal is seen now.
    detached: !wrapped,
    stdio: wrapped ? ['ignore', 'ignore', 'pipe'] : 'ignore',
    windowsHide: true,
    env: { ...process.env, ...env },
  });
  const failed = (message: string, cause?: unknown) =>
    new UpdateError('INSTALL_FAILED', `the installer could not be started: ${message}`, { cause });
  await new Promise<void>((resolve, reject) => {
    child.once('error', (err) => reject(failed(err.message, err)));
    if (!wrapped) return void child.once('spawn', resolve);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-300)));
    const timer = setTimeout(() => child.kill(), 30_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(failed(`${argv[0]} exited with ${code}${stderr.trim() ? `: ${stderr.trim()}` : ''}`));
    });
  });
  child.unref();
}

export interface InstallResult {
  status: number | null;
  signal: string | null;
  error: string | null;
  endedAt: string;
}

/** The helper's result, or undefined while the installer runs (or when the helper never got to write it). */
export async function readInstallResult(files: InstallFiles): Promise<InstallResult | undefined> {
  let text: string;
  try {
    text = await readFile(files.result, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const v = JSON.parse(text) as Partial<InstallResult>;
    return {
      status: typeof v.status === 'number' ? v.status : null,
      signal: typeof v.signal === 'string' ? v.signal : null,
      error: typeof v.error === 'string' ? v.error.slice(0, 300) : null,
      endedAt: typeof v.endedAt === 'string' ? v.endedAt : new Date(0).toISOString(),
    };
  } catch {
    return { status: null, signal: null, error: 'the result file is not JSON', endedAt: new Date(0).toISOString() };
  }
}

/** The last lines of the installer's output, for a failure's reason. */
export async function installLogTail(files: InstallFiles, chars = 300): Promise<string> {
  const text = await readFile(files.log, 'utf8').catch(() => '');
  return text.trim().slice(-chars).replace(/\s+/g, ' ');
}
