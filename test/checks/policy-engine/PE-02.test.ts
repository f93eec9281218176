import check from '../../../checks/policy-engine/PE-02.js';
import { KINDS } from '../../../src/k8s/kinds.js';
import type { K8sObject } from '../../../src/k8s/object.js';
import { evaluate } from '../../support/inventory.js';
import {
  clusterPolicy,
  constraint,
  constraintTemplate,
  crd,
  engineInventory,
  gatekeeperInstall,
  deployment,
  jsPolicy,
  jsPolicyWebhook,
  kubewardenInstall,
  kubewardenPolicy,
  kyvernoCrds,
  kyvernoInstall,
  namespace,
  validateRule,
  vap,
  vapBinding,
} from './objects.js';

/** Every policy kind listed (possibly empty); VAP kinds served and read. */
const LISTED = {
  [KINDS.CustomResourceDefinition]: 'ok',
  [KINDS.KyvernoClusterPolicy]: 'ok',
  [KINDS.KyvernoPolicy]: 'ok',
  [KINDS.GatekeeperConstraintTemplate]: 'ok',
  [KINDS.KubewardenClusterAdmissionPolicy]: 'ok',
  [KINDS.KubewardenAdmissionPolicy]: 'ok',
  [KINDS.JsPolicy]: 'ok',
  [KINDS.ValidatingAdmissionPolicy]: 'ok',
  [KINDS.ValidatingAdmissionPolicyBinding]: 'ok',
} as const;

/** Gatekeeper creates one CRD per template, in group constraints.gatekeeper.sh. */
function gatekeeperWith(templates: string[], constraints: K8sObject[]): K8sObject[] {
  return [
    ...gatekeeperInstall(),
    ...templates.flatMap((kind) => [constraintTemplate(kind), crd('constraints.gatekeeper.sh', kind, kind.toLowerCase())]),
    ...constraints,
  ];
}

describe('PE-02 policies enforce rather than only audit', () => {
  it('passes when every Kyverno validate rule enforces, per policy or per rule (Kyverno 1.13+)', () => {
    const objects = [
      ...kyvernoInstall(),
      clusterPolicy('disallow-privileged-containers', { validationFailureAction: 'Enforce', rules: [validateRule('privileged-containers')] }),
      clusterPolicy('require-run-as-nonroot', { rules: [validateRule('run-as-non-root', 'Enforce'), validateRule('run-as-non-root-ephemeral', 'Enforce')] }),
      // Mutate-only policies cannot enforce anything: not counted.
      clusterPolicy('add-default-labels', {
        rules: [
          {
            name: 'add-labels',
            match: { any: [{ resources: { kinds: ['Pod'] } }] },
            mutate: { patchStrategicMerge: { metadata: { labels: { team: 'unknown' } } } },
          },
        ],
      }),
    ];
    const outcome = evaluate(check, engineInventory(objects, LISTED));
    expect(outcome.status).toBe('pass');
    if (outcome.status !== 'pass') return;
    expect(outcome.subjects.map((s) => [s.resource.name, s.verdict])).toEqual([
      ['disallow-privileged-containers', 'pass'],
      ['require-run-as-nonroot', 'pass'],
    ]);
    expect(outcome.subjects[0]!.details?.modes).toEqual(['spec.validationFailureAction: Enforce']);
  });

  it('fails per audit-only policy and scores the share, with partial credit for mixed rules', () => {
    const objects = [
      ...kyvernoInstall(),
      clusterPolicy('disallow-privileged-containers', { validationFailureAction: 'Enforce', rules: [validateRule('privileged-containers')] }),
      // No action anywhere: Kyverno's default is Audit.
      clusterPolicy('disallow-latest-tag', { rules: [validateRule('require-image-tag'), validateRule('validate-image-tag')] }),
      // The rule-level field overrides the policy-level one.
      clusterPolicy('restrict-volume-types', {
        validationFailureAction: 'Enforce',
        rules: [validateRule('restricted-volumes', 'Audit'), validateRule('no-hostpath')],
      }),
    ];
    const outcome = evaluate(check, engineInventory(objects, LISTED));
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.subjects.map((s) => [s.resource.name, s.verdict, s.credit])).toEqual([
      ['disallow-latest-tag', 'fail', undefined],
      ['disallow-privileged-containers', 'pass', undefined],
      ['restrict-volume-types', 'partial', 0.5],
    ]);
    const [latest, volumes] = outcome.findings;
    expect(latest).toMatchObject({
      messageId: 'audits',
      field: 'spec.validationFailureAction',
      evidence: '(Audit by default)',
      verify: 'kubectl get clusterpolicies.kyverno.io disallow-latest-tag -o yaml',
    });
    expect(volumes).toMatchObject({ messageId: 'partlyAudits', field: 'spec.rules[0].validate.failureAction', data: { enforcing: 1, total: 2 } });
  });

  it('treats a Kyverno policy with admission: false as report-only', () => {
    const objects = [
      ...kyvernoInstall(),
      clusterPolicy('background-scan', { admission: false, validationFailureAction: 'Enforce', rules: [validateRule('r')] }),
    ];
    const outcome = evaluate(check, engineInventory(objects, LISTED));
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.findings[0]!.evidence).toBe('false (reports only)');
  });

  it('reads Gatekeeper enforcementAction (deny by default; dryrun and warn audit; scoped per enforcement point)', () => {
    const objects = gatekeeperWith(
      ['K8sRequiredLabels', 'K8sAllowedRepos', 'K8sPSPPrivilegedContainer'],
      [
        constraint('K8sRequiredLabels', 'ns-must-have-owner'),
        constraint('K8sAllowedRepos', 'repo-is-internal', { enforcementAction: 'dryrun' }),
        constraint('K8sPSPPrivilegedContainer', 'psp-privileged', { enforcementAction: 'warn' }),
        constraint('K8sPSPPrivilegedContainer', 'psp-privileged-scoped', {
          enforcementAction: 'scoped',
          scopedEnforcementActions: [
            { action: 'deny', enforcementPoints: [{ name: 'validation.gatekeeper.sh' }] },
            { action: 'warn', enforcementPoints: [{ name: 'gator.gatekeeper.sh' }] },
          ],
        }),
      ],
    );
    const outcome = evaluate(check, engineInventory(objects, LISTED));
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.subjects.map((s) => [s.resource.kind, s.resource.name, s.verdict])).toEqual([
      ['K8sAllowedRepos', 'repo-is-internal', 'fail'],
      ['K8sPSPPrivilegedContainer', 'psp-privileged', 'fail'],
      ['K8sPSPPrivilegedContainer', 'psp-privileged-scoped', 'pass'],
      ['K8sRequiredLabels', 'ns-must-have-owner', 'pass'],
    ]);
    expect(outcome.findings[0]!.verify).toBe('kubectl get k8sallowedrepos.constraints.gatekeeper.sh repo-is-internal -o yaml');
  });

  it('reads Kubewarden mode (protect by default), jsPolicy violationPolicy and VAP binding validationActions', () => {
    const objects = [
      ...kubewardenInstall(),
      kubewardenPolicy('ClusterAdmissionPolicy', 'no-privileged-pod'),
      kubewardenPolicy('AdmissionPolicy', 'psa-label-enforcer', 'monitor', 'shop'),
      crd('policy.jspolicy.com', 'JsPolicy', 'jspolicies'),
      // jsPolicy serving: its Deployment and the webhook configuration it makes per Validating policy
      deployment('jspolicy', 'jspolicy', 1, 1),
      jsPolicyWebhook('deny-default-namespace.company.tld'),
      jsPolicyWebhook('warn-latest.company.tld'),
      jsPolicy('deny-default-namespace.company.tld'),
      jsPolicy('warn-latest.company.tld', { violationPolicy: 'Warn' }),
      jsPolicy('sync-secrets.company.tld', { type: 'Controller' }),
      vap('max-replicas'),
      vapBinding('max-replicas-deny', 'max-replicas', ['Deny', 'Audit']),
      vapBinding('max-replicas-warn', 'max-replicas', ['Warn', 'Audit']),
      vapBinding('dangling', 'deleted-policy', ['Deny']),
    ];
    const outcome = evaluate(check, engineInventory(objects, LISTED));
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.subjects.map((s) => [s.resource.name, s.verdict])).toEqual([
      ['psa-label-enforcer', 'fail'],
      ['no-privileged-pod', 'pass'],
      ['deny-default-namespace.company.tld', 'pass'],
      ['warn-latest.company.tld', 'fail'],
      ['max-replicas-deny', 'pass'],
      ['max-replicas-warn', 'fail'],
    ]);
    expect(outcome.findings.map((f) => f.evidence)).toEqual(['monitor', 'Warn', '[Warn, Audit]']);
    expect(outcome.findings[0]!.verify).toBe('kubectl get admissionpolicies.policies.kubewarden.io psa-label-enforcer -n shop -o yaml');
  });

  it('fails when an installed engine has no policy at all and nothing else enforces', () => {
    // An empty typed list (K8sRequiredLabelsList, items: []) in the snapshot.
    const outcome = evaluate(
      check,
      engineInventory(gatekeeperWith(['K8sRequiredLabels'], []), { ...LISTED, 'K8sRequiredLabels.constraints.gatekeeper.sh': 'ok' }),
    );
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.findings[0]).toMatchObject({
      messageId: 'noPolicies',
      resource: { name: 'constrainttemplates.templates.gatekeeper.sh' },
      verify: 'kubectl get constraints -A',
    });
  });

  it('is not applicable when no engine is installed and no ValidatingAdmissionPolicy is bound', () => {
    const outcome = evaluate(check, engineInventory([vap('unbound')], LISTED));
    expect(outcome.status).toBe('not-applicable');
  });

  it('is unknown when an installed engine’s policies could not be read', () => {
    const objects = [...kyvernoInstall(), clusterPolicy('p', { validationFailureAction: 'Enforce', rules: [validateRule('r')] })];
    const outcome = evaluate(check, engineInventory(objects, { ...LISTED, [KINDS.KyvernoPolicy]: 'forbidden' }));
    expect(outcome.status).toBe('unknown');
    expect(outcome.status === 'unknown' && outcome.reason).toContain('Kyverno is installed but Policy.kyverno.io is forbidden');
  });

  it('is unknown when a snapshot lacks the list of one Gatekeeper constraint kind', () => {
    const objects = gatekeeperWith(['K8sRequiredLabels', 'K8sAllowedRepos'], [constraint('K8sRequiredLabels', 'ns-must-have-owner')]);
    const inventory = engineInventory(objects, LISTED);
    const outcome = evaluate(check, inventory);
    expect(outcome.status).toBe('unknown');
    expect(outcome.status === 'unknown' && outcome.reason).toContain('K8sAllowedRepos.constraints.gatekeeper.sh was not listed');
  });

  it('is unknown when CRDs could not be listed', () => {
    expect(evaluate(check, engineInventory(kyvernoInstall(), { ...LISTED, [KINDS.CustomResourceDefinition]: 'error' })).status).toBe('unknown');
  });

  it('ignores policy kinds of engines that are not installed, even when their lists are missing', () => {
    const objects = [...kyvernoInstall(), clusterPolicy('p', { validationFailureAction: 'enforce', rules: [validateRule('r')] })];
    const outcome = evaluate(
      check,
      engineInventory(objects, {
        [KINDS.CustomResourceDefinition]: 'ok',
        [KINDS.KyvernoClusterPolicy]: 'ok',
        [KINDS.KyvernoPolicy]: 'ok',
        [KINDS.ValidatingAdmissionPolicyBinding]: 'not-served',
      }),
    );
    expect(outcome.status).toBe('pass');
  });

  it('does not score policies an uninstalled engine left behind (CRDs and policies, no webhook, no controller)', () => {
    // `helm uninstall kyverno` keeps the CRDs, so the policies stay; nothing serves them.
    const leftovers = [
      ...kyvernoCrds(),
      clusterPolicy('disallow-privileged-containers', { validationFailureAction: 'Enforce', rules: [validateRule('privileged-containers')] }),
      clusterPolicy('disallow-latest-tag', { rules: [validateRule('require-image-tag', 'Audit')] }),
    ];
    const alone = evaluate(check, engineInventory(leftovers, { ...LISTED, [KINDS.ValidatingWebhookConfiguration]: 'ok', [KINDS.Deployment]: 'ok' }));
    expect(alone).toEqual({
      status: 'not-applicable',
      reason: 'no engine is serving: Kyverno (2 policies left: no validating webhook and no ready admission controller found); PE-01 reports it',
    });
    // Beside an engine that serves, the leftovers are shown, not scored.
    const beside = evaluate(
      check,
      engineInventory(
        [...leftovers, ...gatekeeperWith(['K8sRequiredLabels'], [constraint('K8sRequiredLabels', 'ns-must-have-owner', { enforcementAction: 'dryrun' })])],
        { ...LISTED, [KINDS.ValidatingWebhookConfiguration]: 'ok', [KINDS.Deployment]: 'ok' },
      ),
    );
    expect(beside.status).toBe('fail');
    if (beside.status !== 'fail') return;
    expect(beside.subjects.map((s) => [s.resource.name, s.verdict])).toEqual([
      ['disallow-latest-tag', 'info'],
      ['disallow-privileged-containers', 'info'],
      ['ns-must-have-owner', 'fail'],
    ]);
    expect(beside.subjects[0]!.details?.note).toBe(
      'no engine is serving: no validating webhook and no ready admission controller found; the policy enforces nothing',
    );
    expect(beside.findings.map((f) => f.resource.name)).toEqual(['ns-must-have-owner']);
    // When webhooks cannot be listed, serving cannot be judged: the policies are scored as before.
    const unread = evaluate(check, engineInventory(leftovers, { ...LISTED, [KINDS.ValidatingWebhookConfiguration]: 'forbidden' }));
    expect(unread.status).toBe('fail');
  });

  it('reads Kyverno CEL ValidatingPolicy validationActions (Deny when absent) and evaluation.admission', () => {
    // The check-labels example of https://kyverno.io/docs/policy-types/validating-policy
    const vpol = (name: string, spec: Record<string, unknown>): K8sObject => ({
      apiVersion: 'policies.kyverno.io/v1',
      kind: 'ValidatingPolicy',
      metadata: { name },
      spec: {
        matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pods'] }] },
        validations: [{ message: "label 'environment' is required", expression: "'environment' in object.metadata.?labels.orValue([])" }],
        ...spec,
      },
    });
    const objects = [
      ...kyvernoInstall(),
      crd('policies.kyverno.io', 'ValidatingPolicy', 'validatingpolicies'),
      vpol('check-labels', { validationActions: ['Deny'] }),
      vpol('check-labels-default', {}),
      vpol('check-labels-audit', { validationActions: ['Audit', 'Warn'] }),
      vpol('check-labels-background', { validationActions: ['Deny'], evaluation: { admission: { enabled: false } } }),
    ];
    const outcome = evaluate(check, engineInventory(objects, { ...LISTED, [KINDS.KyvernoValidatingPolicy]: 'ok' }));
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.subjects.map((s) => [s.resource.name, s.verdict])).toEqual([
      ['check-labels', 'pass'],
      ['check-labels-audit', 'fail'],
      ['check-labels-background', 'fail'],
      ['check-labels-default', 'pass'],
    ]);
    expect(outcome.subjects[3]!.details?.modes).toEqual(['spec.validationActions: (Deny by default)']);
    expect(outcome.findings.map((f) => f.evidence)).toEqual(['[Audit, Warn]', 'false (reports only)']);
  });

  it('reads NamespacedValidatingPolicy, ImageValidatingPolicy and NamespacedImageValidatingPolicy (Kyverno 1.15+) as ValidatingPolicy', () => {
    const policy = (kind: string, name: string, spec: Record<string, unknown>, namespace?: string): K8sObject => ({
      apiVersion: 'policies.kyverno.io/v1',
      kind,
      metadata: { name, ...(namespace ? { namespace } : {}) },
      spec: {
        matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pods'] }] },
        ...spec,
      },
    });
    // An image policy: cosign keyless attestors and the verification call, as Kyverno's docs show it.
    const images = {
      matchImageReferences: [{ glob: 'ghcr.io/acme/*' }],
      attestors: [{ name: 'cosign', cosign: { keyless: { identities: [{ issuer: 'https://token.actions.githubusercontent.com', subject: 'acme' }] } } }],
      validations: [{ expression: 'images.containers.map(image, verifyImageSignatures(image, [attestors.cosign])).all(e, e > 0)' }],
    };
    const objects = [
      ...kyvernoInstall(),
      namespace('shop'),
      crd('policies.kyverno.io', 'NamespacedValidatingPolicy', 'namespacedvalidatingpolicies', 'Namespaced'),
      crd('policies.kyverno.io', 'ImageValidatingPolicy', 'imagevalidatingpolicies'),
      crd('policies.kyverno.io', 'NamespacedImageValidatingPolicy', 'namespacedimagevalidatingpolicies', 'Namespaced'),
      policy(
        'NamespacedValidatingPolicy',
        'shop-labels',
        { validationActions: ['Audit'], validations: [{ expression: 'has(object.metadata.labels)' }] },
        'shop',
      ),
      policy('ImageValidatingPolicy', 'signed-images', images),
      policy('NamespacedImageValidatingPolicy', 'shop-signed-images', { ...images, validationActions: ['Deny'] }, 'shop'),
    ];
    const outcome = evaluate(
      check,
      engineInventory(objects, {
        ...LISTED,
        [KINDS.KyvernoNamespacedValidatingPolicy]: 'ok',
        [KINDS.KyvernoImageValidatingPolicy]: 'ok',
        [KINDS.KyvernoNamespacedImageValidatingPolicy]: 'ok',
      }),
    );
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.subjects.map((s) => [s.resource.kind, s.resource.name, s.verdict])).toEqual([
      ['ImageValidatingPolicy', 'signed-images', 'pass'],
      ['NamespacedImageValidatingPolicy', 'shop-signed-images', 'pass'],
      ['NamespacedValidatingPolicy', 'shop-labels', 'fail'],
    ]);
    expect(outcome.findings[0]!.verify).toBe('kubectl get namespacedvalidatingpolicies.policies.kyverno.io shop-labels -n shop -o yaml');
  });

  it('is unknown, not pass, when Kyverno 1.15+ serves NamespacedValidatingPolicy but it could not be listed', () => {
    const objects = [
      ...kyvernoInstall(),
      crd('policies.kyverno.io', 'NamespacedValidatingPolicy', 'namespacedvalidatingpolicies', 'Namespaced'),
      clusterPolicy('p', { validationFailureAction: 'Enforce', rules: [validateRule('r')] }),
    ];
    const outcome = evaluate(check, engineInventory(objects, { ...LISTED, [KINDS.KyvernoNamespacedValidatingPolicy]: 'forbidden' }));
    expect(outcome.status).toBe('unknown');
    expect(outcome.status === 'unknown' && outcome.reason).toContain('NamespacedValidatingPolicy.policies.kyverno.io is forbidden');
  });

  it('reads Kubewarden policy groups by their mode, as the policies they group (protect by default)', () => {
    // The `demo` group of https://docs.kubewarden.io/explanations/policy-groups, cluster-wide and namespaced
    const group = (kind: string, name: string, spec: Record<string, unknown>, namespace?: string): K8sObject => ({
      apiVersion: 'policies.kubewarden.io/v1',
      kind,
      metadata: { name, ...(namespace ? { namespace } : {}) },
      spec: {
        rules: [{ apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], operations: ['CREATE', 'UPDATE'] }],
        policies: {
          signed_by_alice: { module: 'ghcr.io/kubewarden/policies/verify-image-signatures:v0.3.0', settings: { modifyImagesWithDigest: false } },
          reject_latest: { module: 'ghcr.io/kubewarden/policies/trusted-repos:v0.2.0', settings: { tags: { reject: ['latest'] } } },
        },
        expression: 'reject_latest() || signed_by_alice()',
        message: 'the image is using the latest tag or is not signed by Alice',
        ...spec,
      },
    });
    const objects = [
      ...kubewardenInstall(),
      crd('policies.kubewarden.io', 'ClusterAdmissionPolicyGroup', 'clusteradmissionpolicygroups'),
      crd('policies.kubewarden.io', 'AdmissionPolicyGroup', 'admissionpolicygroups', 'Namespaced'),
      group('ClusterAdmissionPolicyGroup', 'demo', {}),
      group('AdmissionPolicyGroup', 'demo-shop', { mode: 'monitor' }, 'shop'),
    ];
    const outcome = evaluate(
      check,
      engineInventory(objects, { ...LISTED, [KINDS.KubewardenClusterAdmissionPolicyGroup]: 'ok', [KINDS.KubewardenAdmissionPolicyGroup]: 'ok' }),
    );
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    expect(outcome.subjects.map((s) => [s.resource.kind, s.resource.name, s.verdict])).toEqual([
      ['AdmissionPolicyGroup', 'demo-shop', 'fail'],
      ['ClusterAdmissionPolicyGroup', 'demo', 'pass'],
    ]);
    expect(outcome.findings[0]!.verify).toBe('kubectl get admissionpolicygroups.policies.kubewarden.io demo-shop -n shop -o yaml');
  });

  describe('Kyverno per-namespace overrides (validationFailureActionOverrides, rule-level failureActionOverrides)', () => {
    /** Two teams, production, and the system namespaces Kyverno's webhook skips anyway. */
    const namespaces = [
      namespace('kube-system'),
      namespace('kyverno'),
      namespace('team-a', { env: 'dev' }),
      namespace('team-b', { env: 'dev' }),
      namespace('payments', { env: 'prod' }),
    ];
    const listed = { ...LISTED, [KINDS.Namespace]: 'ok' } as const;
    const run = (...policies: K8sObject[]) => evaluate(check, engineInventory([...kyvernoInstall(), ...namespaces, ...policies], listed));

    it('scores a policy that audits in some tenant namespaces by the share where it enforces, and names them', () => {
      const outcome = run(
        clusterPolicy('disallow-privileged-containers', {
          validationFailureAction: 'Enforce',
          validationFailureActionOverrides: [{ action: 'Audit', namespaces: ['team-*'] }],
          rules: [validateRule('privileged-containers')],
        }),
      );
      expect(outcome.status).toBe('fail');
      if (outcome.status !== 'fail') return;
      expect(outcome.subjects.map((s) => [s.resource.name, s.verdict, s.credit])).toEqual([['disallow-privileged-containers', 'partial', 1 / 3]]);
      expect(outcome.findings).toHaveLength(1);
      expect(outcome.findings[0]).toMatchObject({
        messageId: 'auditsIn',
        data: { count: 2, judged: 3, namespaces: 'team-a, team-b' },
        field: 'spec.validationFailureActionOverrides',
        evidence: 'Audit for namespaces team-*; Enforce elsewhere',
        verify: 'kubectl get clusterpolicies.kyverno.io disallow-privileged-containers -o yaml',
      });
    });

    it('passes when the override only exempts system namespaces', () => {
      const outcome = run(
        clusterPolicy('require-run-as-nonroot', {
          validationFailureAction: 'Enforce',
          validationFailureActionOverrides: [{ action: 'Audit', namespaces: ['kube-system', 'kyverno'] }],
          rules: [validateRule('run-as-non-root')],
        }),
      );
      expect(outcome.status).toBe('pass');
    });

    it('matches namespaceSelector on labels, first matching entry wins, default where none matches', () => {
      const outcome = run(
        // Audit by default; enforced where env=prod; the first entry shadows a later one for payments.
        clusterPolicy('restrict-image-registries', {
          validationFailureActionOverrides: [
            { action: 'Enforce', namespaceSelector: { matchLabels: { env: 'prod' } } },
            { action: 'Audit', namespaces: ['payments'] },
          ],
          rules: [validateRule('validate-registries')],
        }),
      );
      expect(outcome.status).toBe('fail');
      if (outcome.status !== 'fail') return;
      expect(outcome.subjects[0]!.credit).toBeCloseTo(1 / 3);
      expect(outcome.findings[0]!.data).toMatchObject({ count: 2, namespaces: 'team-a, team-b' });
      // The evidence is the field's value: each entry, then the rule's own action.
      expect(outcome.findings[0]!.evidence).toBe('Enforce for namespaceSelector env=prod; Audit for namespaces payments; (Audit by default) elsewhere');
    });

    it('passes when an override without namespaces or selector turns an audit policy into enforce everywhere', () => {
      const outcome = run(clusterPolicy('p', { validationFailureActionOverrides: [{ action: 'Enforce' }], rules: [validateRule('r')] }));
      expect(outcome.status).toBe('pass');
      if (outcome.status !== 'pass') return;
      expect(outcome.subjects[0]!.details?.modes).toEqual(['spec.validationFailureActionOverrides: Enforce everywhere']);
    });

    it('lets a rule’s own failureActionOverrides replace the policy’s', () => {
      const own = { ...validateRule('own', 'Enforce') };
      (own.validate as Record<string, unknown>).failureActionOverrides = [{ action: 'Audit', namespaces: ['payments'] }];
      const outcome = run(
        clusterPolicy('p', {
          validationFailureActionOverrides: [{ action: 'Audit', namespaces: ['team-*'] }],
          rules: [own, validateRule('inherits', 'Enforce')],
        }),
      );
      expect(outcome.status).toBe('fail');
      if (outcome.status !== 'fail') return;
      // own: audits in payments only (2 of 3 enforce); inherits: audits in team-a, team-b (1 of 3).
      expect(outcome.subjects[0]!.credit).toBeCloseTo((2 / 3 + 1 / 3) / 2);
      expect(outcome.findings[0]!.field).toBe('spec.rules[0].validate.failureActionOverrides, spec.validationFailureActionOverrides');
      expect(outcome.findings[0]!.data).toMatchObject({ count: 3, judged: 3, namespaces: 'payments, team-a, team-b' });
    });

    it('judges a namespaced Policy in its own namespace', () => {
      const policy = clusterPolicy('team-a-rules', {
        validationFailureAction: 'Enforce',
        validationFailureActionOverrides: [{ action: 'Audit', namespaces: ['team-*'] }],
        rules: [validateRule('r')],
      });
      const namespaced = { ...policy, kind: 'Policy', metadata: { ...(policy.metadata as object), namespace: 'team-a' } };
      const outcome = run(namespaced);
      expect(outcome.status).toBe('fail');
      if (outcome.status !== 'fail') return;
      expect(outcome.findings[0]).toMatchObject({ messageId: 'audits', evidence: 'Audit for namespaces team-*; Enforce elsewhere' });
    });

    it('is unknown for that policy, never pass or fail, when namespaces could not be read and the overrides matter', () => {
      const objects = [
        ...kyvernoInstall(),
        clusterPolicy('mixed', {
          validationFailureAction: 'Enforce',
          validationFailureActionOverrides: [{ action: 'Audit', namespaces: ['team-*'] }],
          rules: [validateRule('r')],
        }),
        // Overrides that agree with the default change nothing: still judged.
        clusterPolicy('agreeing', {
          validationFailureAction: 'Enforce',
          validationFailureActionOverrides: [{ action: 'Enforce', namespaces: ['team-*'] }],
          rules: [validateRule('r')],
        }),
      ];
      const outcome = evaluate(check, engineInventory(objects, { ...LISTED, [KINDS.Namespace]: 'forbidden' }));
      expect(outcome.status).toBe('pass');
      if (outcome.status !== 'pass') return;
      expect(outcome.subjects.map((s) => [s.resource.name, s.verdict])).toEqual([
        ['agreeing', 'pass'],
        ['mixed', 'unknown'],
      ]);
      expect(outcome.subjects[1]!.details?.modes).toEqual([
        'spec.validationFailureActionOverrides: Enforce, overridden per namespace (namespaces could not be read)',
      ]);
      // An empty Namespace list (rendered manifests without Namespace objects) shows nowhere either: unknown, not pass.
      const empty = evaluate(check, engineInventory(objects, { ...LISTED, [KINDS.Namespace]: 'ok' }));
      expect(empty.status === 'pass' && empty.subjects.map((s) => [s.resource.name, s.verdict])).toEqual([
        ['agreeing', 'pass'],
        ['mixed', 'unknown'],
      ]);
    });
  });
});
