import {
  complement,
  fleetBound,
  gbSeconds,
  intersect,
  outages,
  rdsBusy,
  total,
  union,
  waiterGbSeconds,
  type StatusHistory,
} from '../figures';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
const t = (s: number) => Date.parse(at(s));

describe('bench figures', () => {
  it('merges spans and measures what they cover', () => {
    const spans = [
      { from: 10, to: 20 },
      { from: 15, to: 30 },
      { from: 40, to: 45 },
    ];
    expect(union(spans)).toEqual([
      { from: 10, to: 30 },
      { from: 40, to: 45 },
    ]);
    expect(total(spans)).toBe(25);
    expect(complement(spans, { from: 0, to: 50 })).toEqual([
      { from: 0, to: 10 },
      { from: 30, to: 40 },
      { from: 45, to: 50 },
    ]);
    expect(intersect(spans, [{ from: 25, to: 42 }])).toEqual([
      { from: 25, to: 30 },
      { from: 40, to: 42 },
    ]);
  });

  it('reads an outage from the gaps between answering intervals, an open interval answering to the end', () => {
    const intervals = [
      { from: at(0), to: at(100) },
      { from: at(100), to: at(130) }, // the same address, another resource behind it: no gap
      { from: at(400) },
    ];
    expect(outages(intervals, { from: t(50), to: t(1000) })).toEqual([{ from: t(130), to: t(400) }]);
    // Still down when the window ends.
    expect(outages([{ from: at(0), to: at(100) }], { from: t(50), to: t(300) })).toEqual([
      { from: t(100), to: t(300) },
    ]);
  });

  it('counts RDS at work in every non-idle status, including the available flash before a rename reboot', () => {
    const histories: StatusHistory[] = [
      {
        kind: 'instance',
        identifiers: ['db', 'db-old'],
        entries: [
          { time: at(0), status: 'available', identifier: 'db' },
          { time: at(100), status: 'renaming', identifier: 'db-old' },
          { time: at(160), status: 'available', identifier: 'db-old' },
          { time: at(165), status: 'rebooting', identifier: 'db-old' },
          { time: at(285), status: 'available', identifier: 'db-old' },
        ],
      },
      {
        kind: 'instance',
        identifiers: ['db'],
        entries: [{ time: at(300), status: 'creating', identifier: 'db' }],
      },
      {
        kind: 'snapshot',
        identifiers: ['s'],
        entries: [{ time: at(0), status: 'creating', identifier: 's' }],
      },
    ];
    expect(rdsBusy(histories, t(900))).toEqual([
      { from: t(100), to: t(285) },
      { from: t(300), to: t(900) },
    ]);
    // The endpoint was down from 100 to 700; RDS was idle from 285 to 300: Rewind's own 15 s.
    const own = intersect(
      [{ from: t(100), to: t(700) }],
      complement(rdsBusy(histories, t(900)), { from: 0, to: t(900) }),
    );
    expect(total(own)).toBe(15_000);
  });

  it('bills Lambda per millisecond of configured memory, and a waiter per poll interval started', () => {
    expect(
      gbSeconds([
        { durationMs: 1000.2, memoryMb: 1024 },
        { durationMs: 500, memoryMb: 256 },
      ]),
    ).toBeCloseTo(1.001 + 0.125);
    // 300 s -> 8 polls of 40 s = 320 s; 1 s -> one poll; at 128 MB.
    expect(waiterGbSeconds([300, 1])).toBeCloseTo(((320 + 40) * 128) / 1024);
  });

  it('bounds a fleet by its longest run or its calls at the sustained rate', () => {
    expect(fleetBound(60_000, 6000)).toEqual({ boundMs: 500_000, callsMs: 500_000, burstAwareMs: 475_000 });
    expect(fleetBound(900_000, 120)).toEqual({ boundMs: 900_000, callsMs: 10_000, burstAwareMs: 0 });
  });
});
