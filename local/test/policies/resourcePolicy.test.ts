import { parsePolicy, policyAllows, principalAccount } from '../../src/policies/resourcePolicy';

const A = '111111111111';
const B = '222222222222';

const policy = (statements: object[]) =>
  parsePolicy(JSON.stringify({ Version: '2012-10-17', Statement: statements }));

describe('policyAllows', () => {
  it('allows a listed account (id, root ARN, or any IAM ARN of it) and no other', () => {
    for (const principal of [A, `arn:aws:iam::${A}:root`, `arn:aws:iam::${A}:role/x`]) {
      const p = policy([{ Effect: 'Allow', Principal: { AWS: principal }, Action: 'events:PutEvents' }]);
      expect(policyAllows(p, { account: A, action: 'events:PutEvents' })).toBe(true);
      expect(policyAllows(p, { account: B, action: 'events:PutEvents' })).toBe(false);
    }
  });

  it('matches actions with wildcards, case-insensitively; Deny wins', () => {
    const p = policy([
      { Effect: 'Allow', Principal: '*', Action: ['kms:ReEncrypt*', 'kms:Describe*'] },
      { Effect: 'Deny', Principal: { AWS: B }, Action: 'kms:DescribeKey' },
    ]);
    expect(policyAllows(p, { account: A, action: 'kms:ReEncryptFrom' })).toBe(true);
    expect(policyAllows(p, { account: A, action: 'KMS:describekey' })).toBe(true);
    expect(policyAllows(p, { account: A, action: 'kms:Decrypt' })).toBe(false);
    expect(policyAllows(p, { account: B, action: 'kms:DescribeKey' })).toBe(false);
  });

  it('evaluates conditions against the context; a missing key fails unless IfExists', () => {
    const p = policy([
      {
        Effect: 'Allow',
        Principal: '*',
        Action: 'kms:CreateGrant',
        Condition: {
          StringEquals: { 'kms:CallerAccount': A },
          BoolIfExists: { 'kms:GrantIsForAWSResource': true },
        },
      },
    ]);
    expect(
      policyAllows(p, { account: A, action: 'kms:CreateGrant', context: { 'kms:CallerAccount': A } }),
    ).toBe(true);
    expect(
      policyAllows(p, {
        account: A,
        action: 'kms:CreateGrant',
        context: { 'kms:CallerAccount': A, 'kms:GrantIsForAWSResource': false },
      }),
    ).toBe(false);
    expect(
      policyAllows(p, { account: B, action: 'kms:CreateGrant', context: { 'kms:CallerAccount': B } }),
    ).toBe(false);
    expect(policyAllows(p, { account: A, action: 'kms:CreateGrant' })).toBe(false);
    const like = policy([
      {
        Effect: 'Allow',
        Principal: '*',
        Action: '*',
        Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:events:*:111111111111:rule/*' } },
      },
    ]);
    expect(
      policyAllows(like, {
        account: B,
        action: 'x',
        context: { 'aws:SourceArn': `arn:aws:events:us-west-2:${A}:rule/r` },
      }),
    ).toBe(true);
    expect(
      policyAllows(like, {
        account: B,
        action: 'x',
        context: { 'aws:SourceArn': `arn:aws:events:us-west-2:${B}:rule/r` },
      }),
    ).toBe(false);
  });

  it('no policy allows nothing', () => {
    expect(policyAllows(undefined, { account: A, action: 'events:PutEvents' })).toBe(false);
  });
});

describe('parsePolicy', () => {
  it('says what is wrong with a policy', () => {
    expect(() => parsePolicy('{')).toThrow('not valid JSON');
    expect(() => parsePolicy('{"Statement":[]}')).toThrow('no Statement');
    expect(() => parsePolicy('{"Statement":{"Effect":"Maybe","Principal":"*","Action":"*"}}')).toThrow(
      '"Effect"',
    );
    expect(() => parsePolicy('{"Statement":{"Effect":"Allow","Action":"*"}}')).toThrow('Principal');
  });

  it('accepts a single statement object', () => {
    expect(
      parsePolicy('{"Statement":{"Effect":"Allow","Principal":"*","Action":"*"}}').Statement,
    ).toHaveLength(1);
  });
});

it('principalAccount reads the account of a principal', () => {
  expect(principalAccount('*')).toBe('*');
  expect(principalAccount(A)).toBe(A);
  expect(principalAccount(`arn:aws:iam::${B}:user/u`)).toBe(B);
  expect(principalAccount('rds.amazonaws.com')).toBeUndefined();
});
