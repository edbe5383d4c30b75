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
  /**
   * Also list this machine's running processes. Default: only for the live system (a folder tree and a capture
   * have none of their own); `appwacht run --root … --processes live` pairs a tree with this machine's in tests.
   */
  liveProcesses?: boolean;
}

/** What the background agent scans, every turn: fixed by `appwacht run`'s flags (--root, --os, --processes). */
export interface ScanTarget {
  os: OsName;
  root?: string;
  liveProcesses: boolean;
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
  return collectRawInventory({
    ...(options.os !== undefined && { os: options.os }),
    ...(options.root !== undefined && { root: options.root }),
    ...(options.liveProcesses !== undefined && { processes: options.liveProcesses }),
  });
}

/**
 * Collect (or replay) → parse → evaluate. The one pipeline behind `appwacht scan` and the background agent's turns
 * (which pass their ScanTarget). The evaluation is unknown when an essential source failed (policy/coverage.ts).
 */
export async function scan(options: InventoryOptions & { policy: Policy; now?: Date }): Promise<ScanResult> {
  const raw = await getRawInventory(options);
  const inventory = await parseRawInventory(raw);
  const scannedAt = options.now ?? new Date();
  return { raw, inventory, evaluation: evaluate(inventory, options.policy, scannedAt), policy: options.policy, scannedAt };
}
