import type { Command } from '../command.js';
import { configCommand } from './config.js';
import { enrollCommand } from './enroll.js';
import { inventoryCommand } from './inventory.js';
import { scanCommand } from './scan.js';

/** Every `appwacht <command>`, in the order `--help` lists them. */
export const commands: Command[] = [scanCommand, inventoryCommand, enrollCommand, configCommand];
