/**
 * Exit codes are part of the CLI contract (README "Exit codes").
 * Nothing below src/cli sets process.exitCode; code throws a KpostureError and
 * the CLI edge maps it to one line on stderr and one of these codes.
 */
export const ExitCode = {
  ok: 0,
  gateFailed: 1,
  usage: 2,
  cluster: 3,
  internal: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export type ErrorKind = 'usage' | 'input' | 'config' | 'cluster' | 'plugin';

const exitForKind: Record<ErrorKind, ExitCode> = {
  usage: ExitCode.usage,
  input: ExitCode.usage,
  config: ExitCode.usage,
  plugin: ExitCode.usage,
  cluster: ExitCode.cluster,
};

/** An error the user can fix: one line of what is wrong, one hint of what to do. */
export class KpostureError extends Error {
  readonly kind: ErrorKind;
  readonly hint: string | undefined;

  constructor(kind: ErrorKind, message: string, hint?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KpostureError';
    this.kind = kind;
    this.hint = hint;
  }

  get exitCode(): ExitCode {
    return exitForKind[this.kind];
  }

  /** The single line printed to stderr. */
  oneLine(): string {
    return this.hint ? `${this.message} (${this.hint})` : this.message;
  }
}

/**
 * An error's message. Read as a field: an error made in another realm (Node's internals seen from
 * a VM context, a worker) fails `instanceof Error` but still has its message.
 */
export function describeError(err: unknown): string {
  try {
    const message = (err as { message?: unknown } | null | undefined)?.message;
    return typeof message === 'string' ? message : String(err);
  } catch {
    // A null-prototype object, or one whose toString or message getter throws.
    return 'a thrown value that cannot be printed';
  }
}
