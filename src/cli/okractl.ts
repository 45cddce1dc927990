#!/usr/bin/env node
// Entry point of the `okractl` binary (also installed as the kubectl plugin `kubectl-okra`).
import { runCli } from './common.js';
import { okractlProgram } from './okractl/program.js';

process.exitCode = await runCli(okractlProgram(), process.argv);
