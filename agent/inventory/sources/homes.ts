import path from 'node:path';
import { describeFsProblem, isMissing, type RootFs } from './rootfs.js';

/** A user's home folder below the root, as the inventoried system names it ("/home/ann"). */
export interface Home {
  user: string;
  path: string;
}

// Debian/Ubuntu/Fedora give people uids from 1000 (login.defs UID_MIN) up to 60000 (UID_MAX);
// below are system accounts, 65534 is nobody. root is a person too on many laptops.
const UID_MIN = 1000;
const UID_MAX = 60000;

interface PasswdEntry {
  user: string;
  uid: number;
  home: string;
}

/** Pure: the accounts in an /etc/passwd text that belong to people. Malformed lines are skipped. */
export function parsePasswd(text: string): PasswdEntry[] {
  const entries: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#') || line.startsWith('+') || line.startsWith('-')) continue;
    const fields = line.split(':');
    if (fields.length < 7) continue;
    const uid = Number(fields[2]);
    const user = fields[0]!;
    const home = fields[5]!;
    if (!Number.isInteger(uid) || !home.startsWith('/') || user === '') continue;
    if (uid === 0 || (uid >= UID_MIN && uid <= UID_MAX)) entries.push({ user, uid, home });
  }
  return entries;
}

/**
 * Every readable home below the root: people from /etc/passwd whose home exists, plus /home/* and /root.
 * The folder scan matters because directory (LDAP/AD via sssd) accounts are not in /etc/passwd but do
 * have /home/<name>. Homes are deduplicated by their resolved path; a home that resolves outside the
 * root cannot happen (RootFs confines links); an unreadable one is skipped with a problem.
 */
export async function listHomes(fs: RootFs): Promise<{ homes: Home[]; problems: string[] }> {
  const problems: string[] = [];
  const candidates: Home[] = [];
  let passwd: PasswdEntry[] = [];
  try {
    passwd = parsePasswd(await fs.readText('/etc/passwd', 4 * 1024 * 1024));
  } catch (err) {
    if (!isMissing(err)) problems.push(describeFsProblem('/etc/passwd', err));
  }
  for (const entry of passwd) {
    if (entry.home !== '/') candidates.push({ user: entry.user, path: entry.home });
  }
  try {
    for (const entry of await fs.readDir('/home')) {
      if (entry.isDirectory() || entry.isSymbolicLink()) {
        const home = `/home/${entry.name}`;
        // Prefer the account name when passwd knows who lives there.
        const owner = passwd.find((p) => path.posix.normalize(p.home) === home)?.user ?? entry.name;
        candidates.push({ user: owner, path: home });
      }
    }
  } catch (err) {
    if (!isMissing(err)) problems.push(describeFsProblem('/home', err));
  }
  candidates.push({ user: 'root', path: '/root' });

  const homes: Home[] = [];
  const seen = new Set<string>();
  for (const candidate of candidates) {
    let resolved: string;
    try {
      resolved = await fs.resolve(candidate.path);
    } catch (err) {
      if (!isMissing(err)) problems.push(describeFsProblem(candidate.path, err));
      continue; // a passwd home that was never created is normal
    }
    if (seen.has(resolved)) continue;
    seen.add(resolved);
    const stat = await fs.statIfExists(resolved).catch(() => undefined);
    if (!stat?.stats.isDirectory()) continue;
    try {
      await fs.readDir(resolved); // proves we may list it; as root this always succeeds
    } catch (err) {
      problems.push(`home of ${candidate.user} skipped: ${describeFsProblem(candidate.path, err)}`);
      continue;
    }
    homes.push({ user: candidate.user, path: resolved });
  }
  return { homes, problems };
}
