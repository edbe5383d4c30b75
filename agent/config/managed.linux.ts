import { join } from 'node:path';
import { readJsonConfigFile } from './json-file.js';
import type { ConfigLayer } from './layers.js';

/** Where IT puts the machine-wide settings on Linux (root-owned; rolled out by Ansible, Puppet, a package …). */
export const LINUX_MANAGED_FILE = '/etc/appwacht/config.json';

/** `root` lets tests (and an inspection of a mounted disk) read below another folder. */
export async function readManagedLinux(options: { root?: string } = {}): Promise<ConfigLayer[]> {
  const layer = await readJsonConfigFile(join(options.root ?? '/', LINUX_MANAGED_FILE), 'managed-machine');
  return layer ? [layer] : [];
}
