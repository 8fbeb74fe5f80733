#!/usr/bin/env node
// The published entry point: runs the compiled CLI (`npm run build` writes dist/).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = fileURLToPath(new URL('../dist/main.js', import.meta.url));
if (!existsSync(entry)) {
  console.error('sis-sync: dist/ is missing; run `npm run build` first (npm start does it for you).');
  process.exit(1);
}
await import(entry);
