import type { Command } from '../command.js';
import { configCommand } from './config.js';
import { enrollCommand } from './enroll.js';
import { inventoryCommand } from './inventory.js';
import { runCommand } from './run.js';
import { scanCommand } from './scan.js';
import { statusCommand } from './status.js';

/** Every `appwacht <command>`, in the order `--help` lists them. */
export const commands: Command[] = [scanCommand, statusCommand, runCommand, inventoryCommand, enrollCommand, configCommand];
