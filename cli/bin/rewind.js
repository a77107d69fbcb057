#!/usr/bin/env node
// Runs the TypeScript CLI (cli/src/main.ts) through tsx, forwarding arguments, exit code and signals.
'use strict';
const { spawn } = require('node:child_process');
const { readFileSync } = require('node:fs');
const { resolve } = require('node:path');
const { pathToFileURL } = require('node:url');
const { setInterval, clearInterval } = require('node:timers');

const tsx = pathToFileURL(require.resolve('tsx', { paths: [__dirname] })).href;
const main = resolve(__dirname, '../src/main.ts');
const child = spawn(process.execPath, ['--import', tsx, main, ...process.argv.slice(2)], {
  stdio: 'inherit',
});

// Forward stop signals (the child ignores a repeated one, e.g. a terminal Ctrl-C reaching both processes).
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

// Die with whoever started us. `npx` and `npm run` start us through `sh -c`; when npm is killed without
// passing the signal on, that shell keeps waiting on us and we, with the CLI's child (e.g. a local cloud
// holding its port), would be left orphaned. So watch npm itself in that case, else the parent. The
// CLI's child watches this process the same way, in case this one is killed with SIGKILL.
function launcher() {
  const parent = process.ppid;
  if (!process.env.npm_command) return parent;
  try {
    // /proc/<pid>/stat: "<pid> (<comm>) <state> <ppid> ..." (Linux; elsewhere the parent is watched)
    const m = /^\d+ \((.*)\) \S+ (\d+)/s.exec(readFileSync(`/proc/${parent}/stat`, 'utf8'));
    if (m && ['sh', 'dash', 'bash'].includes(m[1])) return Number(m[2]);
  } catch {
    // no /proc: watch the parent
  }
  return parent;
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

const parent = process.ppid;
const watched = launcher();
const watch = setInterval(() => {
  if (process.ppid === parent && alive(watched)) return;
  clearInterval(watch);
  child.kill('SIGTERM');
}, 500);
watch.unref();
