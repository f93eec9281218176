import { KpostureError } from '../errors.js';
import type { KindId } from '../k8s/kinds.js';
import type { Inventory } from './inventory.js';

export interface LiveOptions {
  kubeconfig?: string;
  context?: string;
  kinds: KindId[];
  requestTimeoutMs?: number;
  log?: (line: string) => void;
}

/** Placeholder until the live collector lands (issue 2, live half). */
export async function collectLive(_options: LiveOptions): Promise<Inventory> {
  throw new KpostureError('usage', 'live mode is not built yet', 'use --snapshot');
}
