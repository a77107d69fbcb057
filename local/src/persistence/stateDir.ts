import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LocalCloudError } from '../errors';
import type { ServiceState } from '../types';
import { decodeState, encodeState } from './codec';

/**
 * Bumped when a dump's shape changes in a way older loaders cannot read (2: every service's dump lists
 * its accounts and regions; KMS keys kept).
 */
export const STATE_FORMAT = 2;
const MANIFEST = 'local-cloud.json';
/** Holds the pid of the local cloud using the directory: two writing one directory would mix states. */
const LOCK = 'local-cloud.pid';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}

interface Manifest {
  format: number;
  savedAt: string;
  services: string[];
}

/** A state file that cannot be used, with what to do about it. */
export class StateDirError extends LocalCloudError {}

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return undefined;
    throw new StateDirError(`Cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return decodeState(text);
  } catch (err) {
    throw new StateDirError(
      `${path} is not valid JSON (${(err as Error).message}); move the state directory away to start empty`,
      { cause: err },
    );
  }
}

/** Writes through a temporary file and a rename, so a crash never leaves a half-written file. */
async function writeAtomically(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

/**
 * The state of the emulators in a directory, one JSON file per service (`<key>.json`) and a manifest:
 * loaded at start, saved every `intervalMs` and at stop. Each emulator dumps and loads its whole state
 * itself (`ServiceState`), so this knows nothing of their shapes.
 */
export class StateDir {
  private saving: Promise<void> | undefined;
  /** What each file holds (as last written), to skip unchanged ones. */
  private readonly written = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly dir: string,
    private readonly parts: ServiceState[],
    private readonly log: (line: string) => void,
  ) {}

  /** Creates the directory (checking it is writable) and loads what a previous run saved there. */
  async load(): Promise<{ loaded: string[]; savedAt?: string }> {
    try {
      await mkdir(this.dir, { recursive: true });
      await writeAtomically(join(this.dir, '.writable'), '');
      await rm(join(this.dir, '.writable'));
    } catch (err) {
      throw new StateDirError(
        `The state directory ${this.dir} cannot be written (${(err as Error).message}); choose another --state-dir`,
        { cause: err },
      );
    }
    await this.lock();
    const manifest = (await readJson(join(this.dir, MANIFEST))) as Manifest | undefined;
    if (manifest === undefined) return { loaded: [] };
    if (manifest.format !== STATE_FORMAT) {
      throw new StateDirError(
        `${join(this.dir, MANIFEST)} has state format ${String(manifest.format)}, this local cloud reads format ${STATE_FORMAT}; start with another --state-dir (or delete this one)`,
      );
    }
    const loaded: string[] = [];
    for (const part of this.parts) {
      const path = join(this.dir, `${part.key}.json`);
      const state = await readJson(path);
      if (state === undefined) continue;
      try {
        await part.load(state);
      } catch (err) {
        throw new StateDirError(
          `Loading ${path} failed: ${(err as Error).message}; move the state directory away to start empty`,
          { cause: err },
        );
      }
      loaded.push(part.key);
    }
    return { loaded, savedAt: manifest.savedAt };
  }

  /** Claims the directory for this process, unless a live process holds it (a stale claim is taken over). */
  private async lock(): Promise<void> {
    const path = join(this.dir, LOCK);
    const holder = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (holder > 0 && holder !== process.pid && alive(holder)) {
      throw new StateDirError(
        `The state directory ${this.dir} is in use by process ${holder} (another local cloud); stop it or choose another --state-dir`,
      );
    }
    await writeAtomically(path, `${process.pid}\n`);
  }

  /** Saves every service's state (one save at a time; a call during a save waits for it, then saves). */
  async save(): Promise<void> {
    const previous = this.saving;
    const next = (async () => {
      await previous?.catch(() => undefined);
      const texts: [string, string][] = [];
      for (const part of this.parts) texts.push([part.key, encodeState(await part.dump())]);
      // an idle cloud writes nothing: only files whose content changed since the last save
      const changed = texts.filter(([key, text]) => this.written.get(key) !== text);
      if (changed.length === 0) return;
      for (const [key, text] of changed) {
        await writeAtomically(join(this.dir, `${key}.json`), text);
        this.written.set(key, text);
      }
      const manifest: Manifest = {
        format: STATE_FORMAT,
        savedAt: new Date().toISOString(),
        services: texts.map(([key]) => key),
      };
      await writeAtomically(join(this.dir, MANIFEST), JSON.stringify(manifest, null, 2));
    })();
    this.saving = next;
    return next;
  }

  /**
   * Saves every `intervalMs` until `stop()`, which saves a last time. A save that takes long spaces the
   * next one out (at least ten times its duration), so saving never takes more than a tenth of the time.
   */
  startAutosave(intervalMs: number): void {
    const tick = (delay: number) => {
      this.timer = setTimeout(() => {
        const started = Date.now();
        this.save()
          .catch((err: unknown) => this.log(`State: saving to ${this.dir} failed: ${String(err)}`))
          .finally(() => this.timer && tick(Math.max(intervalMs, 10 * (Date.now() - started))));
      }, delay);
      this.timer.unref();
    };
    tick(intervalMs);
  }

  /** Stops autosaving and saves the final state. */
  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.save();
    await rm(join(this.dir, LOCK), { force: true });
  }
}
