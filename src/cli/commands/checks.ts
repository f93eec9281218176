import { Command, Option } from 'commander';
import { BUILTIN_CHECKS } from '../../../checks/index.js';
import { KpostureError } from '../../errors.js';
import { loadPlugins } from '../../engine/plugins.js';
import type { Check } from '../../engine/check.js';
import { CheckIds } from '../../engine/selection.js';
import { collect } from './shared.js';
import type { Io } from '../io.js';

async function allChecks(plugins: string[], io: Io): Promise<Check[]> {
  return [...BUILTIN_CHECKS, ...(await loadPlugins(plugins, io.cwd))].sort((a, b) => a.meta.id.localeCompare(b.meta.id, 'en'));
}

export function checksCommand(io: Io): Command {
  return new Command('checks')
    .description('list the checks')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--plugin <file>', 'include checks from an ESM module (repeatable)', collect, [])
    .action(async (flags: { format: string; plugin: string[] }) => {
      const checks = await allChecks(flags.plugin, io);
      if (flags.format === 'json') {
        io.stdout(
          `${JSON.stringify(
            checks.map((c) => c.meta),
            null,
            2,
          )}\n`,
        );
        return;
      }
      const width = Math.max(...checks.map((c) => c.meta.id.length));
      for (const c of checks) {
        io.stdout(`${c.meta.id.padEnd(width)}  ${c.meta.category.padEnd(13)}  ${c.meta.severity.padEnd(8)}  ${c.meta.title}\n`);
      }
    });
}

export function explainCommand(io: Io): Command {
  return new Command('explain')
    .description("print one check's rationale, remediation and references")
    .argument('<id>', 'check id, e.g. NP-02')
    .option('--plugin <file>', 'include checks from an ESM module (repeatable)', collect, [])
    .action(async (id: string, flags: { plugin: string[] }) => {
      const checks = await allChecks(flags.plugin, io);
      const ids = new CheckIds(checks);
      const check = ids.find(id);
      if (!check) throw new KpostureError('usage', `unknown check id ${id}`, ids.hint(id));
      io.stdout(explainText(check));
    });
}

function explainText(check: Check): string {
  const m = check.meta;
  return [
    `${m.id}: ${m.title}`,
    `category: ${m.category}   severity: ${m.severity}   ${readsText(check)}`,
    '',
    'Why',
    indent(m.rationale),
    '',
    'How to fix',
    indent(m.remediation),
    '',
    'References',
    ...m.references.map((r) => `  - ${r}`),
    '',
  ].join('\n');
}

/** What a check reads: the kinds it needs, then those it uses when they can be read. */
function readsText(check: Check): string {
  const { reads, optionalReads = [] } = check.meta;
  const parts = [reads.length ? `reads: ${reads.join(', ')}` : '', optionalReads.length ? `reads when available: ${optionalReads.join(', ')}` : ''];
  return parts.filter(Boolean).join('   ') || 'reads: nothing';
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}
