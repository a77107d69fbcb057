import { checkOptedIn } from '../src/optIn';
import { Rejection } from '../src/rejection';

const optIn = { key: 'rewind:allow', value: 'true' };
const db = (identifier: string, value?: string) => ({
  what: `member ${identifier}`,
  identifier,
  arn: `arn:aws:rds:us-east-1:123456789012:db:${identifier}`,
  tags: value === undefined ? [{ Key: 'team', Value: 'x' }] : [{ Key: 'rewind:allow', Value: value }],
});

function rejection(fn: () => void): Rejection {
  try {
    fn();
  } catch (err) {
    if (err instanceof Rejection) return err;
    throw err;
  }
  throw new Error('not rejected');
}

describe('opt-in check', () => {
  test('accepts databases tagged with exactly the configured value', () => {
    expect(() => checkOptedIn([db('a', 'true'), db('b', 'true')], optIn, 'ledger')).not.toThrow();
  });

  test('rejects True: IAM compares tag values case-sensitively, and says how to fix it', () => {
    const r = rejection(() => checkOptedIn([db('orders-db', 'True')], optIn, 'orders-db'));
    expect(r.code).toBe('not-opted-in');
    expect(r.message).toContain('rewind:allow=True (IAM compares tag values case-sensitively)');
    expect(r.message).toContain(
      'aws rds add-tags-to-resource --resource-name arn:aws:rds:us-east-1:123456789012:db:orders-db --tags Key=rewind:allow,Value=true',
    );
  });

  test('names every database missing the tag, with one command each', () => {
    const r = rejection(() =>
      checkOptedIn([db('ledger-1'), db('ledger-2', 'true'), db('ledger-3', 'yes')], optIn, 'ledger'),
    );
    expect(r.message).toMatch(/^ledger is not opted in: ledger-1, ledger-3 need the tag rewind:allow=true/);
    expect(r.message).toContain('member ledger-1: no rewind:allow tag; member ledger-3: rewind:allow=yes');
    expect(r.message.match(/aws rds add-tags-to-resource/g)).toHaveLength(2);
  });
});
