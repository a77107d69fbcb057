/**
 * Child-process entry of an install's function runtime (`installProcess.ts`): Rewind's functions of one
 * account, in their own Node process as Lambda gives each function its own environment (the services keep
 * their clients and configuration in module state, read once from the environment: two accounts' functions
 * cannot share a process). Options as JSON in `REWIND_INSTALL_OPTIONS`; reports readiness, invocations and
 * function statuses over IPC; stops on a `stop` message and dies with its parent.
 */
import { exitWithParent } from '../childProcess';
import { startFunctionRuntime, type FunctionRuntime } from './functionRuntime';
import { InvocationLog, type InvocationRecord } from './invocationLog';
import { INSTALL_OPTIONS_ENV, type InstallChildMessage, type InstallRuntimeOptions } from './installProcess';

const send = (m: InstallChildMessage) => process.send?.(m);
let runtime: FunctionRuntime | undefined;

/** Keeps nothing: each invocation goes to the parent's log (the local cloud's runtime admin API). */
class ForwardingLog extends InvocationLog {
  constructor(private readonly accountId: string) {
    super(1);
  }
  override add(entry: InvocationRecord): void {
    send({ type: 'invocation', record: { ...entry, accountId: this.accountId } });
  }
}

function main(): void {
  const shutdown = exitWithParent(async () => runtime?.stop());
  try {
    const o = JSON.parse(process.env[INSTALL_OPTIONS_ENV] ?? '{}') as InstallRuntimeOptions;
    runtime = startFunctionRuntime({
      ...o,
      invocationLog: new ForwardingLog(o.accountId),
      log: (line) => process.stdout.write(`${line}\n`),
    });
    send({ type: 'ready', functions: runtime.status() });
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    send({ type: 'error', message: err instanceof Error ? err.message : String(err) });
    void shutdown(1);
  }
}

main();
