import type { ReadCounts } from '../inventory/read.js';
import type { SnapshotProgress } from '../inventory/snapshot.js';
import type { Io } from './io.js';
import { visible } from '../util/terminal.js';

/**
 * Progress on stderr while the audit works. On a terminal: one status line, rewritten in place
 * (carriage return, erase line), with the lines worth keeping printed above it. In a log (CI):
 * the status as a full line now and then, never in the first `everyMs` — a short audit prints
 * nothing. No timer: each update reads the clock it was given, so tests pass their own.
 */
export interface Progress {
  /** What is going on now, e.g. `reading the cluster: kinds 3/27, 12 pages, 4,500 objects`. */
  status: (text: string) => void;
  /** A line to keep (which cluster is read, a kind that could not be listed): terminal only. */
  note: (text: string) => void;
  /** Clears the status line; nothing is written after. */
  done: () => void;
}

export interface ProgressOptions {
  /** A terminal: raw writes (kposture's own escape sequences) and its width. */
  terminal?: { write: (text: string) => void; columns: number };
  /** Not a terminal: writes one line (the newline added). */
  line?: (text: string) => void;
  /** Milliseconds, from any origin: `performance.now`, or a test's clock. */
  now: () => number;
  /** In a log, the least time between two status lines, and before the first (default 10 s). */
  everyMs?: number;
  /** On a terminal, the least time between two redraws (default 100 ms). */
  redrawMs?: number;
}

const ERASE_LINE = '\r\u001b[2K';

export function startProgress(options: ProgressOptions): Progress {
  return options.terminal
    ? terminalProgress(options.terminal, options.now, options.redrawMs ?? 100)
    : logProgress(options.line, options.now, options.everyMs ?? 10_000);
}

function terminalProgress(terminal: { write: (text: string) => void; columns: number }, now: () => number, redrawMs: number): Progress {
  let shown = '';
  let drawnAt = -Infinity;
  let finished = false;
  // One column short of the width: a line as wide as the terminal wraps in some of them, and
  // a carriage return then goes back only to the start of the wrapped part.
  const fit = (text: string): string => {
    const chars = Array.from(visible(text));
    const room = Math.max(10, terminal.columns - 1);
    return chars.length <= room ? chars.join('') : `${chars.slice(0, room - 1).join('')}…`;
  };
  return {
    status: (text) => {
      if (finished) return;
      const t = now();
      if (t - drawnAt < redrawMs) return;
      shown = fit(text);
      drawnAt = t;
      terminal.write(`${ERASE_LINE}${shown}`);
    },
    note: (text) => {
      if (finished) return;
      terminal.write(`${ERASE_LINE}${visible(text)}\n${shown}`);
    },
    done: () => {
      if (finished) return;
      finished = true;
      if (shown !== '') terminal.write(ERASE_LINE);
    },
  };
}

function logProgress(line: ((text: string) => void) | undefined, now: () => number, everyMs: number): Progress {
  const started = now();
  let printedAt = started;
  let finished = false;
  return {
    status: (text) => {
      const t = now();
      if (finished || !line || t - printedAt < everyMs) return;
      printedAt = t;
      line(`${text} (${Math.round((t - started) / 1000)} s)`);
    },
    note: () => undefined,
    done: () => {
      finished = true;
    },
  };
}

/** `reading the cluster: kinds 3/27, 12 pages, 4,500 objects`. */
export function describeCounts(counts: ReadCounts): string {
  const n = (x: number): string => x.toLocaleString('en-US');
  return `reading the cluster: kinds ${counts.kindsDone}/${counts.kinds}, ${n(counts.pages)} page${counts.pages === 1 ? '' : 's'}, ${n(counts.objects)} objects`;
}

export function describeSnapshotProgress(progress: SnapshotProgress): string {
  const n = (x: number): string => x.toLocaleString('en-US');
  return `reading the snapshot: files ${progress.filesDone}/${progress.files}, ${n(progress.objects)} objects`;
}

/** Progress for this process's stderr: a status line on a terminal, a line now and then in a log. */
export function progressOn(io: Io, now: () => number): Progress {
  if (io.stderrIsTTY && io.stderrRaw) return startProgress({ terminal: { write: io.stderrRaw, columns: io.stderrColumns ?? 80 }, now });
  return startProgress({ line: (text) => io.stderr(`${visible(text)}\n`), now });
}
