#!/usr/bin/env node
// Entry point: parse the environment once, then run the command asked for.
import { runCli } from './cli/program.js';
import { loadConfig } from './config/config.js';

const loaded = loadConfig(process.env);
if (!loaded.ok) {
  console.error(`sis-sync: cannot start.\n${loaded.error.message}`);
  process.exit(78); // EX_CONFIG
}
process.exitCode = await runCli(process.argv, loaded.value);
