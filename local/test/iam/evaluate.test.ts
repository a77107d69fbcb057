import {
  evaluate,
  UnsupportedPolicyError,
  type ContextValues,
  type PolicyDocument,
} from '../../src/iam/evaluate';

const DB = 'arn:aws:rds:us-east-1:000000000000:db:orders-db';
const policy = (...Statement: PolicyDocument['Statement'][]): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: Statement.flat(),
});
const optedIn = policy({
  Effect: 'Allow',
  Action: ['rds:ModifyDBInstance'],
  Resource: 'arn:aws:rds:us-east-1:000000000000:db:*',
  Condition: { StringEquals: { 'aws:ResourceTag/rewind:allow': 'true' } },
});

describe('local IAM evaluation', () => {
  test('allows only what a statement allows: action, resource and condition', () => {
    const request = (context: Record<string, string>) => ({
      action: 'rds:ModifyDBInstance',
      resource: DB,
      context,
    });
    expect(evaluate([optedIn], request({ 'aws:ResourceTag/rewind:allow': 'true' })).allowed).toBe(true);
    expect(evaluate([optedIn], request({}))).toEqual({ allowed: false, reason: 'implicit-deny' });
    // StringEquals compares values case-sensitively; condition keys are case-insensitive.
    expect(evaluate([optedIn], request({ 'aws:ResourceTag/rewind:allow': 'True' })).allowed).toBe(false);
    expect(evaluate([optedIn], request({ 'AWS:RESOURCETAG/rewind:allow': 'true' })).allowed).toBe(true);
    expect(
      evaluate([optedIn], {
        action: 'rds:DeleteDBInstance',
        resource: DB,
        context: { 'aws:ResourceTag/rewind:allow': 'true' },
      }).allowed,
    ).toBe(false);
    // Actions match case-insensitively.
    expect(
      evaluate([optedIn], {
        action: 'RDS:modifydbinstance',
        resource: DB,
        context: { 'aws:ResourceTag/rewind:allow': 'true' },
      }).allowed,
    ).toBe(true);
  });

  test('an explicit deny wins over any allow', () => {
    const deny = policy({ Sid: 'NoProd', Effect: 'Deny', Action: 'rds:*', Resource: '*' });
    expect(
      evaluate([optedIn, deny], {
        action: 'rds:ModifyDBInstance',
        resource: DB,
        context: { 'aws:ResourceTag/rewind:allow': 'true' },
      }),
    ).toEqual({ allowed: false, reason: 'explicit-deny', statement: 'NoProd' });
  });

  test('ARN patterns match segment by segment: a wildcard does not cross into another region', () => {
    const p = policy({ Effect: 'Allow', Action: 'sns:Publish', Resource: 'arn:aws:sns:us-east-1:*:topic' });
    const at = (resource: string) => evaluate([p], { action: 'sns:Publish', resource, context: {} }).allowed;
    expect(at('arn:aws:sns:us-east-1:000000000000:topic')).toBe(true);
    expect(at('arn:aws:sns:eu-west-1:000000000000:topic')).toBe(false);
  });

  test('multivalued events:source: ForAllValues alone matches a request without sources; the Null check closes it', () => {
    const forAll = { 'ForAllValues:StringEquals': { 'events:source': ['rewind'] } };
    const lenient = policy({ Effect: 'Allow', Action: 'events:PutEvents', Resource: '*', Condition: forAll });
    const strict = policy({
      Effect: 'Allow',
      Action: 'events:PutEvents',
      Resource: '*',
      Condition: { ...forAll, Null: { 'events:source': 'false' } },
    });
    const put = (sources?: string[]) => ({
      action: 'events:PutEvents',
      resource: 'arn:aws:events:us-east-1:000000000000:event-bus/b',
      context: (sources ? { 'events:source': sources } : {}) as ContextValues,
    });
    expect(evaluate([lenient], put()).allowed).toBe(true);
    expect(evaluate([strict], put()).allowed).toBe(false);
    expect(evaluate([strict], put(['rewind'])).allowed).toBe(true);
    expect(evaluate([strict], put(['rewind', 'someone.else'])).allowed).toBe(false);
    // A plain operator on several values does not match: multivalued keys need a set operator.
    const plain = policy({
      Effect: 'Allow',
      Action: 'events:PutEvents',
      Resource: '*',
      Condition: { StringEquals: { 'events:source': 'rewind' } },
    });
    expect(evaluate([plain], put(['rewind'])).allowed).toBe(true);
    expect(evaluate([plain], put(['rewind', 'rewind.other'])).allowed).toBe(false);
  });

  test('negated operators and IfExists pass when the key is missing; ForAnyValue fails', () => {
    const with_ = (Condition: Record<string, Record<string, string>>) =>
      evaluate([policy({ Effect: 'Allow', Action: 'x:Y', Resource: '*', Condition })], {
        action: 'x:Y',
        resource: 'r',
        context: {},
      }).allowed;
    expect(with_({ StringNotEquals: { 'k:v': 'a' } })).toBe(true);
    expect(with_({ StringEqualsIfExists: { 'k:v': 'a' } })).toBe(true);
    expect(with_({ 'ForAnyValue:StringEquals': { 'k:v': 'a' } })).toBe(false);
    expect(with_({ StringEquals: { 'k:v': 'a' } })).toBe(false);
  });

  test('a resource policy applies to the principal it names', () => {
    const topic = policy({
      Effect: 'Allow',
      Principal: { Service: 'events.rds.amazonaws.com' },
      Action: 'sns:Publish',
      Resource: 'arn:aws:sns:us-east-1:000000000000:t',
      Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:rds:us-east-1:000000000000:db:*' } },
    });
    const publish = (sourceArn: string) => ({
      action: 'sns:Publish',
      resource: 'arn:aws:sns:us-east-1:000000000000:t',
      context: { 'aws:SourceArn': sourceArn },
    });
    expect(evaluate([topic], publish(DB), { service: 'events.rds.amazonaws.com' }).allowed).toBe(true);
    expect(evaluate([topic], publish(DB), { service: 'sns.amazonaws.com' }).allowed).toBe(false);
    expect(
      evaluate([topic], publish('arn:aws:rds:us-east-1:000000000000:es:sub'), {
        service: 'events.rds.amazonaws.com',
      }).allowed,
    ).toBe(false);
  });

  test('an operator it does not implement is an error, not a guess', () => {
    const p = policy({
      Effect: 'Allow',
      Action: 'x:Y',
      Resource: '*',
      Condition: { DateGreaterThan: { 'aws:CurrentTime': 'x' } },
    });
    expect(() => evaluate([p], { action: 'x:Y', resource: 'r', context: {} })).toThrow(
      UnsupportedPolicyError,
    );
  });
});
