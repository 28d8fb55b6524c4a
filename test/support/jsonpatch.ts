// JSON Patch (RFC 6902) applied as the API server applies a mutating webhook's patch
// (evanphx/json-patch, used by k8s.io/apiserver pkg/admission/plugin/webhook/mutating/dispatcher.go):
// written from the RFC for the tests, independent of the code that makes the patches. Pointers per
// RFC 6901; `test` compares JSON values; a failed operation throws, and nothing is applied.

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export interface Operation { op: string; path: string; value?: Json; from?: string }

function tokens(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new Error(`not a JSON pointer: ${pointer}`);
  return pointer.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: Json, pointer: string): { parent: Json[] | { [k: string]: Json }; key: string } {
  const ts = tokens(pointer);
  const key = ts.pop();
  if (key === undefined) throw new Error('the root cannot be patched here');
  let node: Json = doc;
  for (const t of ts) {
    if (Array.isArray(node)) node = node[Number(t)] as Json;
    else if (node !== null && typeof node === 'object') node = node[t] as Json;
    else throw new Error(`path ${pointer} does not exist`);
    if (node === undefined) throw new Error(`path ${pointer} does not exist`);
  }
  if (node === null || typeof node !== 'object') throw new Error(`path ${pointer} does not exist`);
  return { parent: node, key };
}

export function applyPatch<T>(doc: T, ops: readonly Operation[]): T {
  const out = structuredClone(doc) as Json;
  for (const op of ops) {
    const { parent, key } = parentOf(out, op.path);
    const exists = Array.isArray(parent) ? /^\d+$/.test(key) && Number(key) < parent.length : Object.prototype.hasOwnProperty.call(parent, key);
    switch (op.op) {
      case 'test':
        if (!exists || JSON.stringify((parent as Record<string, Json>)[key]) !== JSON.stringify(op.value)) throw new Error(`test failed at ${op.path}`);
        break;
      case 'replace':
        if (!exists) throw new Error(`replace of a missing ${op.path}`);
        (parent as Record<string, Json>)[key] = op.value as Json;
        break;
      default:
        throw new Error(`operation ${op.op} is not expected from the webhook`);
    }
  }
  return out as T;
}
