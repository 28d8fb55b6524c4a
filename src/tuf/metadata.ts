// Notary-dialect metadata (notary tuf/data/): an envelope parsed from untrusted bytes, the generic `signed`
// JSON kept as received (unknown fields included) so that re-serialising never breaks a signature,
// and typed read-only views with the structural checks notary applies (tuf/data/*.go).
import {
  VouchError, canonicalBytes, canonicalString, fromBase64, isBase64, isJsonObject, isKeyType, parseJson, toBase64,
  type JsonObject, type JsonValue, type PublicKeyData,
} from '../core/index.js';
import { BASE_ROLES, assertRoleName, isDirectChild, isTargetsRole, type BaseRole } from './roles.js';
import { parseTime } from './time.js';

export type MetadataType = 'Root' | 'Targets' | 'Snapshot' | 'Timestamp';

/** Size limits for untrusted metadata (notary server/errors/errors.go): timestamp 1 MiB, others 100 MiB unless a parent gives the length. */
export const MAX_TIMESTAMP_BYTES = 1024 * 1024;
export const MAX_METADATA_BYTES = 100 * 1024 * 1024;

export function maxBytesFor(role: string): number {
  return role === 'timestamp' ? MAX_TIMESTAMP_BYTES : MAX_METADATA_BYTES;
}

/** The `_type` every file of a role must carry (`Targets` for every delegation too). */
export function typeOfRole(role: string): MetadataType {
  switch (role) {
    case 'root': return 'Root';
    case 'snapshot': return 'Snapshot';
    case 'timestamp': return 'Timestamp';
    default:
      assertRoleName(role);
      return 'Targets';
  }
}

/** One entry of `signatures`; `sig` stays in its wire form (base64). */
export interface Signature {
  readonly keyid: string;
  readonly method: string;
  readonly sig: string;
}

/** A role's key IDs and threshold, as in root `roles` or a delegation entry. */
export interface RoleKeys {
  readonly keyids: readonly string[];
  readonly threshold: number;
}

/** Length and hashes of a file (target or metadata); hashes map algorithm → digest bytes. */
export interface FileMeta {
  readonly length: number;
  readonly hashes: ReadonlyMap<string, Uint8Array>;
  readonly custom?: JsonValue;
}

export interface DelegationRole extends RoleKeys {
  readonly name: string;
  /** Target name prefixes; `""` = everything; empty = nothing (the field is then omitted on the wire). */
  readonly paths: readonly string[];
}

export interface Delegations {
  readonly keys: ReadonlyMap<string, PublicKeyData>;
  /** Ordered as in the file: the order matters for target resolution. */
  readonly roles: readonly DelegationRole[];
}

interface SignedCommon {
  readonly version: number;
  readonly expires: Date;
}

export interface Root extends SignedCommon {
  readonly _type: 'Root';
  readonly consistentSnapshot: boolean;
  readonly keys: ReadonlyMap<string, PublicKeyData>;
  readonly roles: Readonly<Record<BaseRole, RoleKeys>>;
}

export interface Targets extends SignedCommon {
  readonly _type: 'Targets';
  readonly targets: ReadonlyMap<string, FileMeta>;
  readonly delegations: Delegations;
}

export interface Snapshot extends SignedCommon {
  readonly _type: 'Snapshot';
  /** role → file meta for root, targets and every delegation file. */
  readonly meta: ReadonlyMap<string, FileMeta>;
}

export interface Timestamp extends SignedCommon {
  readonly _type: 'Timestamp';
  readonly meta: ReadonlyMap<string, FileMeta>;
  /** meta.snapshot, required. */
  readonly snapshot: FileMeta;
}

export type Signed = Root | Targets | Snapshot | Timestamp;

export type SignedFor<R extends string> = R extends 'root' ? Root : R extends 'snapshot' ? Snapshot : R extends 'timestamp' ? Timestamp : Targets;

/**
 * A metadata document of one role. `signedJson` is the generic, frozen `signed` object (what
 * signatures cover, via canonical JSON); `signed` is the typed view of it. Immutable.
 */
export class Metadata<T extends Signed = Signed> {
  readonly role: string;
  readonly signed: T;
  readonly signedJson: Readonly<JsonObject>;
  readonly signatures: readonly Signature[];
  /** The bytes this document was parsed from, if any (hashes in snapshot/timestamp are over these). */
  readonly raw: Uint8Array | undefined;

  private constructor(role: string, signed: T, signedJson: JsonObject, signatures: readonly Signature[], raw: Uint8Array | undefined) {
    this.role = role;
    this.signed = signed;
    this.signedJson = signedJson;
    this.signatures = signatures;
    this.raw = raw;
    Object.freeze(this);
  }

  /**
   * Builds and validates a document from a `signed` object (deep-copied, then frozen) and
   * signatures; `raw` records the bytes it came from, if any.
   */
  static from<R extends string>(role: R, signedJson: JsonObject, signatures: readonly Signature[] = [], raw?: Uint8Array): Metadata<SignedFor<R>> {
    // A `signed` object parsed (and frozen) by parseMetadata is ours alone: no copy needed.
    const json = PARSED.has(signedJson) ? signedJson : deepFreeze(cloneJson(signedJson)) as JsonObject;
    const signed = toSigned(role, json) as SignedFor<R>;
    const sigs = Object.freeze(signatures.map((s) => Object.freeze({ keyid: s.keyid, method: s.method, sig: s.sig })));
    return new Metadata(role, signed, json, sigs, raw === undefined ? undefined : new Uint8Array(raw));
  }

  /** The bytes signatures are computed over. */
  canonicalSigned(): Buffer {
    return canonicalBytes(this.signedJson);
  }

  /** Notary's serialisation: compact, `signed` first and canonical, signature keys in order keyid, method, sig. */
  toBytes(): Buffer {
    const sigs = this.signatures.map((s) => `{"keyid":${canonicalString(s.keyid)},"method":${canonicalString(s.method)},"sig":${canonicalString(s.sig)}}`);
    return Buffer.from(`{"signed":${canonicalString(this.signedJson)},"signatures":[${sigs.join(',')}]}`, 'utf8');
  }

  /** The bytes as received when parsed, else as serialised. */
  bytes(): Uint8Array {
    return this.raw ?? this.toBytes();
  }

  withSignatures(signatures: readonly Signature[]): Metadata<T> {
    return new Metadata(this.role, this.signed, this.signedJson as JsonObject, Object.freeze(signatures.map((s) => Object.freeze({ ...s }))), undefined);
  }
}

export interface ParseOptions {
  /** Refuse input larger than this (default: 1 MiB for timestamp, 100 MiB otherwise). */
  maxBytes?: number;
}

/** `signed` objects parsed by parseMetadata: deep-frozen, and referenced by nothing else. */
const PARSED = new WeakSet<object>();

/** Parses untrusted bytes as a document of `role` (structure only; signatures are checked by verify). */
export function parseMetadata<R extends string>(bytes: Uint8Array, role: R, opts: ParseOptions = {}): Metadata<SignedFor<R>> {
  assertRoleName(role);
  const doc = parseJson(bytes, { maxBytes: opts.maxBytes ?? maxBytesFor(role), what: `${role} metadata`, freeze: true });
  if (!isJsonObject(doc)) throw invalid(role, 'the document is not a JSON object');
  const signed = doc.signed;
  if (!isJsonObject(signed)) throw invalid(role, '`signed` is missing or not an object');
  // Go decodes a null slice as empty; verification then reports NO_SIGNATURES.
  const rawSigs = doc.signatures ?? [];
  if (!Array.isArray(rawSigs)) throw invalid(role, '`signatures` is not an array');
  const signatures = rawSigs.map((s, i): Signature => {
    const where = `signatures[${i}]`;
    if (!isJsonObject(s)) throw invalid(role, `${where} is not an object`);
    const sig = str(s.sig, role, `${where}.sig`);
    fromBase64(sig, `${role} ${where}.sig`);
    return { keyid: str(s.keyid, role, `${where}.keyid`), method: str(s.method, role, `${where}.method`), sig };
  });
  PARSED.add(signed);
  return Metadata.from(role, signed, signatures, bytes);
}

export const parseRoot = (bytes: Uint8Array, opts?: ParseOptions): Metadata<Root> => parseMetadata(bytes, 'root', opts);
export const parseTimestamp = (bytes: Uint8Array, opts?: ParseOptions): Metadata<Timestamp> => parseMetadata(bytes, 'timestamp', opts);
export const parseSnapshot = (bytes: Uint8Array, opts?: ParseOptions): Metadata<Snapshot> => parseMetadata(bytes, 'snapshot', opts);
export const parseTargets = (bytes: Uint8Array, role = 'targets', opts?: ParseOptions): Metadata<Targets> => parseMetadata(bytes, role, opts) as Metadata<Targets>;

// ---- typed views ----

function toSigned(role: string, j: JsonObject): Signed {
  const type = typeOfRole(role);
  if (j._type !== type) {
    throw new VouchError('WRONG_TYPE', `${role} metadata has _type ${JSON.stringify(j._type ?? null)}, expected "${type}"`, { details: { role, expected: type, got: j._type ?? null } });
  }
  const version = int(j.version, role, 'version');
  if (version < 1) throw invalid(role, `version must be at least 1, got ${version}`);
  const expires = parseTime(str(j.expires, role, 'expires'), `${role} expires`);
  const common = { version, expires };
  switch (type) {
    case 'Root': return Object.freeze({ _type: type, ...common, ...toRootBody(j) });
    case 'Targets': return Object.freeze({ _type: type, ...common, ...toTargetsBody(role, j) });
    case 'Snapshot': {
      const meta = fileMetaMap(j.meta, role, 'meta');
      // Notary's structure check: root and targets with a sha256 are required (notary tuf/data/snapshot.go).
      for (const r of ['root', 'targets']) {
        if (!meta.get(r)?.hashes.has('sha256')) throw invalid(role, `meta.${r} with a sha256 hash is required`);
      }
      for (const name of meta.keys()) if (name !== 'root' && !isTargetsRole(name)) throw invalid(role, `meta lists '${name}', which is not root, targets or a delegation`);
      return Object.freeze({ _type: type, ...common, meta });
    }
    case 'Timestamp': {
      const meta = fileMetaMap(j.meta, role, 'meta');
      const snapshot = meta.get('snapshot');
      if (!snapshot?.hashes.has('sha256')) throw invalid(role, 'meta.snapshot with a sha256 hash is required');
      return Object.freeze({ _type: type, ...common, meta, snapshot });
    }
  }
}

function toRootBody(j: JsonObject): Pick<Root, 'consistentSnapshot' | 'keys' | 'roles'> {
  const cs = j.consistent_snapshot ?? false;
  if (typeof cs !== 'boolean') throw invalid('root', 'consistent_snapshot is not a boolean');
  const keys = keyMap(j.keys, 'root', 'keys');
  const rolesJson = obj(j.roles, 'root', 'roles');
  for (const name of Object.keys(rolesJson)) {
    if (!(BASE_ROLES as readonly string[]).includes(name)) throw invalid('root', `roles lists '${name}'; only the four base roles are allowed`);
  }
  const roles = {} as Record<BaseRole, RoleKeys>;
  for (const name of BASE_ROLES) {
    if (rolesJson[name] === undefined) throw invalid('root', `roles.${name} is missing`);
    roles[name] = roleKeys(rolesJson[name], keys, 'root', `roles.${name}`);
  }
  return { consistentSnapshot: cs, keys, roles: Object.freeze(roles) };
}

function toTargetsBody(role: string, j: JsonObject): Pick<Targets, 'targets' | 'delegations'> {
  const targets = fileMetaMap(j.targets ?? {}, role, 'targets', true);
  const d = obj(j.delegations ?? { keys: {}, roles: [] }, role, 'delegations');
  const keys = keyMap(d.keys ?? {}, role, 'delegations.keys');
  const rolesJson = d.roles ?? [];
  if (!Array.isArray(rolesJson)) throw invalid(role, 'delegations.roles is not an array');
  const seen = new Set<string>();
  const roles = rolesJson.map((r, i): DelegationRole => {
    const where = `delegations.roles[${i}]`;
    const o = obj(r, role, where);
    const name = str(o.name, role, `${where}.name`);
    if (!isDirectChild(role, name)) {
      throw new VouchError('INVALID_ROLE', `${role} delegates to '${name}', which is not a valid direct child role`, { details: { role, delegation: name } });
    }
    if (seen.has(name)) throw invalid(role, `delegation ${name} is listed twice`);
    seen.add(name);
    const paths = o.paths ?? [];
    if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string')) throw invalid(role, `${where}.paths is not a list of strings`);
    return Object.freeze({ name, ...roleKeys(o, keys, role, where), paths: Object.freeze([...paths]) });
  });
  return { targets, delegations: Object.freeze({ keys, roles: Object.freeze(roles) }) };
}

function roleKeys(v: JsonValue | undefined, keys: ReadonlyMap<string, PublicKeyData>, role: string, where: string): RoleKeys {
  const o = obj(v, role, where);
  const ids = o.keyids ?? [];
  if (!Array.isArray(ids)) throw invalid(role, `${where}.keyids is not an array`);
  const keyids = ids.map((k, i) => str(k, role, `${where}.keyids[${i}]`));
  for (const id of keyids) if (!keys.has(id)) throw invalid(role, `${where} lists key ${id}, which is not in keys`);
  const threshold = int(o.threshold, role, `${where}.threshold`);
  if (threshold < 1) {
    throw new VouchError('INVALID_THRESHOLD', `${role} ${where}.threshold is ${threshold}; it must be at least 1`, { details: { role, threshold } });
  }
  return Object.freeze({ keyids: Object.freeze(keyids), threshold });
}

function keyMap(v: JsonValue | undefined, role: string, where: string): ReadonlyMap<string, PublicKeyData> {
  const o = obj(v, role, where);
  const out = new Map<string, PublicKeyData>();
  for (const [id, k] of Object.entries(o)) {
    const ko = obj(k, role, `${where}.${id}`);
    const keytype = str(ko.keytype, role, `${where}.${id}.keytype`);
    if (!isKeyType(keytype)) throw new VouchError('UNSUPPORTED_KEY_TYPE', `${role} ${where}.${id} has unsupported keytype '${keytype}'`, { details: { role, keyid: id, keytype } });
    const keyval = obj(ko.keyval, role, `${where}.${id}.keyval`);
    const pub = fromBase64(str(keyval.public, role, `${where}.${id}.keyval.public`), `${role} key ${id}`);
    out.set(id, Object.freeze({ keytype, public: pub }));
  }
  return out;
}

function fileMetaMap(v: JsonValue | undefined, role: string, where: string, allowCustom = false): ReadonlyMap<string, FileMeta> {
  const o = obj(v, role, where);
  const out = new Map<string, FileMeta>();
  for (const name of Object.keys(o)) out.set(name, fileMeta(o[name], role, where, name, allowCustom));
  return out;
}

/**
 * A file meta parsed from metadata: length and custom are read at once; the hashes are checked at
 * once (strict padded base64, as notary refuses a file with any other) but decoded on first use,
 * from the frozen `hashes` object of the document (tens of thousands of targets would otherwise
 * each get a Map and a Buffer that most readers never look at).
 */
class ParsedFileMeta implements FileMeta {
  readonly length: number;
  declare readonly custom?: JsonValue;
  readonly #json: Readonly<JsonObject>;
  /** hashes.sha256 as written, read by most callers */
  readonly #sha256: string | undefined;
  #hashes: Map<string, Uint8Array> | undefined;

  constructor(length: number, hashes: Readonly<JsonObject>, sha256: string | undefined, custom: JsonValue | undefined) {
    this.length = length;
    if (custom !== undefined) (this as { custom?: JsonValue }).custom = custom;
    this.#json = hashes;
    this.#sha256 = sha256;
    Object.freeze(this);
  }

  get hashes(): ReadonlyMap<string, Uint8Array> {
    if (this.#hashes === undefined) {
      const out = new Map<string, Uint8Array>();
      for (const alg of Object.keys(this.#json)) out.set(alg, Buffer.from(this.#json[alg] as string, 'base64'));
      this.#hashes = out;
    }
    return this.#hashes;
  }

  /** The hash as written (checked strict base64), without decoding. */
  hashText(alg: string): string | undefined {
    if (alg === 'sha256') return this.#sha256;
    return Object.hasOwn(this.#json, alg) ? this.#json[alg] as string : undefined;
  }
}

/**
 * The base64 text of `meta`'s `alg` hash: as written in the document for parsed metadata (checked
 * strict padded base64; two texts can differ only in padding bits for the same bytes), else encoded.
 */
export function hashBase64(meta: FileMeta, alg: string): string | undefined {
  if (meta instanceof ParsedFileMeta) return meta.hashText(alg);
  const h = meta.hashes.get(alg);
  return h === undefined ? undefined : toBase64(h);
}

/** Lowercase hex of `meta`'s `alg` hash (whatever its length), or undefined when it has none. */
export function hashHex(meta: FileMeta, alg: string): string | undefined {
  if (meta instanceof ParsedFileMeta) {
    const text = meta.hashText(alg);
    return text === undefined ? undefined : Buffer.from(text, 'base64').toString('hex');
  }
  const h = meta.hashes.get(alg);
  return h === undefined ? undefined : Buffer.from(h.buffer, h.byteOffset, h.byteLength).toString('hex');
}

/** One file's meta; `where[name]` is only spelled out for an error (there are tens of thousands). */
function fileMeta(v: JsonValue | undefined, role: string, parent: string, name: string, allowCustom: boolean): FileMeta {
  if (!isJsonObject(v)) throw invalidAt(role, parent, name, ' is not an object');
  const length = v.length;
  if (typeof length !== 'number' || !Number.isSafeInteger(length)) throw invalidAt(role, parent, name, '.length is not an integer');
  if (length < 0) throw invalidAt(role, parent, name, '.length is negative');
  const h = v.hashes;
  if (!isJsonObject(h)) throw invalidAt(role, parent, name, '.hashes is not an object');
  let sha256: string | undefined;
  for (const alg of Object.keys(h)) {
    const text = h[alg];
    if (typeof text !== 'string') throw invalidAt(role, parent, name, `.hashes.${alg} is not a string`);
    if (!isBase64(text)) fromBase64(text, `${role} ${parent}[${JSON.stringify(name)}].hashes.${alg}`); // throws
    if (alg === 'sha256') sha256 = text;
  }
  // `h` is frozen (parsed documents are frozen, others deep-copied and frozen by Metadata.from)
  return new ParsedFileMeta(length, h, sha256, allowCustom ? v.custom : undefined);
}

function invalidAt(role: string, parent: string, name: string, what: string): VouchError {
  return invalid(role, `${parent}[${JSON.stringify(name)}]${what}`);
}

// ---- small checked accessors ----

function invalid(role: string, msg: string): VouchError {
  return new VouchError('INVALID_METADATA', `${role} metadata: ${msg}`, { details: { role } });
}

function obj(v: JsonValue | undefined, role: string, where: string): JsonObject {
  if (!isJsonObject(v)) throw invalid(role, `${where} is not an object`);
  return v;
}

function str(v: JsonValue | undefined, role: string, where: string): string {
  if (typeof v !== 'string') throw invalid(role, `${where} is not a string`);
  return v;
}

function int(v: JsonValue | undefined, role: string, where: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw invalid(role, `${where} is not an integer`);
  return v;
}

export function cloneJson<T extends JsonValue>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

function deepFreeze(v: JsonValue): JsonValue {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

// ---- helpers for producers ----

/** `{"keytype":…,"keyval":{"private":null,"public":…}}` as written in metadata. */
export function keyToJson(key: PublicKeyData): JsonObject {
  return { keytype: key.keytype, keyval: { private: null, public: toBase64(key.public) } };
}

/** `{"hashes":{…},"length":n}` (plus `custom` for targets). */
export function fileMetaToJson(meta: FileMeta): JsonObject {
  const hashes: JsonObject = {};
  for (const [alg, h] of meta.hashes) hashes[alg] = toBase64(h);
  const out: JsonObject = { hashes, length: meta.length };
  if (meta.custom !== undefined) out.custom = cloneJson(meta.custom);
  return out;
}
