import { matchesPattern, validatePattern } from '../../src/eventbridge';

const event = {
  version: '0',
  id: '7bf73129-1428-4cd3-a780-95db273d1602',
  'detail-type': 'RDS DB Instance Event',
  source: 'aws.rds',
  account: '000000000000',
  time: '2024-05-01T10:00:00Z',
  region: 'us-east-1',
  resources: ['arn:aws:rds:us-east-1:000000000000:db:orders'],
  detail: {
    EventID: 'RDS-EVENT-0005',
    Message: 'DB instance created',
    count: 5,
    price: 10.5,
    zero: 0,
    negative: -3,
    enabled: true,
    disabled: false,
    nothing: null,
    empty: '',
    FileName: 'photo.PNG',
    path: '/usr/lib/node',
    state: 'running',
    ip: '10.0.1.20',
    ip6: '2001:db8::1',
    EventCategories: ['creation', 'backup'],
    numbers: [1, 20, 300],
    emptyList: [],
    nested: { a: { b: 'deep' } },
    items: [
      { kind: 'x', size: 1 },
      { kind: 'y', size: 2 },
    ],
    run: { next: ['snapshot'] },
  },
};

const d = (pattern: Record<string, unknown>) => ({ detail: pattern });

const cases: [string, Record<string, unknown>, boolean][] = [
  // exact values
  ['exact string', { source: ['aws.rds'] }, true],
  ['exact string, other value', { source: ['aws.ec2'] }, false],
  ['exact string is case sensitive', { source: ['AWS.RDS'] }, false],
  ['one of several values', { source: ['aws.ec2', 'aws.rds'] }, true],
  ['exact number', d({ count: [5] }), true],
  ['exact number, other value', d({ count: [6] }), false],
  ['number 5.0 equals 5', d({ count: [5.0] }), true],
  ['string "5" does not match number 5', d({ count: ['5'] }), false],
  ['exact true', d({ enabled: [true] }), true],
  ['exact false against true', d({ enabled: [false] }), false],
  ['exact false', d({ disabled: [false] }), true],
  ['[null] matches null', d({ nothing: [null] }), true],
  ['[null] does not match an absent field', d({ missing: [null] }), false],
  ['[null] does not match a string', d({ state: [null] }), false],
  ['[""] matches empty string', d({ empty: [''] }), true],
  ['[""] does not match a non-empty string', d({ state: [''] }), false],
  ['[""] does not match an absent field', d({ missing: [''] }), false],
  ['all keys must match (AND)', { source: ['aws.rds'], 'detail-type': ['RDS DB Snapshot Event'] }, false],
  // prefix / suffix
  ['prefix', d({ EventID: [{ prefix: 'RDS-EVENT-' }] }), true],
  ['prefix, no match', d({ EventID: [{ prefix: 'EC2-' }] }), false],
  ['prefix is case sensitive', d({ EventID: [{ prefix: 'rds-event-' }] }), false],
  ['prefix equals-ignore-case', d({ EventID: [{ prefix: { 'equals-ignore-case': 'rds-event-' } }] }), true],
  [
    'prefix equals-ignore-case, no match',
    d({ EventID: [{ prefix: { 'equals-ignore-case': 'ec2-' } }] }),
    false,
  ],
  ['prefix does not apply to numbers', d({ count: [{ prefix: '5' }] }), false],
  ['suffix', d({ FileName: [{ suffix: '.PNG' }] }), true],
  ['suffix is case sensitive', d({ FileName: [{ suffix: '.png' }] }), false],
  ['suffix equals-ignore-case', d({ FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] }), true],
  [
    'suffix equals-ignore-case, no match',
    d({ FileName: [{ suffix: { 'equals-ignore-case': '.jpg' } }] }),
    false,
  ],
  // equals-ignore-case / wildcard
  ['equals-ignore-case', d({ state: [{ 'equals-ignore-case': 'RUNNING' }] }), true],
  ['equals-ignore-case, no match', d({ state: [{ 'equals-ignore-case': 'stopped' }] }), false],
  ['wildcard', d({ path: [{ wildcard: '*/lib/*' }] }), true],
  ['wildcard must cover the whole value', d({ path: [{ wildcard: '/lib/*' }] }), false],
  ['wildcard with several stars', d({ EventID: [{ wildcard: 'RDS-*-00*5' }] }), true],
  ['wildcard, no match', d({ FileName: [{ wildcard: '*.jpg' }] }), false],
  ['escaped star is literal', d({ state: [{ wildcard: 'run\\*' }] }), false],
  // anything-but
  ['anything-but string', d({ state: [{ 'anything-but': 'stopped' }] }), true],
  ['anything-but string, excluded', d({ state: [{ 'anything-but': 'running' }] }), false],
  ['anything-but list', d({ state: [{ 'anything-but': ['stopped', 'pending'] }] }), true],
  ['anything-but list, excluded', d({ state: [{ 'anything-but': ['stopped', 'running'] }] }), false],
  ['anything-but number', d({ count: [{ 'anything-but': 6 }] }), true],
  ['anything-but number list, excluded', d({ count: [{ 'anything-but': [4, 5] }] }), false],
  ['anything-but does not match an absent field', d({ missing: [{ 'anything-but': 'x' }] }), false],
  ['anything-but prefix', d({ state: [{ 'anything-but': { prefix: 'stop' } }] }), true],
  ['anything-but prefix, excluded', d({ state: [{ 'anything-but': { prefix: 'run' } }] }), false],
  ['anything-but suffix', d({ FileName: [{ 'anything-but': { suffix: '.jpg' } }] }), true],
  ['anything-but suffix, excluded', d({ FileName: [{ 'anything-but': { suffix: '.PNG' } }] }), false],
  ['anything-but wildcard', d({ path: [{ 'anything-but': { wildcard: '*/bin/*' } }] }), true],
  ['anything-but wildcard, excluded', d({ path: [{ 'anything-but': { wildcard: '*/lib/*' } }] }), false],
  [
    'anything-but equals-ignore-case',
    d({ state: [{ 'anything-but': { 'equals-ignore-case': ['STOPPED'] } }] }),
    true,
  ],
  [
    'anything-but equals-ignore-case, excluded',
    d({ state: [{ 'anything-but': { 'equals-ignore-case': 'RUNNING' } }] }),
    false,
  ],
  [
    'anything-but on an array: some element differs',
    d({ EventCategories: [{ 'anything-but': 'creation' }] }),
    true,
  ],
  // numeric
  ['numeric >', d({ count: [{ numeric: ['>', 4] }] }), true],
  ['numeric > at the bound', d({ count: [{ numeric: ['>', 5] }] }), false],
  ['numeric >= at the bound', d({ count: [{ numeric: ['>=', 5] }] }), true],
  ['numeric < at the bound', d({ count: [{ numeric: ['<', 5] }] }), false],
  ['numeric <= at the bound', d({ count: [{ numeric: ['<=', 5] }] }), true],
  ['numeric =', d({ price: [{ numeric: ['=', 10.5] }] }), true],
  ['numeric = other', d({ price: [{ numeric: ['=', 10.4] }] }), false],
  ['numeric range inside', d({ price: [{ numeric: ['>', 10, '<=', 11] }] }), true],
  ['numeric range outside', d({ price: [{ numeric: ['>', 10.5, '<', 20] }] }), false],
  ['numeric zero', d({ zero: [{ numeric: ['>=', 0, '<', 1] }] }), true],
  ['numeric negative', d({ negative: [{ numeric: ['<', 0] }] }), true],
  ['numeric does not match strings', d({ EventID: [{ numeric: ['>', 0] }] }), false],
  ['numeric on an array: any element in range', d({ numbers: [{ numeric: ['>', 100] }] }), true],
  ['numeric on an array: none in range', d({ numbers: [{ numeric: ['>', 1000] }] }), false],
  // exists
  ['exists true', d({ state: [{ exists: true }] }), true],
  ['exists true on an absent field', d({ missing: [{ exists: true }] }), false],
  ['exists false on an absent field', d({ missing: [{ exists: false }] }), true],
  ['exists false on a present field', d({ state: [{ exists: false }] }), false],
  ['exists true on null', d({ nothing: [{ exists: true }] }), true],
  ['exists false on an empty array', d({ emptyList: [{ exists: false }] }), true],
  ['exists true on an object (not a leaf)', d({ nested: [{ exists: true }] }), false],
  ['top-level replay-name exists false', { 'replay-name': [{ exists: false }] }, true],
  ['replay-name exists true on a live event', { 'replay-name': [{ exists: true }] }, false],
  // cidr
  ['cidr v4', d({ ip: [{ cidr: '10.0.0.0/16' }] }), true],
  ['cidr v4, outside', d({ ip: [{ cidr: '10.1.0.0/16' }] }), false],
  ['cidr v4 /32', d({ ip: [{ cidr: '10.0.1.20/32' }] }), true],
  ['cidr v4 /0', d({ ip: [{ cidr: '0.0.0.0/0' }] }), true],
  ['cidr v6', d({ ip6: [{ cidr: '2001:db8::/32' }] }), true],
  ['cidr v6, outside', d({ ip6: [{ cidr: '2001:db9::/32' }] }), false],
  ['cidr v6 does not match a v4 address', d({ ip: [{ cidr: '::/0' }] }), false],
  ['cidr does not match a non-address', d({ state: [{ cidr: '10.0.0.0/8' }] }), false],
  // arrays, nesting, absent fields
  ['array in the event: any element', d({ EventCategories: ['backup'] }), true],
  ['array in the event: no element', d({ EventCategories: ['failover'] }), false],
  ['array in the event with prefix', { resources: [{ prefix: 'arn:aws:rds:' }] }, true],
  ['empty array matches no value', d({ emptyList: ['x'] }), false],
  ['nested objects', d({ nested: { a: { b: ['deep'] } } }), true],
  ['nested objects, other value', d({ nested: { a: { b: ['shallow'] } } }), false],
  ['nested pattern against an absent object', d({ absent: { a: ['x'] } }), false],
  ['nested pattern against a string', d({ state: { a: ['x'] } }), false],
  ['array of objects: fields from the same element', d({ items: { kind: ['y'], size: [2] } }), true],
  ['array of objects: fields from different elements', d({ items: { kind: ['x'], size: [2] } }), false],
  ['routing slip pattern', { source: ['aws.rds'], detail: { run: { next: ['snapshot', 'restore'] } } }, true],
  ['absent field does not match', d({ missing: ['x'] }), false],
  ['absent top-level field does not match', { 'no-such-field': ['x'] }, false],
  ['leaf pattern against an object value', d({ nested: ['deep'] }), false],
  // $or
  ['$or, first branch', d({ $or: [{ state: ['running'] }, { count: [99] }] }), true],
  ['$or, second branch', d({ $or: [{ state: ['stopped'] }, { count: [5] }] }), true],
  ['$or, no branch', d({ $or: [{ state: ['stopped'] }, { count: [99] }] }), false],
  [
    '$or at top level with nesting',
    { $or: [{ source: ['aws.ec2'] }, { detail: { EventID: ['RDS-EVENT-0005'] } }] },
    true,
  ],
  [
    '$or ANDed with sibling keys',
    { source: ['aws.ec2'], $or: [{ region: ['us-east-1'] }, { account: ['1'] }] },
    false,
  ],
  ['mixed operators ORed in one list', d({ state: [{ prefix: 'stop' }, { 'anything-but': 'x' }] }), true],
];

describe('matchesPattern', () => {
  test.each(cases)('%s', (_name, pattern, expected) => {
    expect(() => validatePattern(pattern)).not.toThrow();
    expect(matchesPattern(pattern, event)).toBe(expected);
  });
});

const invalid: [string, unknown, RegExp][] = [
  ['not an object', ['source'], /Filter is not an object/],
  ['empty pattern', {}, /Empty objects are not allowed/],
  ['leaf value not in an array', { source: 'aws.rds' }, /must be an object or an array/],
  ['empty value list', { source: [] }, /Empty arrays are not allowed/],
  ['unknown operator', { source: [{ contains: 'rds' }] }, /Unrecognized match type contains/],
  ['two operators in one object', { source: [{ prefix: 'a', suffix: 'b' }] }, /exactly one operator/],
  ['prefix not a string', { source: [{ prefix: 5 }] }, /"prefix" match pattern must be a string/],
  [
    'exists not a boolean',
    { source: [{ exists: 'yes' }] },
    /exists match pattern must be either true or false/,
  ],
  ['numeric bad operator', { n: [{ numeric: ['!=', 1] }] }, /Unrecognized numeric range operator/],
  ['numeric bottom above top', { n: [{ numeric: ['>', 5, '<', 1] }] }, /bottom must be less than top/],
  ['numeric wrong arity', { n: [{ numeric: ['>', 1, '<'] }] }, /"numeric" must be an array/],
  ['numeric out of range', { n: [{ numeric: ['>', 6e9] }] }, /out of range/],
  ['bad cidr', { ip: [{ cidr: '10.0.0.0/33' }] }, /Nonstandard IP address/],
  ['consecutive wildcards', { p: [{ wildcard: 'a**b' }] }, /Consecutive wildcard characters/],
  ['anything-but mixed list', { s: [{ 'anything-but': ['a', 1] }] }, /all strings or all numbers/],
  [
    'anything-but unknown nested',
    { s: [{ 'anything-but': { numeric: ['>', 1] } }] },
    /Unsupported anything-but/,
  ],
  ['$or with one branch', { $or: [{ source: ['a'] }] }, /at least two/],
  ['nested empty object', { detail: {} }, /Empty object at "detail"/],
];

describe('validatePattern', () => {
  test.each(invalid)('rejects %s', (_name, pattern, message) => {
    expect(() => validatePattern(pattern)).toThrow(message);
    try {
      validatePattern(pattern);
    } catch (e) {
      expect((e as Error).name).toBe('InvalidEventPatternException');
      expect((e as Error).message).toMatch(/^Event pattern is not valid\. Reason: /);
    }
  });
});
