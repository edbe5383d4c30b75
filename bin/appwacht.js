#!/usr/bin/env node
// Runs the bundled CLI, dist/cli/ (npm install builds it through the "prepare" script: scripts/bundle-cli.mjs).
import { cli } from '../dist/cli/appwacht.js';

await cli();
