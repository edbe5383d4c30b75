// The MSI's custom actions (build/windows/appwacht.wxs), run by the Node runtime the MSI installs (runtime\node.exe)
// as LocalSystem. Why Node: wixl (msitools) can run an installed file but not a system program, and Node is the one
// installed executable that can start PowerShell and reg.exe. Untested here (no Windows on the build machine).
//   node msi-action.mjs settings ServerUrl=<v> EnrollmentSecret=<v> PolicyPublicKey=<v>   (empty values are skipped)
//   node msi-action.mjs register | unregister | purge
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

const system32 = join(process.env.SystemRoot || 'C:\\Windows', 'System32');
const POLICY_KEY = 'HKLM\\SOFTWARE\\Policies\\Appwacht';
const ALLOWED = new Set(['ServerUrl', 'EnrollmentSecret', 'PolicyPublicKey']);
const run = (exe, args) => execFileSync(join(system32, exe), args, { stdio: 'inherit', windowsHide: true });
const powershell = (script) =>
  run('WindowsPowerShell\\v1.0\\powershell.exe', [
    '-NoProfile',
    '-NonInteractive',
    '-ExecutionPolicy',
    'Bypass',
    '-File',
    join(here, script),
  ]);

const [command, ...args] = process.argv.slice(2);
switch (command) {
  case 'settings':
    for (const arg of args) {
      const eq = arg.indexOf('=');
      const name = arg.slice(0, eq);
      const value = arg.slice(eq + 1);
      if (!ALLOWED.has(name)) throw new Error(`unknown setting ${name}`);
      if (value !== '') run('reg.exe', ['add', POLICY_KEY, '/v', name, '/t', 'REG_SZ', '/d', value, '/f', '/reg:64']);
    }
    break;
  case 'register':
    powershell('install-agent.ps1');
    break;
  case 'unregister':
    powershell('uninstall-agent.ps1');
    break;
  case 'purge':
    try {
      run('reg.exe', ['delete', POLICY_KEY, '/f', '/reg:64']);
    } catch {
      // not there: nothing to remove
    }
    rmSync(join(process.env.ProgramData || 'C:\\ProgramData', 'Appwacht'), { recursive: true, force: true });
    break;
  default:
    console.error('usage: msi-action.mjs settings NAME=VALUE… | register | unregister | purge');
    process.exit(2);
}
