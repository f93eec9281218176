import { Command, Option } from 'commander';
import { diffReports, gateOfDiff } from '../../report/diff.js';
import { DIFF_FORMATS, DIFF_RENDERERS } from '../../report/diff-render.js';
import { FAIL_ON_VALUES } from '../../report/gate-rules.js';
import { checkDestinations, writeFilesAtomic, type Io } from '../io.js';
import { readReportFile } from '../report-file.js';
import { collect, parsePercent, printLine, useColor } from './shared.js';

interface DiffFlags {
  format: string;
  output?: string;
  failOn?: string[];
  maxScoreDrop?: number;
  color: boolean;
}

export function diffCommand(io: Io, setExit: (code: number) => void): Command {
  return new Command('diff')
    .description('compare two JSON reports of `kposture audit`: score, coverage, checks and findings that changed')
    .argument('<old.json>', 'the earlier report (e.g. from the main branch)')
    .argument('<new.json>', 'the later report')
    .addOption(new Option('-f, --format <format>', 'output format').choices(DIFF_FORMATS).default('table'))
    .option('-o, --output <file>', 'write the diff to this file instead of stdout')
    .option('--fail-on <what>', `exit 1 on: ${FAIL_ON_VALUES.join(', ')} (a finding the old report did not have)`, collect, [])
    .option('--max-score-drop <points>', "exit 1 when the new score is more than this below the old one's", (v) => parsePercent(v, '--max-score-drop'))
    .option('--no-color', 'disable colors')
    .action((oldFile: string, newFile: string, flags: DiffFlags) => {
      setExit(runDiff(oldFile, newFile, flags, io));
    });
}

function runDiff(oldFile: string, newFile: string, flags: DiffFlags, io: Io): number {
  if (flags.output) checkDestinations([flags.output]);
  const before = readReportFile(oldFile);
  const after = readReportFile(newFile);
  const diff = diffReports(before, after, { old: oldFile, new: newFile });
  const settings = { failOn: flags.failOn ?? [], ...(flags.maxScoreDrop !== undefined ? { maxScoreDrop: flags.maxScoreDrop } : {}) };
  const gate = gateOfDiff(diff, after, settings);
  if (gate) diff.gate = gate;
  const render = DIFF_RENDERERS[flags.format]!;
  if (flags.output) {
    writeFilesAtomic([{ file: flags.output, content: render(diff, { color: false }) }]);
    printLine(io, `wrote ${flags.output}`);
  } else {
    io.stdout(render(diff, { color: useColor(flags.color, io, true), width: terminalWidth(io) }));
  }
  if (gate && !gate.passed) printLine(io, `gate failed: ${gate.reasons.join('; ')}`);
  return gate && !gate.passed ? 1 : 0;
}

/** `COLUMNS` when it is set to a usable width, else 80 (a CI log, a pipe). */
function terminalWidth(io: Io): number {
  const columns = Number(io.env.COLUMNS);
  return Number.isInteger(columns) && columns >= 40 ? columns : 80;
}
