import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(REPO, 'bin', 'appwacht.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the installed CLI (bin/appwacht.js → the bundle in dist/cli/) as a real process, the way IT and the employee run it. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  if (!existsSync(join(REPO, 'dist', 'cli', 'appwacht.js'))) {
    throw new Error('dist/ is missing: run "npm run build" first (npm test does)');
  }
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: REPO, env: { ...process.env, LANG: 'C.UTF-8', LC_ALL: '', ...env }, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/**
 * Starts the bundled CLI as the machine service would (`appwacht run --system`), with a clean environment: HOME in
 * `home`, the settings given (APPWACHT_STATE_DIR, APPWACHT_SERVER_URL …) and nothing of the test runner's. Its log
 * (stderr) collects in `log()`.
 */
export function spawnMachineAgent(home: string, settings: Record<string, string>): { child: ChildProcess; log(): string } {
  const child = spawn(process.execPath, [BIN, 'run', '--system', '--log-level', 'info'], {
    cwd: '/',
    env: { PATH: process.env.PATH, HOME: home, LANG: 'C.UTF-8', ...settings },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (log += text));
  return { child, log: () => log };
}
