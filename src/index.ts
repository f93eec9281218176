/**
 * The public API of the kposture package, `import { defineCheck } from 'kposture'`: what a plugin
 * needs to write checks with types (docs/plugins.md): defineCheck, the helpers that read an
 * object's fields (objects are untyped JSON: a check reads what it finds), a quoted `kubectl`
 * command line for `verify`, and the shape of the JSON report for tools
 * that read one. Everything else under dist/ is internal and may change in any release.
 */
export { CATEGORIES, defineCheck, SEVERITY_WEIGHT } from './engine/check.js';
export type {
  CategoryId,
  Check,
  CheckContext,
  CheckMeta,
  CheckSettings,
  Finding,
  FindingFactory,
  MemoKey,
  OptionsSchema,
  Outcome,
  Severity,
  Subject,
  Verdict,
} from './engine/check.js';
export type { KindId } from './k8s/kinds.js';
export type { KindCollection, KindStatus } from './k8s/inventory.js';
export { annotationOf, annotationsOf, field, labelOf, labelsOf, nameOf, namespaceOf, refOf } from './k8s/object.js';
export type { K8sObject, ResourceRef } from './k8s/object.js';
export { kubectl } from './util/shell.js';
export type { Report, ReportCheck, ReportFinding } from './report/model.js';
