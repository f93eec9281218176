import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, linkSync, lstatSync, mkdirSync, openSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
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
  /** Columns of the terminal stdout is, when it is one: the table wraps to it. */
  stdoutColumns?: number;
  /** Columns of the terminal stderr is, when it is one: the progress line fits in it. */
  stderrColumns?: number;
  /**
   * Writes to stderr as it is, unescaped: only for kposture's own terminal sequences (the
   * progress line that rewrites itself) around text already passed through `visible`.
   */
  stderrRaw?: (text: string) => void;
  /**
   * The CLI is the whole process (bin/kposture.js), not a caller's guest: it may change
   * process-wide settings, such as how V8 grows the heap (util/heap.ts).
   */
  ownsProcess?: boolean;
  /** The clock: when the report is made and which waivers have expired. Tests pass a fixed one. */
  now?: () => Date;
  /** All of standard input (`--manifests -`); the process's when absent. */
  readStdin?: () => Promise<string>;
}

/** The process's standard input, to its end. */
export async function readProcessStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

export function processIo(): Io {
  return {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    stdoutIsTTY: isTTY(process.stdout),
    stderrIsTTY: isTTY(process.stderr),
    env: process.env,
    cwd: process.cwd(),
    ...(process.stdout.columns ? { stdoutColumns: process.stdout.columns } : {}),
    ...(process.stderr.columns ? { stderrColumns: process.stderr.columns } : {}),
    stderrRaw: (t) => process.stderr.write(t),
    ownsProcess: true,
  };
}

/** Node's types say `isTTY: boolean`, but a stream that is a pipe or a file has none. */
function isTTY(stream: { isTTY?: boolean }): boolean {
  return stream.isTTY === true;
}

/** Prints rendered pieces to stdout in writes of ~32 Ki characters (see batches). */
export function writeStdout(io: Io, chunks: Iterable<string>): void {
  for (const text of batches(chunks)) io.stdout(text);
}

/**
 * Joins small pieces into strings of about 32 Ki characters. Strings this small are made in
 * V8's young generation and die there; a string over ~128 KiB goes to the large-object space,
 * which only a full collection frees, so larger batches leave a large report in the heap as
 * garbage and raise the audit's peak RSS (docs/performance.md#what-the-heap-holds).
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

/**
 * The steps of writeFilesAtomic that tests replace to provoke a fault the file system will not
 * produce on demand (a rename that fails halfway through a set, a name already taken).
 */
export interface WriteSteps {
  /** Puts a finished temp file in place of its target. */
  rename: (from: string, to: string) => void;
  /** The unpredictable part of temp and backup names. */
  token: () => string;
}

const DEFAULT_STEPS: WriteSteps = {
  rename: (from, to) => renameSync(from, to),
  token: () => randomBytes(8).toString('hex'),
};

/** Writes a document given as chunks (see util/json-chunks.ts) whole or not at all, never as one string. */
export function writeChunksAtomic(file: string, chunks: Iterable<string>): void {
  writeFilesAtomic([{ file, content: chunks }]);
}

/**
 * Checks, before any work is done, that each file could be written: it is not a folder, is
 * named once, and its folder exists or can be created. Nothing is left behind: a folder created
 * to find out is removed again (`/proc/x` exists only to try: mkdir fails there with ENOENT).
 */
export function checkDestinations(files: readonly string[]): void {
  checkNamedOnce(files);
  for (const file of files) {
    checkNotFolder(file);
    const created = createParents(file);
    for (const dir of created.reverse()) removeEmptyFolder(dir);
  }
}

/**
 * Writes a set of files all or none. Every destination is checked first (see checkDestinations;
 * missing folders are created, and removed again if the write fails); then every temp file is
 * written; then they are renamed into place one by one, each replaced file kept under a backup
 * name until all are in place, so a failed rename puts back what the earlier ones replaced. Temp files get an unpredictable name
 * and are created exclusively, so a link planted beside the target is never followed.
 * Chunked content is gathered into writes of ~32 Ki characters, so a report larger than a V8
 * string can hold is never held whole. An error thrown while the content is produced is passed
 * on as it is (after clean-up); only file-system errors become "cannot write".
 */
export function writeFilesAtomic(files: { file: string; content: FileContent }[], steps: Partial<WriteSteps> = {}): void {
  const { rename, token } = { ...DEFAULT_STEPS, ...steps };
  checkNamedOnce(files.map((f) => f.file));
  for (const { file } of files) checkNotFolder(file);
  const folders: string[] = [];
  try {
    for (const { file } of files) folders.push(...createParents(file));
    stageAndCommit(files, rename, token);
  } catch (err) {
    for (const folder of folders.reverse()) removeEmptyFolder(folder);
    throw err;
  }
}

function stageAndCommit(files: { file: string; content: FileContent }[], rename: WriteSteps['rename'], token: () => string): void {
  const staged: { tmp: string; file: string }[] = [];
  try {
    for (const { file, content } of files) {
      if (isSpecialFile(file)) continue; // written directly below, after every regular file is staged
      // No more readable than the file it replaces while it is written; a new file gets the mode
      // any new file gets here (0o666 less the umask).
      const mode = replacedMode(file);
      const { tmp, fd } = createTemp(file, mode ?? 0o666, token);
      staged.push({ tmp, file });
      writeContent(fd, file, content, mode);
    }
    for (const { file, content } of files) {
      // A device or pipe (`-o /dev/stdout`, `/dev/null`) is written in place: renaming over it
      // would replace the device node itself (as root) with a regular file.
      if (isSpecialFile(file))
        writeContent(
          onFile(file, () => openSync(file, 'w')),
          file,
          content,
          undefined,
        );
    }
  } catch (err) {
    for (const { tmp } of staged) removeQuietly(tmp);
    throw err;
  }
  commit(staged, rename, token);
}

/** Renames each temp file into place; if one fails, the files already replaced are put back. */
function commit(staged: { tmp: string; file: string }[], rename: WriteSteps['rename'], token: () => string): void {
  const placed: { file: string; backup: string | undefined }[] = [];
  const lost: string[] = [];
  try {
    for (const { tmp, file } of staged) {
      const backup = onFile(file, () => keepBackup(file, token));
      try {
        onFile(file, () => rename(tmp, file));
      } catch (err) {
        // Nothing of this run is at `file` yet: only a target moved aside has to come back.
        if (backup && !putBack(file, backup)) lost.push(describeLost(file, backup));
        throw err;
      }
      placed.push({ file, backup });
    }
  } catch (err) {
    for (const { tmp } of staged) removeQuietly(tmp);
    for (const { file, backup } of placed.reverse()) if (!putBack(file, backup)) lost.push(describeLost(file, backup));
    if (lost.length > 0 && err instanceof KpostureError) {
      throw new KpostureError(err.kind, `${err.message}; could not put back ${lost.join(', ')}`, err.hint);
    }
    throw err;
  }
  for (const { backup } of placed) if (backup) removeQuietly(backup);
}

function describeLost(file: string, backup: string | undefined): string {
  return backup ? `${file} (its previous content is in ${backup})` : `${file} (new, written by this run)`;
}

/**
 * Keeps the file a rename is about to replace under an unpredictable name beside it, as a hard
 * link (the target stays in place meanwhile), or moved aside where hard links are refused.
 * Returns undefined when there is nothing to keep.
 */
function keepBackup(file: string, token: () => string): string | undefined {
  if (!exists(file)) return undefined;
  checkNotFolder(file); // again: one may have appeared since the checks
  return withFreshName(file, 'old', token, (backup) => {
    try {
      linkSync(file, backup);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw err;
      renameNoReplace(file, backup);
    }
  });
}

/**
 * Undoes one rename: the backup goes back (over the new file, or into the place it was moved
 * from), or a file that did not exist before is removed.
 */
function putBack(file: string, backup: string | undefined): boolean {
  try {
    // rename() between two links to one file does nothing, leaving the backup name behind.
    if (backup && sameFile(backup, file)) rmSync(backup);
    else if (backup) renameSync(backup, file);
    else rmSync(file, { force: true });
    return true;
  } catch {
    return false;
  }
}

function sameFile(a: string, b: string): boolean {
  try {
    const [x, y] = [lstatSync(a), lstatSync(b)];
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

/** Moves a file to a name that must be free (renameSync would replace whatever is there). */
function renameNoReplace(from: string, to: string): void {
  if (exists(to)) throw Object.assign(new Error(`${to} exists`), { code: 'EEXIST' });
  renameSync(from, to);
}

/**
 * Creates the temp file beside the target: an unpredictable name opened with O_CREAT|O_EXCL,
 * which fails on an existing name, a symbolic link included, instead of following it.
 */
function createTemp(file: string, mode: number, token: () => string): { tmp: string; fd: number } {
  let fd = -1;
  const tmp = withFreshName(file, 'tmp', token, (name) => {
    fd = openSync(name, 'wx', mode);
  });
  return { tmp, fd };
}

/** 64 random bits never collide by chance: a taken name was planted, and a few retries outlast a guesser. */
const TRIES = 8;

/** Runs `create` on `.NAME.TOKEN.SUFFIX` beside the file until a name is free; returns that name. */
function withFreshName(file: string, suffix: string, token: () => string, create: (name: string) => void): string {
  // Kept under NAME_MAX (255 bytes) whatever the length of the target's name.
  const base = firstBytes(path.basename(file), 200);
  let last: unknown;
  for (let i = 0; i < TRIES; i++) {
    const name = path.join(path.dirname(file), `.${base}.${token()}.${suffix}`);
    try {
      create(name);
      return name;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw cannotWrite(file, err);
      last = err;
    }
  }
  throw cannotWrite(file, last);
}

/** The longest start of `text` that fits in `max` UTF-8 bytes, cut between characters. */
function firstBytes(text: string, max: number): string {
  let out = '';
  for (const ch of text) {
    if (Buffer.byteLength(out + ch) > max) break;
    out += ch;
  }
  return out;
}

/** The mode of the regular file a write replaces, kept by its replacement. */
function replacedMode(file: string): number | undefined {
  try {
    const stat = lstatSync(file);
    return stat.isFile() ? stat.mode & 0o777 : undefined;
  } catch {
    return undefined;
  }
}

function writeContent(fd: number, file: string, content: FileContent, mode: number | undefined): void {
  try {
    if (typeof content === 'string') onFile(file, () => writeFileSync(fd, content, 'utf8'));
    else for (const text of batches(content)) onFile(file, () => writeFileSync(fd, text, 'utf8'));
    // Opening applied the umask to the replaced file's mode; the replacement keeps it exactly.
    if (mode !== undefined) onFile(file, () => fchmodSync(fd, mode));
  } finally {
    closeSync(fd);
  }
}

function checkNamedOnce(files: readonly string[]): void {
  const seen = new Set<string>();
  for (const file of files) {
    const key = path.resolve(file);
    if (seen.has(key)) throw new KpostureError('usage', `cannot write ${file}: it is named twice`, 'give each report its own file');
    seen.add(key);
  }
}

function checkNotFolder(file: string): void {
  let folder = false;
  try {
    folder = statSync(file).isDirectory();
  } catch {
    // Missing (or unreadable): creating the file will tell.
  }
  if (folder) throw new KpostureError('usage', `cannot write ${file}: it is a folder`, 'give a file name');
}

/**
 * Creates the file's missing folders one level at a time, never recursively: Node's recursive
 * mkdir loops forever where mkdir fails with ENOENT under an existing folder (`/proc/x/y`).
 * Returns the folders it created, outermost first.
 */
function createParents(file: string): string[] {
  const missing: string[] = [];
  let dir = path.dirname(path.resolve(file));
  while (!exists(dir)) {
    missing.unshift(dir);
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  if (exists(dir) && !isFolder(dir)) {
    throw new KpostureError('input', `cannot write ${file}: ${dir} is not a folder`, 'check the path');
  }
  const created: string[] = [];
  for (const level of missing) {
    try {
      mkdirSync(level);
      created.push(level);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && isFolder(level)) continue;
      for (const made of created.reverse()) removeEmptyFolder(made);
      throw new KpostureError(
        'input',
        `cannot write ${file}: cannot create folder ${level}: ${code ?? (err as Error).message}`,
        'check that the folder exists and is writable',
      );
    }
  }
  return created;
}

/** Runs one file-system step; its failure becomes the one-line "cannot write FILE" error. */
function onFile<T>(file: string, step: () => T): T {
  try {
    return step();
  } catch (err) {
    throw cannotWrite(file, err);
  }
}

function cannotWrite(file: string, err: unknown): KpostureError {
  if (err instanceof KpostureError) return err;
  return new KpostureError(
    'input',
    `cannot write ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    'check that the folder exists and is writable',
  );
}

/** Whether anything, a dangling symbolic link included, has this name. */
function exists(file: string): boolean {
  try {
    lstatSync(file);
    return true;
  } catch {
    return false;
  }
}

function isFolder(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
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

function removeEmptyFolder(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // Someone put something in it meanwhile: it is theirs now.
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
