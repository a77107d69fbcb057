import type { Partitions } from '../edge/identity';
import type { LocalIdentity, ServiceState } from '../types';

/** One account's state in one region (`region` is `*` for a service kept per account only). */
export interface PlaceDump<T> extends LocalIdentity {
  state: T;
}

/** How one place's state is dumped and loaded (the partition is created before it is loaded). */
export interface PlaceState<P, T> {
  dump(part: P, where: LocalIdentity): T | Promise<T>;
  load(part: P, state: T, where: LocalIdentity): void | Promise<void>;
}

/**
 * The state of a service kept per account and region: every existing place dumped under its account and
 * region, and loaded back into the same place (created on first use, as a caller would).
 */
export function partitionedState<Q, T>(
  key: string,
  partitions: Partitions<Q>,
  place: PlaceState<Awaited<Q>, T>,
): ServiceState {
  return {
    key,
    async dump(): Promise<{ places: PlaceDump<T>[] }> {
      const places: PlaceDump<T>[] = [];
      for (const where of partitions.places()) {
        places.push({ ...where, state: await place.dump(await partitions.get(where), where) });
      }
      return { places };
    },
    async load(saved) {
      const places = (saved as { places?: unknown } | undefined)?.places;
      if (!Array.isArray(places)) {
        throw new Error('it holds no list of accounts and regions ("places")');
      }
      for (const p of places as PlaceDump<T>[]) {
        if (typeof p.accountId !== 'string' || typeof p.region !== 'string') {
          throw new Error(`a place has no account or region (${JSON.stringify(p).slice(0, 80)})`);
        }
        const where = { accountId: p.accountId, region: p.region };
        await place.load(await partitions.get(where), p.state, where);
      }
    },
  };
}
