/** Replays: StartReplay, DescribeReplay, ListReplays; re-delivery of archived events with `replay-name`. */
import type { Archives } from './archive';
import { alreadyExists, notFound, validation } from './errors';
import type { Replay } from './model';
import { listPage, RESOURCE_NAME, sourceAndState, type Handlers } from './operations';
import {
  checkName,
  epochSeconds,
  isObject,
  optString,
  optStringArray,
  reqDate,
  reqString,
  type JsonObject,
} from './protocol';
import type { Router } from './router';
import type { EventBridgeState } from './state';

function times(r: Replay): JsonObject {
  const optional: Record<string, Date | undefined> = {
    EventLastReplayedTime: r.eventLastReplayedTime,
    ReplayEndTime: r.replayEndTime,
  };
  return {
    EventStartTime: epochSeconds(r.eventStartTime),
    EventEndTime: epochSeconds(r.eventEndTime),
    ReplayStartTime: epochSeconds(r.replayStartTime),
    ...Object.fromEntries(
      Object.entries(optional).flatMap(([k, d]) => (d === undefined ? [] : [[k, epochSeconds(d)]])),
    ),
  };
}

function summary(r: Replay): JsonObject {
  return {
    ReplayName: r.name,
    EventSourceArn: r.sourceArn,
    State: r.state,
    ...(r.stateReason === undefined ? {} : { StateReason: r.stateReason }),
    ...times(r),
  };
}

export class Replays {
  readonly byName = new Map<string, Replay>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly state: EventBridgeState,
    private readonly archives: Archives,
    private readonly router: Router,
  ) {}

  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private next(step: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      step();
    }, 0);
    this.timers.add(timer);
  }

  private run(replay: Replay): void {
    replay.state = 'RUNNING';
    this.next(() => {
      try {
        const archive = this.archives.byArn(replay.sourceArn);
        const start = replay.eventStartTime.getTime();
        const end = replay.eventEndTime.getTime();
        const filter = replay.filterArns ? new Set(replay.filterArns) : undefined;
        for (const { event } of archive.events) {
          const t = Date.parse(event.time);
          if (t < start || t >= end) continue;
          this.router.route(replay.destinationArn, { ...event, 'replay-name': replay.name }, filter);
          this.state.stats.replayed++;
          if (!replay.eventLastReplayedTime || t > replay.eventLastReplayedTime.getTime()) {
            replay.eventLastReplayedTime = new Date(t);
          }
        }
        replay.state = 'COMPLETED';
      } catch (err) {
        replay.state = 'FAILED';
        replay.stateReason = err instanceof Error ? err.message : String(err);
      }
      replay.replayEndTime = new Date();
    });
  }

  operations(): Handlers {
    return {
      StartReplay: (input) => {
        const name = checkName('ReplayName', reqString(input, 'ReplayName'), 64, RESOURCE_NAME);
        if (this.byName.has(name)) throw alreadyExists(`Replay ${name} already exists.`);
        const archive = this.archives.byArn(reqString(input, 'EventSourceArn'));
        const start = reqDate(input, 'EventStartTime');
        const end = reqDate(input, 'EventEndTime');
        if (start.getTime() >= end.getTime()) {
          throw validation(
            'Parameter EventStartTime is not valid. Reason: EventStartTime must be before EventEndTime.',
          );
        }
        if (end.getTime() > Date.now()) {
          throw validation(
            'Parameter EventEndTime is not valid. Reason: EventEndTime cannot be in the future.',
          );
        }
        const destination = input['Destination'];
        if (!isObject(destination)) throw validation('Parameter Destination must be specified.');
        const destinationArn = reqString(destination, 'Arn');
        if (destinationArn !== archive.sourceArn) {
          throw validation(
            'Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted.',
          );
        }
        const replay: Replay = {
          name,
          arn: this.state.arns.replay(name),
          description: optString(input, 'Description'),
          sourceArn: archive.arn,
          destinationArn,
          filterArns: optStringArray(destination, 'FilterArns'),
          eventStartTime: start,
          eventEndTime: end,
          state: 'STARTING',
          replayStartTime: new Date(),
        };
        this.byName.set(name, replay);
        this.next(() => this.run(replay));
        return {
          ReplayArn: replay.arn,
          State: replay.state,
          ReplayStartTime: epochSeconds(replay.replayStartTime),
        };
      },

      DescribeReplay: (input) => {
        const name = reqString(input, 'ReplayName');
        const r = this.byName.get(name);
        if (!r) throw notFound(`Replay ${name} does not exist.`);
        const destination = { Arn: r.destinationArn, ...(r.filterArns ? { FilterArns: r.filterArns } : {}) };
        return {
          ReplayArn: r.arn,
          ...summary(r),
          Destination: destination,
          ...(r.description === undefined ? {} : { Description: r.description }),
        };
      },

      ListReplays: (input) =>
        listPage(this.byName.values(), input, 'Replays', summary, sourceAndState(input)),
    };
  }
}
