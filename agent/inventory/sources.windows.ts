import { appxSource } from './sources/appx.js';
import { registrySource } from './sources/registry.js';
import type { InventorySource } from './types.js';

/** The inventory sources read on windows, in the order they are reported. */
export const windowsSources: InventorySource[] = [registrySource, appxSource];
