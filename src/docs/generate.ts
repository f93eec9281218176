import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILTIN_CHECKS } from '../../checks/index.js';
import { writeCheckDocs } from './check-docs.js';

/** `npm run docs`: refreshes the generated block of every docs/checks/<ID>.md page. */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const written = writeCheckDocs(BUILTIN_CHECKS, path.join(ROOT, 'docs/checks'));
process.stdout.write(written.length ? `updated ${written.length} page(s)\n` : 'docs/checks is up to date\n');
