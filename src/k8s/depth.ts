/**
 * How deeply an object read from a cluster or a snapshot may nest. Copying, scrubbing or cloning
 * a value recurses once per level, and the stack runs out at a few thousand levels (the YAML
 * parser, inside a list, at several hundred): an object is refused where it enters, so that
 * nothing after it has to care. Real Kubernetes objects nest a few dozen levels at most, so the
 * limit costs no real object anything; it stays below the YAML parser's, so that JSON and YAML
 * snapshots are held to the same limit.
 */
export const MAX_OBJECT_DEPTH = 500;

/**
 * How many levels of objects and arrays `value` nests: 0 for a scalar, 1 for `{}` or `{a: 1}`,
 * 2 for `{a: {}}`. Iterative, so any depth is measured without recursion. Stops as soon as the
 * depth passes `stopAbove` and returns that depth (cheaper when only "too deep?" is asked).
 */
export function depthOf(value: unknown, stopAbove = Number.POSITIVE_INFINITY): number {
  if (typeof value !== 'object' || value === null) return 0;
  const values: object[] = [value];
  const depths: number[] = [1];
  let deepest = 1;
  while (values.length > 0) {
    const current = values.pop() as Record<string, unknown> | unknown[];
    const depth = depths.pop()!;
    if (depth > deepest) {
      deepest = depth;
      if (deepest > stopAbove) return deepest;
    }
    if (Array.isArray(current)) {
      for (let i = 0; i < current.length; i++) {
        const child = current[i];
        if (typeof child === 'object' && child !== null) {
          values.push(child);
          depths.push(depth + 1);
        }
      }
    } else {
      for (const key in current) {
        const child = current[key];
        if (typeof child === 'object' && child !== null) {
          values.push(child);
          depths.push(depth + 1);
        }
      }
    }
  }
  return deepest;
}

/** True when `value` nests more than MAX_OBJECT_DEPTH levels: it must be refused, not copied. */
export function isTooDeep(value: unknown): boolean {
  return depthOf(value, MAX_OBJECT_DEPTH) > MAX_OBJECT_DEPTH;
}

/** `ConfigMap shop/deep`, `Node worker-1`: an object named in an error, from fields that may be absent or wrong. */
export function describeObject(value: unknown): string {
  const obj = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  const meta = typeof obj.metadata === 'object' && obj.metadata !== null ? (obj.metadata as Record<string, unknown>) : {};
  const kind = typeof obj.kind === 'string' && obj.kind ? obj.kind : 'object';
  const name = typeof meta.name === 'string' ? meta.name : '(no name)';
  return typeof meta.namespace === 'string' && meta.namespace ? `${kind} ${meta.namespace}/${name}` : `${kind} ${name}`;
}

/** The problem with a too-deep object, as error messages put it after the object's name. */
export const TOO_DEEP = `is nested more than ${MAX_OBJECT_DEPTH} levels deep`;
