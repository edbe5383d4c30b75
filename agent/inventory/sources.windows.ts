import type { InventorySource } from './types.js';

/** The inventory sources read on windows, in the order they are reported. */
export const windowsSources: InventorySource[] = [];
