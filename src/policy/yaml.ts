// The yaml package, loaded on first use. It is some 70 files: a pull or push without a policy
// file, which only needs the built-in policy, does not pay for them at start-up. Synchronous
// (createRequire), so validatePolicy and the pin scanner keep their synchronous signatures.
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

let lib: typeof Yaml | undefined;

function yaml(): typeof Yaml {
  lib ??= createRequire(import.meta.url)('yaml') as typeof Yaml;
  return lib;
}

export const isAlias = ((n: unknown) => yaml().isAlias(n)) as typeof Yaml.isAlias;
export const isMap = ((n: unknown) => yaml().isMap(n)) as typeof Yaml.isMap;
export const isScalar = ((n: unknown) => yaml().isScalar(n)) as typeof Yaml.isScalar;
export const isSeq = ((n: unknown) => yaml().isSeq(n)) as typeof Yaml.isSeq;
export const parseDocument = ((...a: Parameters<typeof Yaml.parseDocument>) => yaml().parseDocument(...a)) as typeof Yaml.parseDocument;
export const parseAllDocuments = ((...a: Parameters<typeof Yaml.parseAllDocuments>) => yaml().parseAllDocuments(...a)) as typeof Yaml.parseAllDocuments;
export const newLineCounter = (): Yaml.LineCounter => new (yaml().LineCounter)();
export const newDocument = (value: unknown): Yaml.Document => new (yaml().Document)(value);
