/**
 * The slim projection as a contract the checks cannot break unnoticed. The audit keeps of each
 * object only what SLIM_SHAPES (src/k8s/slim.ts) keeps; a check reading another field would get
 * `undefined` in the audit, and only a fixture with data in that field would show it. A guarded
 * object is a read-only view of an object that follows the same shapes and throws
 * SlimContractError, naming the kind and the field, as soon as a check reads a field they drop,
 * whether the object has data there or not.
 *
 * The engine uses it in tests only (`runChecks({ guardSlim: true })`): a view costs a Proxy per
 * object and per nested record a check walks into.
 */
import type { KindId } from '../k8s/kinds.js';
import type { KindCollection } from '../k8s/inventory.js';
import { isRecord, type K8sObject } from '../k8s/object.js';
import { fieldShape, slimShapeOf, viewShape, type Shape, type ShapeRecord } from '../k8s/slim.js';

export class SlimContractError extends Error {
  constructor(
    readonly reader: string,
    readonly kind: KindId,
    readonly path: string,
  ) {
    super(
      `${reader} reads ${kind} ${path}, which the slim projection drops (the audit would give it undefined): ` +
        `add it to SLIM_SHAPES in src/k8s/slim.ts, or read a field that is kept`,
    );
    this.name = 'SlimContractError';
  }
}

/**
 * Keys a language protocol reads on any object (JSON.stringify reads toJSON, await reads then):
 * absent from Kubernetes objects, and no field a check reads.
 */
const PROTOCOL_KEYS = new Set(['toJSON', 'then']);

const INDEX = /^(?:0|[1-9]\d*)$/;

interface Where {
  kind: KindId;
  path: string;
}

/**
 * The guarded views of one run: the same object seen through the same shape is the same view,
 * so that views compare, and key Maps, as the objects would.
 *
 * A dropped field throws while a check runs (`during`). Outside, when the engine or a test reads
 * an outcome holding a view, a dropped field reads as absent, as it would in the audit.
 */
export class SlimGuard {
  private reader: string | undefined;
  private violation: SlimContractError | undefined;
  private readonly views = new WeakMap<object, Map<object, object>>();
  private readonly collections = new WeakMap<KindCollection, KindCollection>();

  /** @param strict throw on a dropped field outside `during` too (a guard of its own: `guardSlim`) */
  constructor(private readonly strict = false) {}

  /**
   * Runs `evaluate` as `reader` (`check NP-03`). Throws the first SlimContractError of the call,
   * even if the check caught it and went on.
   */
  during<T>(reader: string, evaluate: () => T): T {
    this.reader = reader;
    this.violation = undefined;
    try {
      const result = evaluate();
      const found = this.pendingViolation();
      if (found) throw found;
      return result;
    } catch (err) {
      throw this.pendingViolation() ?? err;
    } finally {
      this.reader = undefined;
      this.violation = undefined;
    }
  }

  /** The collection with each item guarded by its kind's shape, frozen. */
  collection(kind: KindId, collection: KindCollection): KindCollection {
    let guarded = this.collections.get(collection);
    if (!guarded) {
      const items = Object.freeze(collection.items.map((obj) => this.object(kind, obj))) as K8sObject[];
      guarded = Object.freeze({ ...collection, items });
      this.collections.set(collection, guarded);
    }
    return guarded;
  }

  object(kind: KindId, obj: K8sObject): K8sObject {
    return this.wrap(obj, slimShapeOf(kind), { kind, path: '' }) as K8sObject;
  }

  private wrap(value: unknown, shape: Shape, where: Where): unknown {
    if (value === null || typeof value !== 'object') return value;
    const view = viewShape(shape);
    // A value of another shape than the declared one (labels: 5) is kept as it is, as the projection keeps it.
    if (view.type === 'array') return Array.isArray(value) ? this.cached(value, shape as object, () => this.arrayView(value, view.element, where)) : value;
    if (view.type === 'record') return isRecord(value) ? this.cached(value, view.fields, () => this.recordView(value, view.fields, where)) : value;
    return value;
  }

  /** The violation a read recorded during `during` (set from the views' traps, so TypeScript cannot see it change). */
  private pendingViolation(): SlimContractError | undefined {
    return this.violation;
  }

  private cached(value: object, shape: object, make: () => object): object {
    let byShape = this.views.get(value);
    if (!byShape) this.views.set(value, (byShape = new Map<object, object>()));
    let view = byShape.get(shape);
    if (!view) byShape.set(shape, (view = make()));
    return view;
  }

  /** A dropped field: an error while a check runs, absent otherwise. */
  private dropped(where: Where, key: string): void {
    const path = where.path ? `${where.path}.${key}` : key;
    if (this.reader === undefined && !this.strict) return;
    const error = new SlimContractError(this.reader ?? 'a check', where.kind, path);
    this.violation ??= error;
    throw error;
  }

  /*
   * Views are proxies of an empty object (or array of the same length), not of the object
   * itself: the object may be frozen (shared parts of slim records are), and a proxy of a frozen
   * object must return its fields unchanged and list all its keys, so could neither wrap nested
   * records nor hide dropped fields.
   */

  private recordView(target: Record<string, unknown>, shape: ShapeRecord, where: Where): object {
    const at = (key: string): Where => ({ kind: where.kind, path: where.path ? `${where.path}.${key}` : key });
    const kept = (key: string | symbol): Shape | undefined => (typeof key === 'symbol' ? true : fieldShape(shape, key));
    /** Keys read by the language or inherited (hasOwnProperty, toJSON) are not fields. */
    const notAField = (key: string): boolean => !Object.prototype.hasOwnProperty.call(target, key) && (PROTOCOL_KEYS.has(key) || key in target);
    return new Proxy(
      {},
      {
        ...READ_ONLY,
        get: (_, key) => {
          if (typeof key === 'symbol') return Reflect.get(target, key) as unknown;
          const s = kept(key);
          if (s === undefined) {
            if (notAField(key)) return Reflect.get(target, key);
            this.dropped(where, key);
            return undefined;
          }
          return this.wrap(Reflect.get(target, key), s, at(key));
        },
        has: (_, key) => {
          if (kept(key) === undefined) {
            if (notAField(key as string)) return Reflect.has(target, key);
            this.dropped(where, key as string);
            return false;
          }
          return Reflect.has(target, key);
        },
        ownKeys: () => Reflect.ownKeys(target).filter((key) => kept(key) !== undefined),
        getOwnPropertyDescriptor: (_, key) => {
          const s = kept(key);
          if (s === undefined) {
            this.dropped(where, key as string);
            return undefined;
          }
          const own = Reflect.getOwnPropertyDescriptor(target, key);
          if (!own) return undefined;
          const value: unknown = typeof key === 'symbol' ? own.value : this.wrap(own.value, s, at(key));
          return { value, writable: false, enumerable: own.enumerable ?? true, configurable: true };
        },
      },
    );
  }

  private arrayView(target: unknown[], element: Shape, where: Where): object {
    const at = (i: string): Where => ({ kind: where.kind, path: `${where.path}[${i}]` });
    const dummy = new Array<unknown>(target.length);
    return new Proxy(dummy, {
      ...READ_ONLY,
      get: (_, key) => {
        if (typeof key === 'string' && INDEX.test(key)) return this.wrap(target[Number(key)], element, at(key));
        return Reflect.get(target, key) as unknown;
      },
      has: (_, key) => Reflect.has(target, key),
      ownKeys: () => Reflect.ownKeys(target),
      getOwnPropertyDescriptor: (_, key) => {
        // `length` must be reported as the target of the proxy has it (not configurable).
        if (key === 'length') return Reflect.getOwnPropertyDescriptor(dummy, key);
        const own = Reflect.getOwnPropertyDescriptor(target, key);
        if (!own) return undefined;
        const value: unknown = typeof key === 'string' && INDEX.test(key) ? this.wrap(own.value, element, at(key)) : own.value;
        return { value, writable: false, enumerable: own.enumerable ?? true, configurable: true };
      },
    });
  }
}

function readOnly(): never {
  throw new TypeError('a check changed its input: checks are pure and never modify the inventory');
}

const READ_ONLY: ProxyHandler<object> = {
  set: readOnly,
  defineProperty: readOnly,
  deleteProperty: readOnly,
  setPrototypeOf: readOnly,
  preventExtensions: readOnly,
};

/**
 * A read-only view of `obj`, an object of kind `kind`, that throws SlimContractError on reading
 * a field the slim projection drops from that kind; kept fields read as in `obj`.
 */
export function guardSlim(kind: KindId, obj: K8sObject): K8sObject {
  return new SlimGuard(true).object(kind, obj);
}
