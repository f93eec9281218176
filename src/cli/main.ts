import { Command, CommanderError } from 'commander';
import { ExitCode, KpostureError } from '../errors.js';
import { VERSION } from '../version.js';
import { visible, visibleLines } from '../util/terminal.js';
import { processIo, type Io } from './io.js';
import { auditCommand } from './commands/audit.js';
import { checksCommand, explainCommand } from './commands/checks.js';
import { diffCommand } from './commands/diff.js';
import { imageCommand } from './commands/image.js';
import { rbacCommand } from './commands/rbac.js';
import { snapshotCommand } from './commands/snapshot.js';

/**
 * Runs the CLI and returns the exit code. Nothing else sets process.exitCode;
 * errors become one line on stderr (the stack only with --debug).
 */
export async function main(argv: string[], given: Io = processIo()): Promise<number> {
  // Server messages, snapshot content and file names reach stderr: whatever writes there, no
  // control character but the line feed gets through unescaped (util/terminal.ts).
  const io: Io = { ...given, stderr: (text) => given.stderr(visibleLines(text)) };
  const debug = argv.includes('--debug');
  let exitCode: number = ExitCode.ok;
  const setExit = (code: number): void => {
    exitCode = code;
  };
  const program = new Command('kposture')
    .description('Audit the security posture of a Kubernetes cluster against an architectural checklist')
    .version(VERSION, '-V, --version')
    .option('--debug', 'print stack traces and request logs on stderr')
    .showSuggestionAfterError(true)
    .enablePositionalOptions(false)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout(s),
      writeErr: (s) => io.stderr(s),
      outputError: (s, write) => write(`kposture: ${s.replace(/^error: /, '').trim()}\n`),
    });
  program.addCommand(auditCommand(io, setExit));
  program.addCommand(checksCommand(io));
  program.addCommand(diffCommand(io, setExit));
  program.addCommand(explainCommand(io));
  program.addCommand(imageCommand(io, setExit));
  program.addCommand(rbacCommand(io));
  program.addCommand(snapshotCommand(io));
  for (const cmd of program.commands) {
    cmd.option('--debug', 'print stack traces and request logs on stderr').exitOverride();
    cmd.configureOutput({
      writeOut: (s) => io.stdout(s),
      writeErr: (s) => io.stderr(s),
      outputError: (s, write) => write(`kposture ${cmd.name()}: ${s.replace(/^error: /, '').trim()}\n`),
    });
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    return handleError(err, io, debug);
  }
}

function handleError(err: unknown, io: Io, debug: boolean): number {
  if (err instanceof CommanderError) {
    // Help and version exit 0; commander already printed the usage error line.
    if (err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return ExitCode.ok;
    if (err.code === 'commander.help') return ExitCode.ok;
    return ExitCode.usage;
  }
  if (err instanceof KpostureError) {
    io.stderr(`kposture: ${visible(err.oneLine())}\n`);
    if (debug && err.stack) io.stderr(`${err.stack}\n`);
    return err.exitCode;
  }
  const message = err instanceof Error ? err.message : String(err);
  io.stderr(`kposture: internal error: ${visible(message.split('\n')[0]!)} (please report it; rerun with --debug for details)\n`);
  if (debug && err instanceof Error && err.stack) io.stderr(`${err.stack}\n`);
  return ExitCode.internal;
}
