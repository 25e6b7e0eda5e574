#!/usr/bin/env node
/**
 * The `lambda-shared-token` command (package.json `bin`): `status` and `doctor`
 * (docs/operations.md). Everything is in run-cli.ts; this file only hands it the process.
 */
import { processIo } from './cli-io.js';
import { runCli } from './run-cli.js';

// exitCode, not exit(): what was written to a pipe is flushed before the process ends.
process.exitCode = await runCli(process.argv.slice(2), processIo);
