import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, chown, mkdir, mkdtemp, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureStateFolder, StateFolderError } from '../../../agent/state/folder.js';

const posixOnly = process.platform === 'win32' ? 'POSIX owners and modes do not apply on Windows (ACLs do)' : false;
const me = () => process.geteuid!();

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'appwacht-folder-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function refused(path: string, pattern: RegExp, options?: { uid?: number }) {
  await assert.rejects(ensureStateFolder(path, options), (err: unknown) => {
    assert.ok(err instanceof StateFolderError);
    assert.equal(err.code, 'STATE_FOLDER_UNSAFE');
    assert.match(err.message, pattern);
    assert.match(err.texts.de, /Appwacht verwendet ihn nicht/);
    return true;
  });
}

describe('ensureStateFolder()', { skip: posixOnly }, () => {
  it('creates a missing folder (and its parents) owner-only', async () => {
    const path = join(dir, 'a', 'state');
    await ensureStateFolder(path);
    assert.equal((await stat(path)).mode & 0o777, 0o700);
  });

  it('refuses an existing folder writable by others (0777), and one writable by the group', async () => {
    const path = join(dir, 'state');
    await mkdir(path);
    await chmod(path, 0o777);
    await refused(path, /writable by group or others \(mode 0777\)/);
    await chmod(path, 0o770);
    await refused(path, /mode 0770/);
  });

  it('refuses a folder that belongs to another user', async () => {
    const path = join(dir, 'state');
    await mkdir(path, { mode: 0o700 });
    // Checked as if this process ran as another uid: the folder is then someone else's.
    await refused(path, /belongs to another user \(uid \d+, expected \d+\)/, { uid: me() + 1 });
  });

  it(
    "refuses the review's case: a 0777 folder owned by nobody (65534), as root",
    { skip: me() !== 0 ? 'needs root to chown a folder to nobody' : false },
    async () => {
      const path = join(dir, 'state');
      await mkdir(path);
      await chown(path, 65534, 65534);
      await chmod(path, 0o777);
      await refused(path, /belongs to another user \(uid 65534/);
    },
  );

  it('refuses a symbolic link where the folder belongs', async () => {
    await mkdir(join(dir, 'elsewhere'), { mode: 0o700 });
    await symlink(join(dir, 'elsewhere'), join(dir, 'state'));
    await refused(join(dir, 'state'), /not a folder but a symbolic link/);
  });

  it('refuses a folder below a parent that others can write to (not sticky)', async () => {
    const parent = join(dir, 'shared');
    await mkdir(parent);
    await chmod(parent, 0o777);
    await refused(join(parent, 'state'), /above the state folder is writable by others \(mode 0777\)/);
    await chmod(parent, 0o1777); // sticky, like /tmp: others cannot rename our folder away
    await ensureStateFolder(join(parent, 'state'));
  });

  it('tightens a folder of ours that others can only read to 0700', async () => {
    const path = join(dir, 'state');
    await mkdir(path);
    await chmod(path, 0o755);
    await ensureStateFolder(path);
    assert.equal((await stat(path)).mode & 0o777, 0o700);
  });
});
