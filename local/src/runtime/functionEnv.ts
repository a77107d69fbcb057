/**
 * Lambda gives each function its own process environment, with its execution role's temporary
 * credentials in `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`. The local runtime
 * runs every function in one process, so it scopes those variables to the invocation instead: inside
 * `runWithFunctionEnv(env, fn)` (and everything it awaits), `process.env` reads the function's values;
 * outside, the process's own. The SDK's credential chain reads the environment when a client first signs,
 * which happens inside its service's first invocation: each service's clients sign as its role.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const scope = new AsyncLocalStorage<Readonly<Record<string, string>>>();
let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  const base = process.env;
  process.env = new Proxy(base, {
    get(target, key) {
      const env = scope.getStore();
      if (env && typeof key === 'string' && Object.hasOwn(env, key)) return env[key];
      return Reflect.get(target, key);
    },
    has(target, key) {
      const env = scope.getStore();
      return (
        (env !== undefined && typeof key === 'string' && Object.hasOwn(env, key)) || Reflect.has(target, key)
      );
    },
    // A write is the process's own, an assignment to the real environment (through the proxy, replacing a
    // variable would reach it as a property definition without its attributes, which process.env refuses).
    set(target, key, value) {
      return Reflect.set(target, key, value, target);
    },
  });
}

/** Runs `fn` with `env` overlaid on `process.env` for it and everything it starts. */
export function runWithFunctionEnv<T>(env: Readonly<Record<string, string>> | undefined, fn: () => T): T {
  if (!env || Object.keys(env).length === 0) return fn();
  install();
  return scope.run(env, fn);
}
