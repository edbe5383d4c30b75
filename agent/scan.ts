import { readFile } from 'node:fs/promises';
import type { OsName, Policy } from '../protocol/index.js';
import { AppwachtError } from './errors.js';
import {
  collectRawInventory,
  parseRawInventory,
  validateRawInventory,
  type Inventory,
  type RawInventory,
} from './inventory/index.js';
import { evaluate, type Evaluation } from './policy/evaluate.js';

export interface InventoryOptions {
  /** Replay a saved raw inventory instead of collecting (e.g. a capture from a Windows laptop). */
  from?: string;
  /** Inventory a folder tree (mounted disk, fixture) instead of the live system. */
  root?: string;
  os?: OsName;
}

export interface ScanResult {
  raw: RawInventory;
  inventory: Inventory;
  evaluation: Evaluation;
  policy: Policy;
  scannedAt: Date;
}

export async function loadRawInventory(path: string): Promise<RawInventory> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new AppwachtError('RAW_UNREADABLE', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new AppwachtError('RAW_MALFORMED', `${path} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  return validateRawInventory(json);
}

export async function getRawInventory(options: InventoryOptions): Promise<RawInventory> {
  if (options.from) return loadRawInventory(options.from);
  return collectRawInventory({ os: options.os, root: options.root });
}

/** Collect (or replay) → parse → evaluate. The one pipeline behind `appwacht scan` and the background loop. */
export async function scan(options: InventoryOptions & { policy: Policy; now?: Date }): Promise<ScanResult> {
  const raw = await getRawInventory(options);
  const inventory = parseRawInventory(raw);
  const scannedAt = options.now ?? new Date();
  return { raw, inventory, evaluation: evaluate(inventory, options.policy, scannedAt), policy: options.policy, scannedAt };
}
