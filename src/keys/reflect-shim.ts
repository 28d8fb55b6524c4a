// @peculiar/x509 loads tsyringe, which refuses to start without the Reflect metadata API
// (normally the `reflect-metadata` package, not a dependency here). This is the small subset
// tsyringe uses, installed only when no polyfill is present. Import it before @peculiar/x509.
type MetaKey = unknown;
type Store = Map<PropertyKey | undefined, Map<MetaKey, unknown>>;

interface ReflectMetadata {
  defineMetadata(key: MetaKey, value: unknown, target: object, prop?: PropertyKey): void;
  getOwnMetadata(key: MetaKey, target: object, prop?: PropertyKey): unknown;
  getMetadata(key: MetaKey, target: object, prop?: PropertyKey): unknown;
  hasOwnMetadata(key: MetaKey, target: object, prop?: PropertyKey): boolean;
  hasMetadata(key: MetaKey, target: object, prop?: PropertyKey): boolean;
  metadata(key: MetaKey, value: unknown): (target: object, prop?: PropertyKey) => void;
}

const R = Reflect as unknown as Partial<ReflectMetadata>;

if (typeof R.getMetadata !== 'function') {
  const stores = new WeakMap<object, Store>();
  const own = (target: object, prop: PropertyKey | undefined, create: boolean): Map<MetaKey, unknown> | undefined => {
    let store = stores.get(target);
    if (store === undefined) {
      if (!create) return undefined;
      store = new Map();
      stores.set(target, store);
    }
    let m = store.get(prop);
    if (m === undefined && create) {
      m = new Map();
      store.set(prop, m);
    }
    return m;
  };
  const find = (key: MetaKey, target: object, prop?: PropertyKey): { found: boolean; value: unknown } => {
    for (let t: object | null = target; t !== null; t = Object.getPrototypeOf(t) as object | null) {
      const m = own(t, prop, false);
      if (m?.has(key)) return { found: true, value: m.get(key) };
    }
    return { found: false, value: undefined };
  };
  const api: ReflectMetadata = {
    defineMetadata: (key, value, target, prop) => { own(target, prop, true)?.set(key, value); },
    getOwnMetadata: (key, target, prop) => own(target, prop, false)?.get(key),
    getMetadata: (key, target, prop) => find(key, target, prop).value,
    hasOwnMetadata: (key, target, prop) => own(target, prop, false)?.has(key) ?? false,
    hasMetadata: (key, target, prop) => find(key, target, prop).found,
    metadata: (key, value) => (target, prop) => { own(target, prop, true)?.set(key, value); },
  };
  Object.assign(Reflect, api);
}

export {};
