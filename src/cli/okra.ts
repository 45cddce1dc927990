#!/usr/bin/env node
// Entry point of the `okra` binary.
import { quietAwsSdkNodeWarning, runCli } from './common.js';
import { okraProgram } from './okra/program.js';

quietAwsSdkNodeWarning();
process.exitCode = await runCli(okraProgram(), process.argv);
