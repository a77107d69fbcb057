import { RDSClient } from '@aws-sdk/client-rds';
import {
  addressScope,
  ConfigError,
  formatAddress,
  loadConfig,
  rdsFor,
  resourceAddressSchema,
  serviceEnvironment,
  StateStore,
  type ServiceContext,
} from '../src';
import { startDynalite } from '../src/testing/dynalite';
import { testContext } from '../src/testing/context';

const HOME = { account: '000000000000', region: 'us-east-1' };
const at = (account: string, region: string) => ({
  account,
  region,
  kind: 'instance' as const,
  id: 'orders-db',
});

describe('resource addresses', () => {
  test('the schema names what is wrong', () => {
    const bad = resourceAddressSchema.safeParse({ account: '12', region: 'mars', kind: 'instance', id: 'x' });
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error?.issues)).toMatch(/12-digit AWS account id.*look like us-east-1/);
  });

  test('keys stay as they were at home and gain account and region elsewhere', () => {
    expect(addressScope(at(HOME.account, HOME.region), HOME)).toBe('');
    expect(addressScope(at('111111111111', 'us-east-1'), HOME)).toBe('111111111111:us-east-1#');
    expect(addressScope(at(HOME.account, 'eu-west-1'), HOME)).toBe('000000000000:eu-west-1#');
    // A deployment that does not say where it runs treats everything as home.
    expect(addressScope(at('111111111111', 'eu-west-1'), undefined)).toBe('');
    expect(formatAddress(at('111111111111', 'eu-west-1'), HOME)).toBe(
      'instance orders-db in 111111111111/eu-west-1',
    );
    expect(formatAddress(at(HOME.account, HOME.region), HOME)).toBe('instance orders-db');
  });

  test('locks of the same name in two regions are two locks', async () => {
    const db = await startDynalite();
    try {
      const store = new StateStore(db.client, db.tableName);
      const elsewhere = addressScope(at(HOME.account, 'eu-west-1'), HOME);
      await store.acquireLock('instance', 'orders-db', 'run-home');
      await store.acquireLock('instance', 'orders-db', 'run-eu', new Date(), elsewhere);
      expect((await store.getLock('instance', 'orders-db'))?.runId).toBe('run-home');
      expect((await store.getLock('instance', 'orders-db', elsewhere))?.runId).toBe('run-eu');
      expect(await store.releaseLock('instance', 'orders-db', 'run-home', elsewhere)).toBe(false);
    } finally {
      await db.stop();
    }
  });
});

describe('RDS clients per account and region', () => {
  let ctx: ServiceContext;
  let db: Awaited<ReturnType<typeof startDynalite>>;
  beforeAll(async () => {
    db = await startDynalite();
    ctx = testContext('restore', new StateStore(db.client, db.tableName));
    ctx.config.accountRoles['222222222222'] = 'arn:aws:iam::222222222222:role/rewind-replica';
  });
  afterAll(async () => db.stop());

  test('home uses the service client; another region of the account gets its own client, once', async () => {
    expect(rdsFor(ctx, at(HOME.account, HOME.region))).toBe(ctx.rds);
    const eu = rdsFor(ctx, at(HOME.account, 'eu-west-1'));
    expect(eu).not.toBe(ctx.rds);
    expect(eu).toBeInstanceOf(RDSClient);
    expect(await eu.config.region()).toBe('eu-west-1');
    expect(rdsFor(ctx, at(HOME.account, 'eu-west-1'))).toBe(eu);
  });

  test('another account: a client with the configured role, or an error that says what to configure', async () => {
    const other = rdsFor(ctx, at('222222222222', 'us-west-2'));
    expect(await other.config.region()).toBe('us-west-2');
    expect(other).not.toBe(rdsFor(ctx, at(HOME.account, 'us-west-2')));
    expect(() => rdsFor(ctx, at('333333333333', 'us-east-1'))).toThrow(
      /instance orders-db in 333333333333\/us-east-1 is in account 333333333333, and no role is configured to reach it: set REWIND_ACCOUNT_ROLES=333333333333=arn:aws:iam::333333333333:role\//,
    );
  });

  test('the environment carries the home and the roles; a malformed role entry is refused with an example', () => {
    const env = serviceEnvironment({
      busName: 'b',
      tableName: 't',
      inboxUrls: {},
      accountId: '000000000000',
      accountRoles: { '222222222222': 'arn:aws:iam::222222222222:role/r' },
    });
    const config = loadConfig({ ...env, AWS_REGION: 'eu-west-1' });
    expect(config.home).toEqual({ account: '000000000000', region: 'eu-west-1' });
    expect(config.accountRoles).toEqual({ '222222222222': 'arn:aws:iam::222222222222:role/r' });
    expect(() => loadConfig({ ...env, REWIND_ACCOUNT_ROLES: '2222=role' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...env, REWIND_ACCOUNT_ROLES: '2222=role' })).toThrow(
      /"2222=role" is not <12-digit account>=<role ARN>/,
    );
  });
});
