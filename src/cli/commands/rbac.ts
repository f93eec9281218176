import { Command, Option } from 'commander';
import { stringify } from 'yaml';
import { BUILTIN_CHECKS } from '../../../checks/index.js';
import { KpostureError } from '../../errors.js';
import { kindsToCollect } from '../../engine/run.js';
import { readOnlyRbacObjects, type Subject } from '../../inventory/rbac-policy.js';
import type { Io } from '../io.js';
import { snapshotKinds } from './snapshot.js';

interface RbacFlags {
  name: string;
  subjectKind: Subject['kind'];
  subjectName: string;
  subjectNamespace: string;
}

export function rbacCommand(io: Io): Command {
  return new Command('rbac')
    .description('print the read-only ClusterRole and ClusterRoleBinding kposture needs (YAML)')
    .option('--name <name>', 'name of the ClusterRole and binding', 'kposture-reader')
    .addOption(new Option('--subject-kind <kind>', 'who gets the role').choices(['ServiceAccount', 'User', 'Group']).default('ServiceAccount'))
    .option('--subject-name <name>', 'subject name', 'kposture')
    .option('--subject-namespace <ns>', 'namespace of a ServiceAccount subject', 'kposture')
    .action((flags: RbacFlags) => {
      if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(flags.name)) {
        throw new KpostureError('usage', `--name ${flags.name}: not a valid Kubernetes object name`, 'use lowercase letters, digits, - and .');
      }
      const subject: Subject =
        flags.subjectKind === 'ServiceAccount'
          ? { kind: 'ServiceAccount', name: flags.subjectName, namespace: flags.subjectNamespace }
          : { kind: flags.subjectKind, name: flags.subjectName };
      // What `kposture snapshot` reads: the checks' kinds plus the kinds that define whole-group
      // kinds (ConstraintTemplates), so that both live commands run with this one role.
      const docs = readOnlyRbacObjects(snapshotKinds(kindsToCollect(BUILTIN_CHECKS)), flags.name, subject);
      io.stdout(docs.map((d) => stringify(d, { lineWidth: 0 })).join('---\n'));
    });
}
