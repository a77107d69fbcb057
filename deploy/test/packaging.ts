/* eslint-disable @typescript-eslint/no-explicit-any -- CloudFormation templates read back from disk are untyped JSON */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { SERVICE_NAMES, type ServiceName } from '@rewind/shared';

/**
 * Runs `serverless package` for the whole compose project, offline, and reads what it produced.
 *
 * Offline: dummy AWS credentials, a region, auto-update checks off (osls 4 has no telemetry), and an
 * unreachable HTTPS proxy so that any AWS call would fail instead of silently reaching the network.
 * Compose needs the shared stack's outputs to fill the services' params; after a deploy it keeps them in
 * `.serverless/state.<stage>.json`, so the test seeds that file for its own stage with placeholders.
 */
export const ROOT = join(__dirname, '..', '..');
export const STAGE = 'pkgtest';
export const PREFIX = `rewind-${STAGE}`;
export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const SCHEDULES_FILE = join(ROOT, 'rewind.config.example.json');

export const STACK_DIRS: Record<'shared' | ServiceName, string> = {
  shared: join(ROOT, 'shared'),
  ...(Object.fromEntries(SERVICE_NAMES.map((s) => [s, join(ROOT, 'services', s)])) as Record<
    ServiceName,
    string
  >),
};

export const PLACEHOLDER_OUTPUTS = {
  EventBusName: PREFIX,
  EventBusArn: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${PREFIX}`,
  StateTableName: `${PREFIX}-state`,
  StateTableArn: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${PREFIX}-state`,
  AlarmTopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:${PREFIX}-alarms`,
};

/** Where osls and @osls/compose are: the repository once they are devDependencies, else a scratch install. */
export function toolchain(): { composeBin: string; binDir: string } {
  const candidates = [ROOT, process.env.REWIND_DEPLOY_DEPS, '/tmp/deploy-deps'].filter(Boolean) as string[];
  for (const base of candidates) {
    const compose = join(base, 'node_modules', '@osls', 'compose', 'bin', 'serverless-compose');
    const osls = join(base, 'node_modules', '.bin', 'serverless');
    if (existsSync(compose) && existsSync(osls)) return { composeBin: compose, binDir: dirname(osls) };
  }
  throw new Error(
    'osls and @osls/compose are not installed: add them as devDependencies (see deploy/NEEDS.md), or ' +
      'install them in a scratch folder and set REWIND_DEPLOY_DEPS to it',
  );
}

export type Template = {
  Resources: Record<string, { Type: string; Properties?: any; Condition?: string }>;
} & Record<string, any>;

export interface Packaged {
  templates: Record<'shared' | ServiceName, Template>;
  bundles: { stack: string; file: string; bytes: number }[];
  seconds: number;
}

export async function packageAll(): Promise<Packaged> {
  const missing = SERVICE_NAMES.filter((s) => !existsSync(join(STACK_DIRS[s], 'src', 'handler.ts')));
  if (missing.length) {
    throw new Error(
      `No handler yet for ${missing.join(', ')} (services/<name>/src/handler.ts): nothing to bundle`,
    );
  }
  const { composeBin, binDir } = toolchain();
  const statePath = join(ROOT, '.serverless', `state.${STAGE}.json`);
  mkdirSync(dirname(statePath), { recursive: true });
  writeFileSync(
    statePath,
    JSON.stringify({ service: { id: STAGE }, components: { shared: { outputs: PLACEHOLDER_OUTPUTS } } }),
  );
  for (const dir of Object.values(STACK_DIRS))
    rmSync(join(dir, '.serverless'), { recursive: true, force: true });
  const started = Date.now();
  try {
    await promisify(execFile)(process.execPath, [composeBin, 'package', '--stage', STAGE], {
      cwd: ROOT,
      maxBuffer: 64 * 1024 * 1024,
      env: {
        PATH: `${binDir}:${process.env.PATH ?? ''}`,
        HOME: process.env.HOME ?? '/tmp',
        AWS_ACCESS_KEY_ID: 'AKIDPACKAGINGTEST',
        AWS_SECRET_ACCESS_KEY: 'packaging-test-secret',
        AWS_REGION: REGION,
        AWS_DEFAULT_REGION: REGION,
        AWS_EC2_METADATA_DISABLED: 'true',
        HTTPS_PROXY: 'http://127.0.0.1:9',
        HTTP_PROXY: 'http://127.0.0.1:9',
        SLS_DISABLE_AUTO_UPDATE: '1',
        SLS_TELEMETRY_DISABLED: '1',
        CI: '1',
        REWIND_CONFIG_FILE: SCHEDULES_FILE,
        // The example's replication policy has this account as its source.
        REWIND_ACCOUNT_ID: ACCOUNT,
      },
    });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`serverless package failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`, {
      cause: err,
    });
  } finally {
    rmSync(statePath, { force: true });
  }
  const seconds = (Date.now() - started) / 1000;
  const templates = {} as Packaged['templates'];
  const bundles: Packaged['bundles'] = [];
  for (const [stack, dir] of Object.entries(STACK_DIRS) as ['shared' | ServiceName, string][]) {
    const out = join(dir, '.serverless');
    templates[stack] = JSON.parse(
      readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8'),
    );
    for (const file of readdirSync(out).filter((f) => f.endsWith('.zip'))) {
      bundles.push({ stack, file, bytes: statSync(join(out, file)).size });
    }
  }
  return { templates, bundles, seconds };
}

export function resourcesOfType(template: Template, type: string): [string, any][] {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type) as [string, any][];
}
