#!/usr/bin/env node
// Runs the TypeScript CLI (cli/src/main.ts) through tsx, forwarding arguments, exit code and signals.
'use strict';
const { spawn } = require('node:child_process');
const { resolve } = require('node:path');
const { pathToFileURL } = require('node:url');

const tsx = pathToFileURL(require.resolve('tsx', { paths: [__dirname] })).href;
const main = resolve(__dirname, '../src/main.ts');
const child = spawn(process.execPath, ['--import', tsx, main, ...process.argv.slice(2)], {
  stdio: 'inherit',
});

// Forward stop signals (the child ignores a repeated one, e.g. a terminal Ctrl-C reaching both processes).
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
