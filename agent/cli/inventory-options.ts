import { isOsName } from '../../protocol/os.js';
import { UsageError } from '../errors.js';
import type { InventoryOptions } from '../scan.js';
import { stringOption, type OptionValues } from './command.js';

/** --root/--os/--from, shared by `scan` and `inventory`. */
export const inventoryOptionSpec = {
  root: { type: 'string' },
  os: { type: 'string' },
  from: { type: 'string' },
} as const;

export const inventoryOptionHelp = {
  de: `  --root DIR      einen Ordnerbaum prüfen (eingehängte Platte, Testbaum) statt dieses Systems
  --os macos|linux   Betriebssystem des Baums unter --root (Standard: dieses)
  --from RAW.json    eine gespeicherte Rohinventur auswerten (z. B. von einem Windows-Gerät, siehe "inventory --raw")`,
  en: `  --root DIR      inventory a folder tree (mounted disk, fixture) instead of this system
  --os macos|linux   operating system of the tree below --root (default: this one)
  --from RAW.json    evaluate a saved raw inventory (e.g. from a Windows laptop, see "inventory --raw")`,
};

export function readInventoryOptions(values: OptionValues): InventoryOptions {
  const root = stringOption(values, 'root');
  const from = stringOption(values, 'from');
  const osText = stringOption(values, 'os');
  if (root !== undefined && from !== undefined) throw new UsageError('--root and --from cannot be combined');
  if (osText !== undefined && root === undefined) throw new UsageError('--os only applies together with --root');
  if (osText !== undefined && !isOsName(osText)) throw new UsageError(`--os must be macos or linux, not "${osText}"`);
  if (osText === 'windows')
    throw new UsageError(
      'Windows is read from the registry, not a folder tree: capture it with "appwacht inventory --raw" on the laptop and use --from',
    );
  return { root, from, os: osText };
}
