import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { KpostureError } from '../errors.js';

/** The project config file's names, looked for in the working directory and upward. */
const PROJECT_CONFIG_NAMES = ['.kposture.yaml', '.kposture.yml'] as const;

/**
 * The project config file for a working directory: the first `.kposture.yaml` (or `.yml`) in it
 * or a directory above it, as `.eslintrc` and `.trivyignore` are found. The walk stops at the
 * root of the repository (a directory holding `.git`, a folder or, in worktrees and submodules, a
 * file), so that a file outside the project never configures its audit, and at the filesystem
 * root. Undefined when there is none.
 */
function findProjectConfig(cwd: string): string | undefined {
  let dir = path.resolve(cwd);
  for (;;) {
    const found = PROJECT_CONFIG_NAMES.map((name) => path.join(dir, name)).filter(isFile);
    if (found.length > 1) {
      throw new KpostureError('config', `config: both ${found.map((f) => path.basename(f)).join(' and ')} in ${dir}`, 'keep one of them');
    }
    if (found[0]) return found[0];
    const parent = path.dirname(dir);
    if (existsSync(path.join(dir, '.git')) || parent === dir) return undefined;
    dir = parent;
  }
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * The config file an audit reads: `--config FILE` (relative to the working directory), none with
 * `--no-config`, else the project file found from the working directory. `shownAs` is how
 * messages and the report name it: as given, or relative to the working directory.
 */
export function configToRead(flag: string | false | undefined, cwd: string): { path: string; shownAs: string; found: boolean } | undefined {
  if (flag === false) return undefined;
  if (flag !== undefined) return { path: path.resolve(cwd, flag), shownAs: flag, found: false };
  const found = findProjectConfig(cwd);
  return found ? { path: found, shownAs: path.relative(cwd, found) || found, found: true } : undefined;
}
