import { nextFiring, parseExpression } from '../../src/scheduler/expressions';

const next = (expression: string, after: string, tz = 'UTC', anchor = after) =>
  new Date(
    nextFiring(parseExpression(expression), tz, Date.parse(after), Date.parse(anchor)) ?? NaN,
  ).toISOString();

describe('schedule expressions', () => {
  it('finds the next cron firing in the schedule time zone, across clock changes', () => {
    expect(next('cron(0 */12 * * ? *)', '2026-12-05T12:00:00Z')).toBe('2026-12-06T00:00:00.000Z');
    expect(next('cron(0 3 ? * MON-FRI *)', '2026-12-05T00:00:00Z', 'Europe/Paris')).toBe(
      '2026-12-07T02:00:00.000Z',
    );
    // The last Sunday of March: Paris goes from 02:00 to 03:00; 03:30 there is 01:30Z.
    expect(next('cron(30 3 * * ? *)', '2027-03-28T00:00:00Z', 'Europe/Paris')).toBe(
      '2027-03-28T01:30:00.000Z',
    );
    expect(next('cron(15 0 * * ? *)', '2027-03-28T00:00:00Z', 'Europe/Paris')).toBe(
      '2027-03-28T22:15:00.000Z',
    );
    expect(next('cron(0 9 L * ? *)', '2027-02-01T00:00:00Z')).toBe('2027-02-28T09:00:00.000Z');
    expect(next('cron(0 9 ? * 2#1 *)', '2027-02-02T00:00:00Z')).toBe('2027-03-01T09:00:00.000Z');
    expect(next('cron(0 9 15W * ? *)', '2027-05-01T00:00:00Z')).toBe('2027-05-14T09:00:00.000Z');
    expect(
      nextFiring(parseExpression('cron(0 9 1 1 ? 2027)'), 'UTC', Date.parse('2027-06-01T00:00:00Z'), 0),
    ).toBe(undefined);
  });

  it('counts rates from their anchor and fires an at() once, in its time zone', () => {
    expect(next('rate(5 minutes)', '2027-01-01T00:07:00Z', 'UTC', '2027-01-01T00:00:00Z')).toBe(
      '2027-01-01T00:10:00.000Z',
    );
    expect(next('at(2027-07-01T08:00:00)', '2027-01-01T00:00:00Z', 'America/New_York')).toBe(
      '2027-07-01T12:00:00.000Z',
    );
  });

  it('refuses malformed expressions with the reason', () => {
    expect(() => parseExpression('cron(0 3 * * *)')).toThrow(/6 fields/);
    expect(() => parseExpression('cron(0 25 * * ? *)')).toThrow(/25 is not in 0-23/);
    expect(() => parseExpression('rate(1 days)')).toThrow(/rate\(1 day\)/);
    expect(() => parseExpression('at(2027-02-30T00:00:00)')).toThrow(/no such date/);
    expect(() => parseExpression('every day')).toThrow(/at\(.*rate\(.*cron\(/);
  });
});
