#!/usr/bin/env node
// Runs the bundled CLI, dist/cli/ (npm install builds it through the "prepare" script: scripts/bundle-cli.mjs).
// V8's compile cache is switched on first (Node ≥ 22), so that the bundle's chunks are compiled once, not at every start.
import { enableCompileCache } from '../dist/cli/compile-cache.js';

enableCompileCache();
const { cli } = await import('../dist/cli/appwacht.js');
await cli();
