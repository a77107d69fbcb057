/**
 * The Secrets Manager emulator (AWS JSON 1.1, `X-Amz-Target: secretsmanager.<Operation>`): secrets per
 * account and region with versions and staging labels (AWSCURRENT / AWSPREVIOUS), scheduled deletion
 * with a recovery window, tags. Enough for a deployment that writes a database's new endpoint into a
 * secret its clients read. Not emulated: rotation, replication to other regions, resource policies
 * (another account's secret is refused), binary secrets larger than a string.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Partitions, type IdentityOptions } from '../edge/identity';
import {
  inputString as str,
  JsonServiceError,
  jsonProtocol,
  type JsonHandler,
  type JsonInput,
} from '../edge/jsonProtocol';
import { partitionedState } from '../persistence/partitioned';
import type { CallerIdentity, EmulatedService, LocalIdentity } from '../types';

export interface SecretVersion {
  versionId: string;
  value: { string?: string; binary?: string };
  stages: string[];
  createdAt: Date;
}

export interface Secret {
  arn: string;
  name: string;
  description?: string;
  kmsKeyId?: string;
  tags: { Key: string; Value: string }[];
  versions: SecretVersion[];
  createdAt: Date;
  changedAt: Date;
  deletionDate?: Date;
}

type Place = Map<string, Secret>;

const NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const NOT_FOUND = "Secrets Manager can't find the specified secret.";
const MAX_VERSIONS = 100;

const fail = (type: string, message: string) => new JsonServiceError(type, message);
const epoch = (d: Date) => d.getTime() / 1000;

function secretValue(input: JsonInput): SecretVersion['value'] | undefined {
  const string = str(input, 'SecretString');
  const binary = str(input, 'SecretBinary');
  if (string !== undefined && binary !== undefined) {
    throw fail('InvalidParameterException', 'You can specify either SecretString or SecretBinary, not both.');
  }
  if (string === undefined && binary === undefined) return undefined;
  return string !== undefined ? { string } : { binary };
}

/** The local Secrets Manager, and what IAM asks of it. */
export interface SecretsManagerEmulator extends EmulatedService {
  /** The full ARN of the secret a `SecretId` names (name, ARN, ARN without its suffix) for a caller in `where`. */
  secretArn(id: string, where: LocalIdentity): string | undefined;
}

export function createSecretsManager(opts: IdentityOptions): SecretsManagerEmulator {
  const places = new Partitions<Place>(() => new Map());

  function arnOf(where: LocalIdentity, name: string): string {
    const suffix = randomBytes(4).toString('base64url').replace(/[-_]/g, 'x').slice(0, 6);
    return `arn:aws:secretsmanager:${where.region}:${where.accountId}:secret:${name}-${suffix}`;
  }

  /** The secret `SecretId` names (name, full ARN, or ARN without its suffix), deleted or not. */
  function find(input: JsonInput, caller: CallerIdentity): Secret {
    const id = str(input, 'SecretId', true) as string;
    if (id.startsWith('arn:')) {
      const [, , , region, account] = id.split(':');
      if (account !== caller.accountId || region !== caller.region) {
        throw fail(
          'AccessDeniedException',
          `The local cloud does not emulate secret resource policies: ${id} belongs to account ${account} in ${region}; read it with that account's credentials in that region`,
        );
      }
    }
    for (const s of places.get(caller).values()) {
      if (s.name === id || s.arn === id || (id.startsWith('arn:') && s.arn.startsWith(`${id}-`))) return s;
    }
    throw fail('ResourceNotFoundException', NOT_FOUND);
  }

  function live(input: JsonInput, caller: CallerIdentity, verb: string): Secret {
    const s = find(input, caller);
    if (s.deletionDate) {
      throw fail(
        'InvalidRequestException',
        `You can't ${verb} the secret because it was marked for deletion (on ${s.deletionDate.toISOString()}); RestoreSecret cancels the deletion.`,
      );
    }
    return s;
  }

  /** Adds a version; `stages` move from the versions that held them (AWSCURRENT leaves AWSPREVIOUS behind). */
  function addVersion(
    s: Secret,
    input: JsonInput,
    value: SecretVersion['value'],
    stages: string[],
  ): SecretVersion {
    const token = str(input, 'ClientRequestToken') ?? randomUUID();
    const existing = s.versions.find((v) => v.versionId === token);
    if (existing) {
      if (existing.value.string === value.string && existing.value.binary === value.binary) return existing;
      throw fail(
        'ResourceExistsException',
        `A version with ClientRequestToken ${token} already exists with another value; use a new token for a new value.`,
      );
    }
    const version: SecretVersion = { versionId: token, value, stages: [...stages], createdAt: new Date() };
    for (const v of s.versions) {
      if (stages.includes('AWSCURRENT') && v.stages.includes('AWSCURRENT')) {
        for (const old of s.versions) old.stages = old.stages.filter((x) => x !== 'AWSPREVIOUS');
        v.stages = [...v.stages.filter((x) => x !== 'AWSCURRENT'), 'AWSPREVIOUS'];
      }
      v.stages = v.stages.filter((x) => x === 'AWSPREVIOUS' || !stages.includes(x));
    }
    s.versions.push(version);
    // Versions without a label are dropped beyond the quota, oldest first, as AWS does.
    while (s.versions.length > MAX_VERSIONS) {
      const i = s.versions.findIndex((v) => v.stages.length === 0);
      if (i < 0) break;
      s.versions.splice(i, 1);
    }
    s.changedAt = new Date();
    return version;
  }

  /** DescribeSecret names the version map `VersionIdsToStages`; ListSecrets' entries `SecretVersionsToStages`. */
  function summary(s: Secret, versionsField = 'VersionIdsToStages'): JsonInput {
    return {
      ARN: s.arn,
      Name: s.name,
      ...(s.description !== undefined ? { Description: s.description } : {}),
      ...(s.kmsKeyId !== undefined ? { KmsKeyId: s.kmsKeyId } : {}),
      Tags: s.tags,
      CreatedDate: epoch(s.createdAt),
      LastChangedDate: epoch(s.changedAt),
      ...(s.deletionDate ? { DeletedDate: epoch(s.deletionDate) } : {}),
      [versionsField]: Object.fromEntries(
        s.versions.filter((v) => v.stages.length > 0).map((v) => [v.versionId, v.stages]),
      ),
    };
  }

  function tagsOf(input: JsonInput): Secret['tags'] {
    const tags = input['Tags'];
    if (tags === undefined) return [];
    if (
      !Array.isArray(tags) ||
      tags.some((t) => typeof t?.Key !== 'string' || typeof t?.Value !== 'string')
    ) {
      throw fail('InvalidParameterException', 'Tags must be a list of { "Key": string, "Value": string }.');
    }
    return tags as Secret['tags'];
  }

  const handlers: Record<string, JsonHandler> = {
    CreateSecret(input, caller) {
      const name = str(input, 'Name', true) as string;
      if (!NAME.test(name)) {
        throw fail(
          'ValidationException',
          `Invalid name ${JSON.stringify(name)}: use 1-512 letters, digits and /_+=.@- characters.`,
        );
      }
      const place = places.get(caller);
      const same = [...place.values()].find((s) => s.name === name);
      if (same?.deletionDate) {
        throw fail(
          'InvalidRequestException',
          `You can't create this secret because a secret with the name ${name} is already scheduled for deletion; restore it (RestoreSecret) or delete it without recovery.`,
        );
      }
      if (same)
        throw fail(
          'ResourceExistsException',
          `The operation failed because the secret ${name} already exists.`,
        );
      const now = new Date();
      const secret: Secret = {
        arn: arnOf(caller, name),
        name,
        description: str(input, 'Description'),
        kmsKeyId: str(input, 'KmsKeyId'),
        tags: tagsOf(input),
        versions: [],
        createdAt: now,
        changedAt: now,
      };
      const value = secretValue(input);
      const version = value ? addVersion(secret, input, value, ['AWSCURRENT']) : undefined;
      place.set(secret.arn, secret);
      return { ARN: secret.arn, Name: name, ...(version ? { VersionId: version.versionId } : {}) };
    },

    GetSecretValue(input, caller) {
      const s = live(input, caller, 'perform this operation on');
      const versionId = str(input, 'VersionId');
      const stage = str(input, 'VersionStage') ?? (versionId ? undefined : 'AWSCURRENT');
      const v = s.versions.find(
        (x) =>
          (versionId === undefined || x.versionId === versionId) &&
          (stage === undefined || x.stages.includes(stage)),
      );
      if (!v) {
        throw fail(
          'ResourceNotFoundException',
          `Secrets Manager can't find the specified secret value for ${versionId ? `VersionId: ${versionId}` : `staging label: ${stage}`}`,
        );
      }
      return {
        ARN: s.arn,
        Name: s.name,
        VersionId: v.versionId,
        ...(v.value.string !== undefined
          ? { SecretString: v.value.string }
          : { SecretBinary: v.value.binary }),
        VersionStages: v.stages,
        CreatedDate: epoch(v.createdAt),
      };
    },

    PutSecretValue(input, caller) {
      const s = live(input, caller, 'perform this operation on');
      const value = secretValue(input);
      if (!value)
        throw fail('InvalidRequestException', 'You must provide either SecretString or SecretBinary.');
      const stages = Array.isArray(input['VersionStages'])
        ? input['VersionStages'].map(String)
        : ['AWSCURRENT'];
      const v = addVersion(s, input, value, stages);
      return { ARN: s.arn, Name: s.name, VersionId: v.versionId, VersionStages: v.stages };
    },

    UpdateSecret(input, caller) {
      const s = live(input, caller, 'update');
      const description = str(input, 'Description');
      const kmsKeyId = str(input, 'KmsKeyId');
      if (description !== undefined) s.description = description;
      if (kmsKeyId !== undefined) s.kmsKeyId = kmsKeyId;
      s.changedAt = new Date();
      const value = secretValue(input);
      const v = value ? addVersion(s, input, value, ['AWSCURRENT']) : undefined;
      return { ARN: s.arn, Name: s.name, ...(v ? { VersionId: v.versionId } : {}) };
    },

    DescribeSecret: (input, caller) => summary(find(input, caller)),

    ListSecrets(input, caller) {
      const filters = Array.isArray(input['Filters'])
        ? (input['Filters'] as { Key?: string; Values?: string[] }[])
        : [];
      const deleted = input['IncludePlannedDeletion'] === true;
      const matches = (s: Secret) =>
        filters.every((f) => {
          const values = f.Values ?? [];
          if (f.Key === 'name') return values.some((v) => s.name.startsWith(v));
          if (f.Key === 'tag-key') return values.some((v) => s.tags.some((t) => t.Key === v));
          if (f.Key === 'tag-value') return values.some((v) => s.tags.some((t) => t.Value === v));
          if (f.Key === 'description') return values.some((v) => (s.description ?? '').startsWith(v));
          throw fail(
            'InvalidParameterException',
            `Filter key ${f.Key} is not supported by the local Secrets Manager (name, tag-key, tag-value, description).`,
          );
        });
      const list = [...places.get(caller).values()].filter((s) => (deleted || !s.deletionDate) && matches(s));
      return { SecretList: list.map((s) => summary(s, 'SecretVersionsToStages')) };
    },

    DeleteSecret(input, caller) {
      const s = find(input, caller);
      const force = input['ForceDeleteWithoutRecovery'] === true;
      const days = input['RecoveryWindowInDays'];
      if (force && days !== undefined) {
        throw fail(
          'InvalidParameterException',
          "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
        );
      }
      if (days !== undefined && (typeof days !== 'number' || days < 7 || days > 30)) {
        throw fail('InvalidParameterException', 'RecoveryWindowInDays must be between 7 and 30 days.');
      }
      const when = new Date(Date.now() + (force ? 0 : ((days as number | undefined) ?? 30) * 86_400_000));
      if (force) places.get(caller).delete(s.arn);
      else s.deletionDate ??= when;
      return { ARN: s.arn, Name: s.name, DeletionDate: epoch(s.deletionDate ?? when) };
    },

    RestoreSecret(input, caller) {
      const s = find(input, caller);
      delete s.deletionDate;
      return { ARN: s.arn, Name: s.name };
    },

    TagResource(input, caller) {
      const s = live(input, caller, 'tag');
      for (const t of tagsOf(input)) s.tags = [...s.tags.filter((x) => x.Key !== t.Key), t];
      return {};
    },

    UntagResource(input, caller) {
      const s = live(input, caller, 'untag');
      const keys = Array.isArray(input['TagKeys']) ? input['TagKeys'].map(String) : [];
      s.tags = s.tags.filter((t) => !keys.includes(t.Key));
      return {};
    },
  };

  return {
    secretArn(id, where) {
      for (const sec of places.peek(where)?.values() ?? [])
        if (sec.name === id || sec.arn === id || (id.startsWith('arn:') && sec.arn.startsWith(`${id}-`)))
          return sec.arn;
      return undefined;
    },
    signingNames: ['secretsmanager'],
    persistence: partitionedState<Place, Secret[]>('secretsmanager', places, {
      dump: (place) => [...place.values()],
      load(place, secrets) {
        place.clear();
        for (const s of secrets) place.set(s.arn, s);
      },
    }),
    handle: jsonProtocol({
      prefix: 'secretsmanager',
      label: 'the local Secrets Manager',
      handlers,
      identity: opts,
    }),
  };
}
