import type { PlaceState } from '../persistence/partitioned';
import { parsePolicy } from '../policies/resourcePolicy';
import type { KmsKey, KmsPartition } from './keys';

export interface KmsDump {
  /** Without the parsed policy: `policyText` is what the key holds. */
  keys: Omit<KmsKey, 'policy'>[];
  aliases: KmsPartition['aliases'];
}

/**
 * One account's keys in one region: every key (customer and AWS managed, with its state, policy, grants,
 * tags and deletion date) and every alias, so that encrypted snapshots keep the key they name.
 */
export const kmsState: PlaceState<KmsPartition, KmsDump> = {
  dump(part) {
    return {
      keys: [...part.keys.values()].map(({ policy: _parsed, ...key }) => key),
      aliases: part.aliases,
    };
  },
  load(part, dump) {
    part.keys.clear();
    for (const key of dump.keys) part.keys.set(key.keyId, { ...key, policy: parsePolicy(key.policyText) });
    part.aliases.clear();
    for (const [alias, target] of dump.aliases) part.aliases.set(alias, target);
  },
};
