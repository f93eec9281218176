import { closeSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { KpostureError } from '../errors.js';

/** Where the CLI writes; tests pass their own to run main() in-process. */
export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /**
   * The CLI is the whole process (bin/kposture.js), not a caller's guest: it may change
   * process-wide settings, such as how V8 grows the heap (util/heap.ts).
   */
  ownsProcess?: boolean;
}

export function processIo(): Io {
  return {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    env: process.env,
    cwd: process.cwd(),
    ownsProcess: true,
  };
}

/** Prints rendered pieces to stdout in writes of ~32 Ki characters (see batches). */
export function writeStdout(io: Io, chunks: Iterable<string>): void {
  for (const text of batches(chunks)) io.stdout(text);
}

/**
 * Joins small pieces into strings of about 32 Ki characters. Strings this small are made in
 * V8's young generation and die there; a string over ~128 KiB goes to the large-object space,
 * which only a full collection frees: 1 MiB batches left the 60 MB report of a 150,000-pod
 * cluster in the heap as garbage and raised the audit's peak RSS by ~50 MB.
 */
const BATCH_CHARS = 32 * 1024;
function* batches(chunks: Iterable<string>): Generator<string> {
  let pending: string[] = [];
  let size = 0;
  for (const chunk of chunks) {
    pending.push(chunk);
    size += chunk.length;
    if (size >= BATCH_CHARS) {
      yield pending.join('');
      pending = [];
      size = 0;
    }
  }
  if (pending.length > 0) yield pending.join('');
}

/** What a file receives: one string, or pieces written in order (a large JSON report). */
export type FileContent = string | Iterable<string>;

/** Writes a whole file or nothing: a temp file beside the target, then rename. */
export function writeFileAtomic(file: string, content: FileContent): void {
  writeFilesAtomic([{ file, content }]);
}

/** Writes a document given as chunks (see util/json-chunks.ts) whole or not at all, never as one string. */
export function writeChunksAtomic(file: string, chunks: Iterable<string>): void {
  writeFilesAtomic([{ file, content: chunks }]);
}

/**
 * Writes a set of files all or none: every temp file is written first, and only when all
 * of them are on disk are they renamed into place. A failure removes the temp files and
 * leaves every existing target untouched. Chunked content is gathered into writes of ~32 Ki
 * characters, so a report larger than a V8 string can hold is never held whole. An error thrown
 * while the content is produced is passed on as it is (after clean-up); only file-system errors
 * become "cannot write".
 */
export function writeFilesAtomic(files: { file: string; content: FileContent }[]): void {
  const staged: { tmp: string; file: string }[] = [];
  try {
    for (const { file, content } of files) {
      if (isSpecialFile(file)) continue; // written directly below, after every regular file is staged
      const dir = path.dirname(file);
      const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
      onFile(file, () => mkdirSync(dir, { recursive: true }));
      staged.push({ tmp, file });
      writeContent(tmp, file, content);
    }
    for (const { file, content } of files) {
      // A device or pipe (`-o /dev/stdout`, `/dev/null`) is written in place: renaming over it
      // would replace the device node itself (as root) with a regular file.
      if (isSpecialFile(file)) writeContent(file, file, content);
    }
    for (const { tmp, file } of staged) onFile(file, () => renameSync(tmp, file));
  } catch (err) {
    for (const { tmp } of staged) removeQuietly(tmp);
    throw err;
  }
}

function writeContent(target: string, file: string, content: FileContent): void {
  const fd = onFile(file, () => openSync(target, 'w', 0o644));
  try {
    if (typeof content === 'string') {
      onFile(file, () => writeFileSync(fd, content, 'utf8'));
      return;
    }
    for (const text of batches(content)) onFile(file, () => writeFileSync(fd, text, 'utf8'));
  } finally {
    closeSync(fd);
  }
}

/** Runs one file-system step; its failure becomes the one-line "cannot write FILE" error. */
function onFile<T>(file: string, step: () => T): T {
  try {
    return step();
  } catch (err) {
    throw new KpostureError('input', `cannot write ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'check that the folder exists and is writable');
  }
}

function isSpecialFile(file: string): boolean {
  try {
    const stat = statSync(file);
    return !stat.isFile() && !stat.isDirectory();
  } catch {
    return false;
  }
}

/** Removes a temp file that may never have been created (its folder may even be a file). */
function removeQuietly(file: string): void {
  try {
    rmSync(file, { force: true });
  } catch {
    // Nothing was there to remove.
  }
}
