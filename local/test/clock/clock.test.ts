import { ClockError, CloudClock } from '../../src/clock';

describe('the cloud clock', () => {
  let clock: CloudClock;
  beforeEach(() => (clock = new CloudClock()));
  afterEach(() => clock.close());

  it('runs every timer due within a jump in order, each seeing its own due time, and moves now', async () => {
    const start = clock.now();
    const seen: [string, number][] = [];
    const HOUR = 3_600_000;
    clock.at(start + 3 * HOUR, () => void seen.push(['c', clock.now()]));
    clock.at(start + 1 * HOUR, () => {
      seen.push(['a', clock.now()]);
      // A timer set during the jump, still within it, runs too.
      clock.after(30 * 60_000, () => void seen.push(['a+30m', clock.now()]));
    });
    clock.at(start + 2 * HOUR, async () => {
      await new Promise((r) => setTimeout(r, 5));
      seen.push(['b', clock.now()]);
    });
    clock.at(start + 48 * HOUR, () => void seen.push(['later', clock.now()]));

    const result = await clock.advance({ seconds: 24 * 3600 });

    expect(seen).toEqual([
      ['a', start + HOUR],
      ['a+30m', start + HOUR + 30 * 60_000],
      ['b', start + 2 * HOUR],
      ['c', start + 3 * HOUR],
    ]);
    expect(result.ran).toBe(4);
    expect(clock.now()).toBeGreaterThanOrEqual(start + 24 * HOUR);
    expect(clock.next()).toBe(start + 48 * HOUR);
  });

  it('stops after the first timer of a label when asked, at its due time', async () => {
    const start = clock.now();
    const fired: string[] = [];
    clock.at(start + 10_000, () => void fired.push('rds'), 'rds');
    clock.at(start + 60_000, () => void fired.push('firing-1'), 'scheduler');
    clock.at(start + 120_000, () => void fired.push('firing-2'), 'scheduler');

    const r = await clock.advance({ to: new Date(start + 600_000), stopAfter: 'scheduler' });

    expect(fired).toEqual(['rds', 'firing-1']);
    expect(Date.parse(r.now)).toBeGreaterThanOrEqual(start + 60_000);
    expect(Date.parse(r.now)).toBeLessThan(start + 120_000);
    expect(clock.next('scheduler')).toBe(start + 120_000);
  });

  it('refuses to go back or to move by nothing, saying how to call it', async () => {
    await expect(clock.advance({ to: '2001-01-01T00:00:00Z' })).rejects.toThrow(/only moves forward/);
    await expect(clock.advance({ seconds: 0 })).rejects.toThrow(ClockError);
    await expect(clock.advance({})).rejects.toThrow(/give "seconds".*or "to"/);
    await expect(clock.advance({ to: 'tomorrow' })).rejects.toThrow(/ISO-8601/);
  });

  it('runs a timer on real time when nobody advances it, and a cancelled one never', async () => {
    const ran: string[] = [];
    clock.after(20, () => void ran.push('kept'));
    const id = clock.after(10, () => void ran.push('cancelled'));
    clock.cancel(id);
    await new Promise((r) => setTimeout(r, 60));
    expect(ran).toEqual(['kept']);
  });
});
