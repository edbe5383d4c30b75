import { bundleSource } from './sources/bundles.js';
import type { InventorySource } from './types.js';

/** The inventory sources read on macos, in the order they are reported. */
export const macosSources: InventorySource[] = [bundleSource];
