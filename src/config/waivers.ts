import { KpostureError } from '../errors.js';
import { compileLabelSelector } from '../k8s/labels.js';
import { canonicalCheckId, type Waiver, type WaiverSubject } from '../engine/waiver-model.js';
import type { ConfigWaiver } from './config.js';

/**
 * The config file's `waivers:` (already validated against the schema) as waivers: check ids in
 * their canonical spelling, selectors compiled. What the schema cannot know is checked here and
 * is exit 2 naming the file and field: an unknown check id, a selector Kubernetes would reject,
 * a waiver without `expires` unless permanent waivers are allowed.
 */
export function configWaivers(entries: readonly ConfigWaiver[], file: string, options: { knownChecks: readonly string[]; allowPermanent: boolean }): Waiver[] {
  return entries.map((entry, index) => {
    const field = (name: string): string => `config ${file}: field waivers.${index}.${name}`;
    const given = entry.checks ?? (entry.check !== undefined ? [entry.check] : []);
    const checks = given.map((id, i) => {
      const canonical = canonicalCheckId(id, options.knownChecks);
      if (!canonical) {
        const where = entry.checks ? `checks.${i}` : 'check';
        throw new KpostureError('config', `${field(where)}: unknown check id ${id}`, 'run `kposture checks` to list them');
      }
      return canonical;
    });
    if (entry.expires === undefined && !options.allowPermanent) {
      throw new KpostureError(
        'config',
        `${field('expires')}: required`,
        'give the last day the waiver applies, YYYY-MM-DD, or run with --allow-permanent-waivers',
      );
    }
    const subject: WaiverSubject = { type: 'pattern' };
    if (entry.kind !== undefined) subject.kind = entry.kind;
    if (entry.namespace !== undefined) subject.namespace = entry.namespace;
    if (entry.name !== undefined) subject.name = entry.name;
    if (entry.selector !== undefined) {
      const compiled = compileLabelSelector(entry.selector, { absent: 'everything' });
      if (!compiled.ok) throw new KpostureError('config', `${field('selector')}: ${compiled.reason}`, 'see docs/config.md#waivers');
      subject.selector = compiled.selector;
    }
    return {
      origin: { source: 'config', file, index },
      checks: [...new Set(checks)],
      subject,
      reason: entry.reason.trim(),
      ...(entry.owner !== undefined ? { owner: entry.owner.trim() } : {}),
      ...(entry.expires !== undefined ? { expires: entry.expires } : {}),
      ...(entry.link !== undefined ? { link: entry.link.trim() } : {}),
    };
  });
}
