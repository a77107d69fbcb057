import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { HandlerLoadError } from '../errors';

export type LambdaHandler = (event: unknown, context: unknown) => unknown;

/** The repository root (this file is local/src/runtime/handlerLoader.ts). */
export const REPO_ROOT = resolve(__dirname, '../../..');

/** Loads `path/from/repo/root.exportName` with `require` (TypeScript works when running under tsx). */
export function loadHandler(functionName: string, handler: string, repoRoot = REPO_ROOT): LambdaHandler {
  const dot = handler.lastIndexOf('.');
  if (dot <= 0 || dot === handler.length - 1)
    throw new HandlerLoadError(functionName, handler, 'no ".exportName" suffix');
  const modulePath = resolve(repoRoot, handler.slice(0, dot));
  const exportName = handler.slice(dot + 1);
  let mod: Record<string, unknown>;
  try {
    mod = createRequire(resolve(repoRoot, 'package.json'))(modulePath) as Record<string, unknown>;
  } catch (err) {
    throw new HandlerLoadError(functionName, handler, err);
  }
  const fn = mod[exportName];
  if (typeof fn !== 'function') {
    throw new HandlerLoadError(
      functionName,
      handler,
      `module ${modulePath} exports no function "${exportName}"`,
    );
  }
  return fn as LambdaHandler;
}
