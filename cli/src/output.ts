import type { Io } from './io';

/** `12.3s`, `850ms`, `2m 05s`, `1h 02m`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** `2026-01-02 03:04:05` in UTC: compact and sortable. */
export function formatTime(iso: string | undefined): string {
  if (!iso) return '-';
  return iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '');
}

/** At most `max` characters, cut at a word boundary and marked with "…". */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const space = cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).replace(/[\s,;:.(]+$/, '')}…`;
}

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, cyan: 36, gray: 90, bold: 1 } as const;
export type Colour = keyof typeof CODES;

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;
const visibleLength = (text: string) => text.replace(ANSI, '').length;

export interface Column<T> {
  header: string;
  value: (row: T) => string;
  align?: 'left' | 'right';
}

/**
 * Writes what a command has to say: human text (colours only on a TTY with NO_COLOR unset) or, with
 * `--json`, exactly one JSON document at the end.
 */
export class Output {
  readonly tty: boolean;
  readonly colours: boolean;

  constructor(
    readonly io: Io,
    readonly json: boolean,
  ) {
    this.tty = io.stdout.isTTY === true;
    this.colours = this.tty && io.env.NO_COLOR === undefined;
  }

  paint(colour: Colour, text: string): string {
    return this.colours ? `\x1b[${CODES[colour]}m${text}\x1b[0m` : text;
  }

  /** A line of human output (nothing in JSON mode). */
  line(text = ''): void {
    if (!this.json) this.io.stdout.write(`${text}\n`);
  }

  /** The JSON document (JSON mode only). */
  document(value: unknown): void {
    if (this.json) this.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  table<T>(rows: readonly T[], columns: readonly Column<T>[], indent = ''): void {
    const cells = rows.map((row) => columns.map((c) => c.value(row)));
    const widths = columns.map((c, i) =>
      Math.max(visibleLength(c.header), ...cells.map((r) => visibleLength(r[i] ?? ''))),
    );
    const pad = (text: string, i: number) => {
      const fill = ' '.repeat(Math.max(0, widths[i]! - visibleLength(text)));
      return columns[i]!.align === 'right' ? fill + text : text + fill;
    };
    const render = (r: string[]) =>
      indent +
      r
        .map((t, i) => pad(t, i))
        .join('  ')
        .trimEnd();
    this.line(this.paint('gray', render(columns.map((c) => c.header))));
    for (const r of cells) this.line(render(r));
  }

  /** Rewrites the current terminal line (TTY only): spinners and progress. */
  status(text: string): void {
    if (this.tty && !this.json) this.io.stdout.write(`\r\x1b[K${text}`);
  }

  clearStatus(): void {
    if (this.tty && !this.json) this.io.stdout.write('\r\x1b[K');
  }
}
