/** OS tools some tests drive when they are installed (the CI image installs them: .ci/run). */
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** The absolute path of `name` on PATH (or one of `extra`), or undefined when it is not installed. */
export function findTool(name: string, extra: string[] = []): string | undefined {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  for (const candidate of [...extra, ...dirs.map((d) => path.join(d, name))]) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}
