import type { Registry } from 'prom-client';
import { KpostureError } from '../errors.js';

/** Where --pushgateway sends the metrics and under which grouping key. */
export interface PushTarget {
  url: URL;
  job: string;
  groupings: Record<string, string>;
}

const PUSH_TIMEOUT_MS = 30_000;
/** Label names as Prometheus accepts them (https://prometheus.io/docs/concepts/data_model/). */
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** The URL as it may be shown: without a user name or password written into it. */
function shownUrl(url: URL): string {
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  return copy.href;
}

/** Reads --pushgateway, --pushgateway-job and --pushgateway-group before any work is done. */
export function pushTarget(gateway: string, job: string, groups: readonly string[]): PushTarget {
  let url: URL;
  try {
    url = new URL(gateway);
  } catch {
    throw new KpostureError('usage', `--pushgateway ${gateway}: not a URL`, 'e.g. --pushgateway http://pushgateway.monitoring:9091');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new KpostureError(
      'usage',
      `--pushgateway ${shownUrl(url)}: only http and https are supported`,
      'e.g. --pushgateway http://pushgateway.monitoring:9091',
    );
  }
  if (job.trim() === '') throw new KpostureError('usage', '--pushgateway-job: the job name is empty', 'e.g. --pushgateway-job kposture');
  const groupings: Record<string, string> = {};
  for (const g of groups) {
    const eq = g.indexOf('=');
    const key = eq > 0 ? g.slice(0, eq) : '';
    if (!LABEL_NAME.test(key) || key === 'job' || eq === g.length - 1) {
      throw new KpostureError(
        'usage',
        `--pushgateway-group ${g}: expected LABEL=VALUE with a label name other than job`,
        'e.g. --pushgateway-group cluster=prod-eu1',
      );
    }
    groupings[key] = g.slice(eq + 1);
  }
  return { url, job, groupings };
}

/**
 * Replaces the metrics of the target's group on the Pushgateway with the registry's (HTTP PUT:
 * series of an earlier run that this one no longer has, such as a check now passing, go away).
 * A gateway that cannot be reached or refuses the push is exit 2, like an output file that cannot
 * be written; the reports are written by then.
 */
export async function pushMetrics(target: PushTarget, registry: Registry): Promise<void> {
  const { Pushgateway } = await import('prom-client');
  const gateway = new Pushgateway(target.url.href, { timeout: PUSH_TIMEOUT_MS }, registry);
  try {
    await gateway.push({ jobName: target.job, groupings: target.groupings });
  } catch (err) {
    const why = (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 300);
    throw new KpostureError(
      'input',
      `--pushgateway ${shownUrl(target.url)}: the push failed: ${why}`,
      'check that the Pushgateway is reachable from here (docs/in-cluster.md); the report files were written',
      { cause: err },
    );
  }
}
