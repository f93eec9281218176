import { closeSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
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
}

export function processIo(): Io {
  return {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    env: process.env,
    cwd: process.cwd(),
  };
}

/** Writes a whole file or nothing: a temp file beside the target, then rename. */
export function writeFileAtomic(file: string, content: string): void {
  writeFilesAtomic([{ file, content }]);
}

/**
 * Writes a set of files all or none: every temp file is written first, and only when all
 * of them are on disk are they renamed into place. A failure removes the temp files and
 * leaves every existing target untouched.
 */
export function writeFilesAtomic(files: { file: string; content: string }[]): void {
  const staged: { tmp: string; file: string }[] = [];
  let current = '';
  try {
    for (const { file, content } of files) {
      current = file;
      if (isSpecialFile(file)) continue; // written directly below, after every regular file is staged
      const dir = path.dirname(file);
      const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(tmp, content, { encoding: 'utf8', mode: 0o644 });
      staged.push({ tmp, file });
    }
    for (const { file, content } of files) {
      current = file;
      // A device or pipe (`-o /dev/stdout`, `/dev/null`) is written in place: renaming over it
      // would replace the device node itself (as root) with a regular file.
      if (isSpecialFile(file)) writeFileSync(file, content, 'utf8');
    }
    for (const { tmp, file } of staged) {
      current = file;
      renameSync(tmp, file);
    }
  } catch (err) {
    for (const { tmp } of staged) removeQuietly(tmp);
    throw new KpostureError('input', `cannot write ${current}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'check that the folder exists and is writable');
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

/**
 * Writes a document given as chunks (see json-chunks.ts) whole or not at all, without ever
 * holding it in one string: chunks are gathered into ~1 MiB writes to a temp file, then renamed.
 */
export function writeChunksAtomic(file: string, chunks: Iterable<string>): void {
  const special = isSpecialFile(file);
  const dir = path.dirname(file);
  const tmp = special ? file : path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  let fd: number | undefined;
  try {
    if (!special) mkdirSync(dir, { recursive: true });
    fd = openSync(tmp, 'w', 0o644);
    let pending: string[] = [];
    let size = 0;
    for (const chunk of chunks) {
      pending.push(chunk);
      size += chunk.length;
      if (size >= 1 << 20) {
        writeSync(fd, pending.join(''));
        pending = [];
        size = 0;
      }
    }
    writeSync(fd, pending.join(''));
    closeSync(fd);
    fd = undefined;
    if (!special) renameSync(tmp, file);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    if (!special) removeQuietly(tmp);
    throw new KpostureError('input', `cannot write ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'check that the folder exists and is writable');
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
