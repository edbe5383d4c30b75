import { stat } from 'node:fs/promises';
import { UsageError } from '../errors.js';

/**
 * `--root` must name an existing folder. A typo must not turn into an empty inventory (that once read "compliant").
 * Only node:fs, so `appwacht run` can check its flags before it loads anything heavy.
 */
export async function assertRootFolder(root: string): Promise<void> {
  let isFolder: boolean;
  try {
    isFolder = (await stat(root)).isDirectory();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === 'ENOENT' ? `--root ${root} does not exist` : `--root ${root} cannot be read (${code ?? 'error'})`,
      { cause: err },
    );
  }
  if (!isFolder) throw new UsageError(`--root ${root} is not a folder`);
}
