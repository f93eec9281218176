import { existsSync } from 'node:fs';
import { Command, Option } from 'commander';
import { ExitCode, KpostureError } from '../../errors.js';
import type { ImageContent } from '../../k8s/image-content.js';
import { DEFAULT_PLATFORM, inspectAll, type InspectTarget, type Platform } from '../../images/inspect.js';
import { inspectOptions } from '../../images/setup.js';
import { parseSource } from '../../images/source.js';
import { wrap } from '../../report/wrap.js';
import type { Io } from '../io.js';
import { collect, terminalWidth } from './shared.js';
import { progressOn } from '../progress.js';

interface ImageFlags {
  format: 'table' | 'json';
  insecureRegistry: string[];
  offline?: boolean;
  platform?: string;
  failOn?: 'full' | 'minimal';
  quiet?: boolean;
}

/** `kposture image REF…`: each image's class, read from its content. */
export function imageCommand(io: Io, setExit: (code: number) => void): Command {
  return new Command('image')
    .description('classify images by what they contain, read from their registry (or oci:DIR[:TAG], docker-archive:FILE) without pulling them')
    .argument('<ref...>', 'image references: registry/repo:tag, …@sha256:…, oci:DIR[:TAG], docker-archive:FILE')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('--insecure-registry <host[:port]>', 'reach this registry over plain HTTP or with an unverified certificate (repeatable)', collect, [])
    .option('--offline', 'send no request: answer from the cache of earlier inspections only')
    .option('--platform <os/arch>', 'platform to read from a multi-platform image (default linux/amd64)')
    .addOption(new Option('--fail-on <class>', 'exit 1 when an image is of this class or worse').choices(['full', 'minimal']))
    .option('-q, --quiet', 'no progress on stderr')
    .action(async (refs: string[], flags: ImageFlags) => {
      setExit(await runImage(refs, flags, io));
    });
}

function parsePlatform(text: string | undefined): Platform {
  if (text === undefined) return DEFAULT_PLATFORM;
  const m = /^([a-z0-9]+)\/([a-z0-9_]+)(?:\/([a-z0-9]+))?$/.exec(text);
  if (!m) throw new KpostureError('usage', `--platform ${text}: expected OS/ARCH[/VARIANT]`, 'e.g. --platform linux/arm64');
  return { os: m[1]!, architecture: m[2]!, ...(m[3] ? { variant: m[3] } : {}) };
}

async function runImage(refs: string[], flags: ImageFlags, io: Io): Promise<number> {
  const platform = parsePlatform(flags.platform);
  const targets: InspectTarget[] = refs.map((ref) => {
    const parsed = parseSource(ref);
    if (!parsed.ok)
      throw new KpostureError('usage', `${ref}: ${parsed.reason}`, 'write registry/repo:tag, registry/repo@sha256:…, oci:DIR[:TAG] or docker-archive:FILE');
    const local = parsed.spec.kind === 'oci' ? parsed.spec.dir : parsed.spec.kind === 'docker-archive' ? parsed.spec.file : undefined;
    if (local !== undefined && !existsSync(local))
      throw new KpostureError('input', `${ref}: ${local} does not exist`, 'oci: takes an OCI image layout directory, docker-archive: a docker save tarball');
    return { key: ref, source: parsed.spec, platform };
  });
  const progress = flags.quiet ? undefined : progressOn(io, () => performance.now());
  const options = inspectOptions({
    env: io.env,
    insecureRegistries: flags.insecureRegistry,
    offline: Boolean(flags.offline),
    now: () => Date.now(),
    ...(progress ? { onProgress: (done: number, total: number, bytes: number) => progress.status(describeInspection(done, total, bytes)) } : {}),
  });
  const results = await inspectAll(targets, options);
  progress?.done();
  const rows = refs.map((ref) => ({ ref, content: results.get(ref)! }));
  if (flags.format === 'json') io.stdout(`${JSON.stringify({ images: rows.map(({ ref, content }) => ({ ref, ...content })) }, null, 2)}\n`);
  else io.stdout(table(rows, terminalWidth(io)));
  if (rows.some((r) => r.content.status === 'unproven')) return ExitCode.cluster;
  const worse = flags.failOn === 'minimal' ? ['minimal', 'full'] : flags.failOn === 'full' ? ['full'] : [];
  return rows.some((r) => r.content.status === 'proven' && worse.includes(r.content.class)) ? ExitCode.gateFailed : ExitCode.ok;
}

function table(rows: { ref: string; content: ImageContent }[], width: number): string {
  const lines: string[] = [];
  for (const { ref, content } of rows) {
    lines.push(...wrap(ref, width));
    if (content.status === 'proven') {
      lines.push(...wrap(`${content.class} (${content.platform ?? 'platform unknown'})`, width, '  class: '));
      // A digest is copied whole: never broken across lines (71 characters fit an 80-column line).
      lines.push(...(10 + content.digest.length <= width ? [`  digest: ${content.digest}`] : ['  digest:', `    ${content.digest}`]));
      for (const e of content.evidence) lines.push(...wrap(e, width, '  - ', '    '));
    } else {
      lines.push(...wrap(`unknown: ${content.reason}`, width, '  class: '));
    }
    lines.push('');
  }
  return lines.join('\n');
}

/** `images: 3 of 10 inspected, 1.2 MiB read` for the progress line. */
export function describeInspection(done: number, total: number, bytes: number): string {
  return `images: ${done} of ${total} inspected, ${(bytes / (1 << 20)).toFixed(1)} MiB read`;
}
