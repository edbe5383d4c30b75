import type { InventorySource } from './types.js';

/** The inventory sources read on linux, in the order they are reported. */
export const linuxSources: InventorySource[] = [];
