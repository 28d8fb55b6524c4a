// Policy validation: source text (YAML or JSON) in, `{policy, errors, warnings}` out, as data.
// Works on the YAML syntax tree so that every issue carries the line and column of the
// offending key or value. Reading the file is the caller's job (the CLI).
import { Document, LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Node, Pair, YAMLMap } from 'yaml';
import { VouchError } from '../core/errors.js';
import { BUILTIN_SETTINGS } from './evaluate.js';
import { checkRepositoryPattern, checkTagPattern, lintRepositoryPattern } from './pattern.js';
import { checkNotationIdentity, checkRegExp, checkSignerName, checkTrustStoreRef, displaySigner, parseSigner } from './signer.js';
import type { Mode, Policy, PolicyIssue, PolicyIssueCode, PolicyValidation, RequireGroup, Rule, RuleSettings, SignerDefinition, TagRule } from './types.js';

/** Larger sources are refused before parsing: a policy is a short hand-written file. */
export const MAX_POLICY_CHARS = 1 << 20;
/** Caps alias expansion ("billion laughs") while walking the tree. */
const MAX_NODES = 100_000;
/** Past this many errors the rest are noise; the first ones are what the user will fix. */
const MAX_ERRORS = 100;

/** Thrown inside the walk when the tree expands past MAX_NODES; caught in `run`. */
class TooLarge extends Error {}


const SETTING_KEYS = ['mode', 'rejectUnsigned', 'requirePin', 'requireAgreement', 'signers', 'threshold', 'require'] as const;
type SettingKey = (typeof SETTING_KEYS)[number];
const TOP_KEYS = ['version', 'signers', 'defaults', 'rules'];
const SIGNER_KINDS = ['dct', 'notation', 'cosign'] as const;
const NOTATION_KEYS = ['trustStore', 'trustStores', 'identities', 'level', 'trustPolicy', 'trustStoreDir'];
const COSIGN_KEYS = ['key', 'trustedRoot', 'issuer', 'issuerRegExp', 'subject', 'subjectRegExp'];
/** Bounds of one signer definition: a policy is hand-written. */
const MAX_SIGNER_LIST = 100;
const DEFAULTS_KEYS = [...SETTING_KEYS, 'tags'];
const RULE_KEYS = ['name', 'repositories', ...SETTING_KEYS, 'tags'];
const TAG_KEYS = ['pattern', ...SETTING_KEYS];

// Words people reach for that are not keys; mapped to the key they meant.
const KEY_ALIASES: Record<string, string> = {
  repository: 'repositories', repo: 'repositories', repos: 'repositories', image: 'repositories', images: 'repositories', gun: 'repositories', guns: 'repositories', scope: 'repositories', scopes: 'repositories',
  signer: 'signers', signedby: 'signers', delegations: 'signers', tag: 'tags', match: 'pattern', glob: 'pattern', tagpattern: 'pattern',
  rule: 'rules', default: 'defaults', action: 'mode', level: 'mode', enforce: 'mode', audit: 'mode',
  pin: 'requirePin', pinned: 'requirePin', requiredigest: 'requirePin', allowunsigned: 'rejectUnsigned', unsigned: 'rejectUnsigned',
  k: 'threshold', min: 'threshold', minimum: 'threshold', minsigners: 'threshold', required: 'threshold', agreement: 'requireAgreement', agree: 'requireAgreement',
};

type Path = (string | number)[];

/** What one level (defaults, a rule, a tag entry) set, and where, for the cascade checks. */
interface Level {
  what: string;
  settings: RuleSettings;
  nodes: Partial<Record<SettingKey, Node>>;
  invalid: Set<SettingKey>;
  path: Path;
}

/**
 * For a check over the cascade (defaults < rule < tag entry): the level being checked and, per
 * setting, the level it comes from. Undefined when that level sets none of `keys`, or one of them
 * is invalid somewhere in the chain (its error is already reported).
 */
function cascadeOf<K extends SettingKey>(chain: Level[], keys: readonly K[]): { level: Level; from: (key: K) => Level | undefined } | undefined {
  const level = chain[chain.length - 1] as Level;
  if (keys.every((k) => level.nodes[k] === undefined)) return undefined;
  if (chain.some((l) => keys.some((k) => l.invalid.has(k)))) return undefined;
  return { level, from: (key) => [...chain].reverse().find((l) => l.settings[key] !== undefined) };
}

function normKey(s: string): string {
  return s.toLowerCase().replace(/[-_\s]/g, '');
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j] as number;
      row[j] = Math.min(cur + 1, (row[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length] as number;
}

function suggest(word: string, choices: readonly string[]): string | undefined {
  const n = normKey(word);
  const exact = choices.find((c) => normKey(c) === n);
  if (exact) return exact;
  const alias = KEY_ALIASES[n];
  if (alias && choices.includes(alias)) return alias;
  let best: string | undefined;
  let bestD = 3;
  for (const c of choices) {
    const d = editDistance(n, normKey(c));
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best;
}

/** `rules[0].tags[1].threshold` */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out;
}

class Validator {
  readonly errors: PolicyIssue[] = [];
  readonly warnings: PolicyIssue[] = [];
  private visited = 0;
  /** Keys that an unknown key in the map was taken for: their "missing" error would repeat it. */
  private readonly suggested = new WeakMap<YAMLMap, Set<string>>();
  /** The top-level `signers:` map, valid entries only; `invalid` holds names whose definition has errors. */
  readonly defined = new Map<string, SignerDefinition & { line?: number }>();
  private readonly invalidNames = new Set<string>();
  readonly used = new Set<string>();

  constructor(
    private readonly doc: Document,
    private readonly source: string | undefined,
    private readonly lc: LineCounter | undefined,
  ) {}

  private at(node: Node | null | undefined): { line?: number; column?: number } {
    const off = node?.range?.[0];
    if (off === undefined || this.lc === undefined) return {};
    const p = this.lc.linePos(off);
    return { line: p.line, column: p.col };
  }

  line(node: Node | null | undefined): number | undefined {
    return this.at(node).line;
  }

  error(code: PolicyIssueCode, path: Path, node: Node | null | undefined, message: string): void {
    if (this.errors.length >= MAX_ERRORS) return;
    this.errors.push({ code, message, path: [...path], ...this.at(node) });
  }

  warn(code: PolicyIssueCode, path: Path, node: Node | null | undefined, message: string): void {
    this.warnings.push({ code, message, path: [...path], ...this.at(node) });
  }

  /** Follows aliases (`*name`) so that anchors can share signer lists; counts nodes to bound expansion. */
  resolve(node: unknown): Node | null {
    if (node === null || node === undefined) return null;
    let n = node as Node;
    if (isAlias(n)) n = (n.resolve(this.doc) ?? null) as Node;
    if (++this.visited > MAX_NODES) throw new TooLarge();
    return n;
  }

  describe(node: Node | null): string {
    if (node === null) return 'nothing';
    if (isMap(node)) return 'a mapping';
    if (isSeq(node)) return 'a list';
    if (isScalar(node)) {
      const v = node.value;
      if (v === null || v === undefined) return 'an empty value';
      if (typeof v === 'string') return `the text ${JSON.stringify(v)}`;
      if (typeof v === 'number') return `the number ${this.text(node) ?? String(v)}`;
      if (typeof v === 'boolean') return String(v);
    }
    return 'an unsupported value';
  }

  /** The value as written in the source (YAML turns `1.10` into the number 1.1). */
  private text(node: Node): string | undefined {
    const r = node.range;
    return r && this.source !== undefined ? this.source.slice(r[0], r[1]).trim() : undefined;
  }

  /** A hint for values YAML typed differently from what the user meant. */
  quoteHint(node: Node | null): string {
    if (node && isScalar(node) && (typeof node.value === 'number' || typeof node.value === 'boolean')) {
      return `; quote it to make it text: "${this.text(node) ?? String(node.value)}"`;
    }
    return '';
  }

  /** Checks keys against `allowed` and returns the pairs by key. */
  entries(map: YAMLMap, path: Path, allowed: readonly string[], what: string): Map<string, { key: Node; value: Node | null }> {
    const out = new Map<string, { key: Node; value: Node | null }>();
    for (const pair of map.items as Pair<unknown, unknown>[]) {
      const key = this.resolve(pair.key);
      if (key === null || !isScalar(key) || typeof key.value !== 'string') {
        this.error('wrong-type', path, key ?? map, `keys in ${what} must be text, got ${this.describe(key)}`);
        continue;
      }
      const name = key.value;
      if (!allowed.includes(name)) {
        const s = suggest(name, allowed);
        if (s) this.suggested.set(map, (this.suggested.get(map) ?? new Set()).add(s));
        const hint = s ? `did you mean \`${s}\`? ` : '';
        this.error('unknown-key', [...path, name], key, `unknown key \`${name}\` in ${what}; ${hint}expected one of: ${allowed.join(', ')}`);
        continue;
      }
      out.set(name, { key, value: this.resolve(pair.value) });
    }
    return out;
  }

  missing(map: YAMLMap, key: string, path: Path, message: string): void {
    if (!this.suggested.get(map)?.has(key)) this.error('missing-key', path, map, message);
  }

  str(node: Node | null, path: Path, what: string, example: string): string | undefined {
    if (node && isScalar(node) && typeof node.value === 'string') return node.value;
    this.error('wrong-type', path, node, `${what} must be text (e.g. ${example}), got ${this.describe(node)}${this.quoteHint(node)}`);
    return undefined;
  }

  bool(node: Node | null, path: Path, key: string): boolean | undefined {
    if (node && isScalar(node) && typeof node.value === 'boolean') return node.value;
    this.error('wrong-type', path, node, `\`${key}\` must be true or false, got ${this.describe(node)}`);
    return undefined;
  }

  /** Reads the settings keys of one level. */
  settings(entries: Map<string, { key: Node; value: Node | null }>, path: Path, what: string): Level {
    const level: Level = { what, settings: {}, nodes: {}, invalid: new Set(), path };
    for (const key of SETTING_KEYS) {
      const e = entries.get(key);
      if (!e) continue;
      const node = e.value ?? e.key;
      level.nodes[key] = node;
      const p = [...path, key];
      const before = this.errors.length;
      switch (key) {
        case 'mode': {
          const v = e.value && isScalar(e.value) && typeof e.value.value === 'string' ? e.value.value : undefined;
          if (v === 'enforce' || v === 'audit') level.settings.mode = v as Mode;
          else {
            const s = v === undefined ? undefined : suggest(v, ['enforce', 'audit']);
            this.error(v === undefined ? 'wrong-type' : 'bad-value', p, node, `\`mode\` must be 'enforce' or 'audit', got ${this.describe(e.value)}${s ? `; did you mean '${s}'?` : ''}`);
          }
          break;
        }
        case 'rejectUnsigned':
        case 'requirePin':
        case 'requireAgreement': {
          const v = this.bool(e.value, p, key);
          if (v !== undefined) level.settings[key] = v;
          break;
        }
        case 'threshold': {
          const v = e.value && isScalar(e.value) ? e.value.value : undefined;
          if (typeof v === 'number' && Number.isInteger(v) && v >= 1) level.settings.threshold = v;
          else if (v === 'all') level.settings.threshold = 'all';
          else this.error(typeof v === 'number' ? 'bad-value' : 'wrong-type', p, node, `\`threshold\` must be a whole number of at least 1 (how many distinct signers must sign one digest) or \`all\`, got ${this.describe(e.value)}`);
          break;
        }
        case 'signers': {
          const v = this.signers(e.value, p);
          if (v !== undefined) level.settings.signers = v;
          break;
        }
        case 'require': {
          const v = this.requireGroups(e.value, p);
          if (v !== undefined) level.settings.require = v;
          break;
        }
      }
      if (this.errors.length > before) level.invalid.add(key);
    }
    return level;
  }

  signers(node: Node | null, path: Path): readonly string[] | 'any' | undefined {
    if (node && isScalar(node) && node.value === 'any') return 'any';
    if (!node || !isSeq(node)) {
      this.error('wrong-type', path, node, `\`signers\` must be a list of signer names (e.g. [alice, bob, "Repo Admin"]) or \`any\`, got ${this.describe(node)}`);
      return undefined;
    }
    if (node.items.length === 0) {
      this.error('empty-signers', path, node, '`signers` is empty, so nothing could ever be accepted; list who may sign (e.g. [alice]) or write `signers: any`');
      return undefined;
    }
    const roles: string[] = [];
    const seen = new Map<string, string>();
    let ok = true;
    node.items.forEach((raw, i) => {
      const item = this.resolve(raw);
      const name = this.str(item, [...path, i], 'a signer', 'alice');
      if (name === undefined) return void (ok = false);
      const parsed = this.signerRef(name, [...path, i], item);
      if (parsed === undefined) return void (ok = false);
      if ('error' in parsed) {
        ok = false;
        return this.error('bad-signer', [...path, i], item, parsed.error);
      }
      const first = seen.get(parsed.role);
      if (first !== undefined) {
        ok = false;
        const as = first === name ? '' : ` (as '${first}' and '${name}')`;
        return this.error('duplicate-signer', [...path, i], item, `signer '${displaySigner(parsed.role)}' is listed twice${as}; each signer counts once`);
      }
      seen.set(parsed.role, name);
      roles.push(parsed.role);
    });
    return ok ? roles : undefined;
  }

  /** `require:` a list of `{signers, threshold}` groups that must all be met. */
  requireGroups(node: Node | null, path: Path): RequireGroup[] | undefined {
    const items = this.list(node, path, '`require`', 'groups such as `- { signers: [ci, security], threshold: 1 }`');
    if (items === undefined) return undefined;
    if (items.length === 0 || items.length > MAX_SIGNER_LIST) {
      this.error('bad-value', path, node, `\`require\` must list between 1 and ${MAX_SIGNER_LIST} groups`);
      return undefined;
    }
    const before = this.errors.length;
    const groups: RequireGroup[] = [];
    items.forEach((raw, i) => {
      const p = [...path, i];
      const map = this.mapping(raw, p, 'a `require` group', '`signers` and `threshold`');
      if (!map) return;
      const e = this.entries(map, p, ['signers', 'threshold'], 'a `require` group');
      const se = e.get('signers');
      const te = e.get('threshold');
      if (!se) this.missing(map, 'signers', p, 'a `require` group needs `signers`: the list it counts');
      if (!te) this.missing(map, 'threshold', p, 'a `require` group needs `threshold`: how many of its signers (or `all`)');
      const signers = se ? this.signers(se.value, [...p, 'signers']) : undefined;
      if (signers === 'any') return this.error('bad-value', [...p, 'signers'], se?.value, 'a `require` group lists its signers; `any` counts nothing in particular');
      const tv = te?.value && isScalar(te.value) ? te.value.value : undefined;
      let threshold: number | 'all' | undefined;
      if (tv === 'all' || (typeof tv === 'number' && Number.isInteger(tv) && tv >= 1)) threshold = tv as number | 'all';
      else if (te) this.error('bad-value', [...p, 'threshold'], te.value ?? te.key, `a group's \`threshold\` must be a whole number of at least 1 or \`all\`, got ${this.describe(te.value)}`);
      if (signers === undefined || threshold === undefined) return;
      if (typeof threshold === 'number' && threshold > signers.length) {
        return this.error('threshold-exceeds-signers', [...p, 'threshold'], te?.value, `group threshold ${threshold} is more than its ${signers.length} signer${signers.length === 1 ? '' : 's'}: k of n needs k ≤ n`);
      }
      groups.push({ signers, threshold });
    });
    return this.errors.length > before ? undefined : groups;
  }

  /** A level's effective `require` groups name only signers of its effective `signers` list. */
  checkRequire(chain: Level[]): void {
    const c = cascadeOf(chain, ['signers', 'require'] as const);
    if (c === undefined) return;
    const { level, from: find } = c;
    const rl = find('require');
    const groups = rl?.settings.require;
    if (groups === undefined) return;
    const signers = find('signers')?.settings.signers ?? BUILTIN_SETTINGS.signers;
    const node = level.nodes.require ?? level.nodes.signers;
    const key = level.nodes.require !== undefined ? 'require' : 'signers';
    if (signers === 'any') {
      this.error('bad-value', [...level.path, key], node, '`require` groups count named signers, but `signers` is `any` here; list who may sign');
      return;
    }
    const outside = [...new Set(groups.flatMap((g) => g.signers).filter((s) => !signers.includes(s)))];
    if (outside.length > 0) {
      const shown = outside.map((s) => (this.defined.has(s) ? s : displaySigner(s))).join(', ');
      this.error('bad-value', [...level.path, key], node, `\`require\` names ${shown}, who may not sign here (not in \`signers\`${rl !== level ? `; require from ${rl?.what ?? 'above'}` : ''}); add them to \`signers\` or drop them from the group`);
    }
  }

  /**
   * What a name in a `signers` list stands for: `dct:NAME` a DCT signer; `notation:NAME` and
   * `cosign:NAME` an entry of that kind in the `signers:` map; a bare name the map's entry, else a
   * DCT signer as before the map existed. Undefined when an error was reported here.
   */
  signerRef(name: string, path: Path, node: Node | null): { role: string } | { error: string } | undefined {
    const colon = name.indexOf(':');
    const prefix = colon > 0 ? name.slice(0, colon) : undefined;
    if (prefix === 'dct') return parseSigner(name.slice(colon + 1));
    if (prefix === 'notation' || prefix === 'cosign') {
      const ref = name.slice(colon + 1);
      const def = this.defined.get(ref);
      if (this.invalidNames.has(ref)) return undefined;
      this.used.add(ref);
      if (def === undefined || def.kind !== prefix) {
        const what = def === undefined ? 'is not defined in the top-level `signers:` map' : `is a ${def.kind} signer in the \`signers:\` map`;
        this.error('unknown-signer', path, node, `'${name}': '${ref}' ${what}; define it there (e.g. ${ref}: { ${prefix}: { … } }) or name it as it is defined`);
        return undefined;
      }
      return { role: ref };
    }
    if (this.invalidNames.has(name)) {
      this.used.add(name);
      return undefined;
    }
    const def = this.defined.get(name);
    if (def !== undefined) {
      this.used.add(name);
      return def.kind === 'dct' ? { role: def.role } : { role: name };
    }
    const parsed = parseSigner(name);
    if (!('error' in parsed) && this.defined.size > 0) {
      const close = suggest(name, [...this.defined.keys()]);
      if (close !== undefined) this.warn('signer-not-defined', path, node, `'${name}' is not in the \`signers:\` map, so it is the DCT signer ${parsed.role}; did you mean '${close}'? (write dct:${name} to say DCT explicitly)`);
    }
    return parsed;
  }

  /** A non-empty text value of a signer definition (a path, an issuer, …). */
  private text1(e: { key: Node; value: Node | null } | undefined, path: Path, what: string, example: string): string | undefined {
    if (e === undefined) return undefined;
    const v = this.str(e.value, path, what, example);
    if (v === '') {
      this.error('bad-value', path, e.value, `${what} cannot be empty`);
      return undefined;
    }
    return v;
  }

  /** A list of non-empty texts (one text is taken as a list of one when `single`). */
  private texts(e: { key: Node; value: Node | null } | undefined, path: Path, what: string, example: string, single: boolean): { value: string; node: Node | null; path: Path }[] | undefined {
    if (e === undefined) return undefined;
    if (single && e.value && isScalar(e.value)) {
      const v = this.text1(e, path, what, example);
      return v === undefined ? undefined : [{ value: v, node: e.value, path }];
    }
    const items = this.list(e.value, path, what, example);
    if (items === undefined) return undefined;
    if (items.length === 0 || items.length > MAX_SIGNER_LIST) {
      this.error('bad-value', path, e.value, `${what} must list between 1 and ${MAX_SIGNER_LIST} entries`);
      return undefined;
    }
    const out: { value: string; node: Node | null; path: Path }[] = [];
    items.forEach((item, i) => {
      const v = this.str(item, [...path, i], what, example);
      if (v !== undefined && v !== '') out.push({ value: v, node: item, path: [...path, i] });
      else if (v === '') this.error('bad-value', [...path, i], item, `${what} cannot be empty`);
    });
    return out.length === items.length ? out : undefined;
  }

  /** The top-level `signers:` map: name → one of `dct: NAME`, `notation: {…}`, `cosign: {…}`. */
  signerMap(node: Node | null): void {
    const map = this.mapping(node, ['signers'], '`signers`', 'signer names, each with one of dct, notation or cosign');
    if (!map) return;
    for (const pair of map.items as Pair<unknown, unknown>[]) {
      const key = this.resolve(pair.key);
      if (key === null || !isScalar(key) || typeof key.value !== 'string') {
        this.error('wrong-type', ['signers'], key ?? map, `signer names must be text, got ${this.describe(key)}`);
        continue;
      }
      const name = key.value;
      const p: Path = ['signers', name];
      const before = this.errors.length;
      const bad = checkSignerName(name);
      if (bad !== undefined) this.error('bad-signer', p, key, bad);
      const def = this.signerDefinition(this.resolve(pair.value), p, name);
      const line = this.line(key);
      if (def !== undefined && this.errors.length === before) this.defined.set(name, { ...def, ...(line === undefined ? {} : { line }) });
      else this.invalidNames.add(name);
    }
  }

  private signerDefinition(node: Node | null, p: Path, name: string): SignerDefinition | undefined {
    const map = this.mapping(node, p, `signer '${name}'`, 'one of `dct: NAME`, `notation: {…}` or `cosign: {…}`');
    if (!map) return undefined;
    const e = this.entries(map, p, SIGNER_KINDS, `signer '${name}'`);
    if (e.size === 0) {
      this.missing(map, 'dct', p, `signer '${name}' needs its kind: one of dct, notation or cosign`);
      return undefined;
    }
    if (e.size > 1) {
      this.error('bad-signer-definition', p, map, `signer '${name}' has ${[...e.keys()].join(' and ')}; a signer is of one kind: define one signer per kind and list them in the rule`);
      return undefined;
    }
    const [kind, entry] = [...e][0] as [string, { key: Node; value: Node | null }];
    const kp: Path = [...p, kind];
    if (kind === 'dct') {
      const v = this.str(entry.value, kp, '`dct`', 'alice, or "Repo Admin"');
      if (v === undefined) return undefined;
      const parsed = parseSigner(v);
      if ('error' in parsed) {
        this.error('bad-signer', kp, entry.value, parsed.error);
        return undefined;
      }
      return { kind: 'dct', role: parsed.role };
    }
    const body = this.mapping(entry.value, kp, `\`${kind}\` of signer '${name}'`, kind === 'notation' ? '`trustStore`, `identities`, `level`, or `trustPolicy`' : '`key`, or `trustedRoot` with `issuer` and `subject`');
    if (!body) return undefined;
    if (kind === 'notation') return this.notationSigner(body, kp, name);
    return this.cosignSigner(body, kp, name);
  }

  private notationSigner(body: YAMLMap, p: Path, name: string): SignerDefinition | undefined {
    const e = this.entries(body, p, NOTATION_KEYS, `the notation signer '${name}'`);
    const before = this.errors.length;
    const trustPolicy = this.text1(e.get('trustPolicy'), [...p, 'trustPolicy'], '`trustPolicy`', 'notation/trustpolicy.json');
    const trustStoreDir = this.text1(e.get('trustStoreDir'), [...p, 'trustStoreDir'], '`trustStoreDir`', 'notation (a directory holding truststore/x509/…)');
    const dirs = { ...(trustStoreDir !== undefined ? { trustStoreDir } : {}) };
    if (e.has('trustPolicy')) {
      const extra = ['trustStore', 'trustStores', 'identities', 'level'].filter((k) => e.has(k));
      if (extra.length > 0) {
        this.error('bad-signer-definition', [...p, extra[0] as string], e.get(extra[0] as string)?.key, `signer '${name}' takes its trust stores, identities and level from \`trustPolicy\`; drop ${extra.join(', ')}, or drop trustPolicy`);
      }
      return this.errors.length === before && trustPolicy !== undefined ? { kind: 'notation', trustPolicy, ...dirs } : undefined;
    }
    if (e.has('trustStore') && e.has('trustStores')) this.error('bad-signer-definition', [...p, 'trustStores'], e.get('trustStores')?.key, 'give `trustStore` or `trustStores`, not both');
    const storesKey = e.has('trustStores') ? 'trustStores' : 'trustStore';
    const stores = this.texts(e.get(storesKey), [...p, storesKey], `\`${storesKey}\``, 'ca:acme', storesKey === 'trustStore');
    if (!e.has('trustStore') && !e.has('trustStores')) this.missing(body, 'trustStore', p, `the notation signer '${name}' needs \`trustStore\` (TYPE:NAME, e.g. ca:acme) and \`identities\`, or notation's own \`trustPolicy\` file`);
    for (const s of stores ?? []) {
      const why = checkTrustStoreRef(s.value);
      if (why) this.error('bad-value', s.path, s.node, why);
    }
    const ids = this.texts(e.get('identities'), [...p, 'identities'], '`identities`', '["x509.subject: C=US, ST=WA, O=Acme, CN=ci"] or ["*"]', false);
    if (!e.has('identities')) this.missing(body, 'identities', p, `the notation signer '${name}' needs \`identities\`: ["x509.subject: C=…, ST=…, O=…"] or ["*"] (any identity the trust store's CAs issued)`);
    if (ids !== undefined && ids.length > 1 && ids.some((i) => i.value === '*')) this.error('bad-identity', [...p, 'identities'], e.get('identities')?.value, "'*' accepts any identity, so it cannot be combined with others");
    for (const id of ids ?? []) {
      const why = checkNotationIdentity(id.value);
      if (why) this.error('bad-identity', id.path, id.node, why);
    }
    let level: 'strict' | 'permissive' | 'audit' = 'strict';
    const le = e.get('level');
    if (le !== undefined) {
      const v = le.value && isScalar(le.value) ? le.value.value : undefined;
      if (v === 'strict' || v === 'permissive' || v === 'audit') level = v;
      else {
        const why = v === 'skip' ? "; 'skip' would accept anything: leave the signer out of the rule instead" : '';
        this.error('bad-value', [...p, 'level'], le.value ?? le.key, `\`level\` must be strict, permissive or audit (as notation's trust policy), got ${this.describe(le.value)}${why}`);
      }
    }
    if (this.errors.length > before || stores === undefined || ids === undefined) return undefined;
    return { kind: 'notation', trustStores: stores.map((s) => s.value), identities: ids.map((i) => i.value), level, ...dirs };
  }

  private cosignSigner(body: YAMLMap, p: Path, name: string): SignerDefinition | undefined {
    const e = this.entries(body, p, COSIGN_KEYS, `the cosign signer '${name}'`);
    const before = this.errors.length;
    const get = (k: string, example: string): string | undefined => this.text1(e.get(k), [...p, k], `\`${k}\``, example);
    const key = get('key', 'keys/cosign.pub');
    const trustedRoot = get('trustedRoot', 'trusted_root.json');
    const fields: Record<string, string | undefined> = {
      issuer: get('issuer', 'https://token.actions.githubusercontent.com'), issuerRegExp: get('issuerRegExp', '^https://accounts\\.example\\.com$'),
      subject: get('subject', 'ci@example.com'), subjectRegExp: get('subjectRegExp', '^https://github\\.com/acme/.*$'),
    };
    for (const k of ['issuerRegExp', 'subjectRegExp']) {
      const v = fields[k];
      const why = v === undefined ? undefined : checkRegExp(v);
      if (why) this.error('bad-regexp', [...p, k], e.get(k)?.value, why);
    }
    const identity = ['issuer', 'issuerRegExp', 'subject', 'subjectRegExp'].filter((k) => e.has(k));
    if (e.has('key') && e.has('trustedRoot')) this.error('bad-signer-definition', [...p, 'trustedRoot'], e.get('trustedRoot')?.key, `signer '${name}' has both \`key\` and \`trustedRoot\`: a cosign signer is a public key or a keyless identity; define two signers`);
    else if (e.has('key') && identity.length > 0) this.error('bad-signer-definition', [...p, identity[0] as string], e.get(identity[0] as string)?.key, `\`${identity[0] as string}\` is for keyless signers (with \`trustedRoot\`); a key-based signer is its \`key\``);
    else if (!e.has('key') && !e.has('trustedRoot')) this.missing(body, 'key', p, `the cosign signer '${name}' needs \`key\` (a cosign.pub) or \`trustedRoot\` (a Sigstore trusted_root.json) with \`issuer\` and \`subject\``);
    else if (e.has('trustedRoot')) {
      for (const [a, b] of [['issuer', 'issuerRegExp'], ['subject', 'subjectRegExp']] as const) {
        if (e.has(a) && e.has(b)) this.error('bad-signer-definition', [...p, b], e.get(b)?.key, `give \`${a}\` or \`${b}\`, not both`);
        else if (!e.has(a) && !e.has(b)) this.missing(body, a, p, `the keyless cosign signer '${name}' needs \`${a}\` or \`${b}\` (cosign's --certificate-${a === 'issuer' ? 'oidc-issuer' : 'identity'}[-regexp])`);
      }
    }
    if (this.errors.length > before) return undefined;
    if (key !== undefined) return { kind: 'cosign', key };
    const set = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Record<string, string>;
    return { kind: 'cosign', trustedRoot: trustedRoot as string, ...set };
  }

  mapping(node: Node | null, path: Path, what: string, shape: string): YAMLMap | undefined {
    if (node && isMap(node)) return node;
    this.error('wrong-type', path, node, `${what} must be a mapping (${shape}), got ${this.describe(node)}`);
    return undefined;
  }

  list(node: Node | null, path: Path, what: string, shape: string): (Node | null)[] | undefined {
    if (node && isSeq(node)) return node.items.map((n) => this.resolve(n));
    this.error('wrong-type', path, node, `${what} must be a list (${shape}), got ${this.describe(node)}`);
    return undefined;
  }

  tags(node: Node | null, path: Path, owner: string): { tags: TagRule[]; levels: Level[] } {
    const out: TagRule[] = [];
    const levels: Level[] = [];
    const items = this.list(node, path, '`tags`', 'entries such as `- pattern: "prod-*"`');
    if (!items) return { tags: out, levels };
    const seen = new Map<string, number | undefined>();
    items.forEach((raw, i) => {
      const p = [...path, i];
      const map = this.mapping(raw, p, 'a tag entry', '`pattern` and the settings for matching tags');
      if (!map) return;
      const e = this.entries(map, p, TAG_KEYS, 'a tag entry');
      const pe = e.get('pattern');
      let pattern: string | undefined;
      if (!pe) this.missing(map, 'pattern', p, 'a tag entry needs `pattern` (e.g. pattern: "prod-*")');
      else {
        const node = pe.value ?? pe.key;
        pattern = this.str(pe.value, [...p, 'pattern'], '`pattern`', '"prod-*"');
        const why = pattern === undefined ? undefined : checkTagPattern(pattern);
        if (why) {
          this.error('bad-tag-pattern', [...p, 'pattern'], node, why);
          pattern = undefined;
        } else if (pattern !== undefined) {
          if (seen.has(pattern)) {
            const at = seen.get(pattern);
            this.error('duplicate-tag-pattern', [...p, 'pattern'], node, `tag pattern '${pattern}' appears twice in ${owner}${at ? ` (first at line ${at})` : ''}; merge the entries`);
            pattern = undefined;
          } else seen.set(pattern, this.line(node));
        }
      }
      const level = this.settings(e, p, `tag entry '${pattern ?? i}' of ${owner}`);
      levels.push(level);
      if (pattern === undefined) return;
      if (Object.keys(level.nodes).length === 0 && level.invalid.size === 0) {
        this.warn('no-effect', p, map, `tag entry '${pattern}' sets nothing, so matching tags get the settings of ${owner}; add signers, threshold, mode, rejectUnsigned, requirePin or requireAgreement`);
      }
      const line = this.line(map);
      out.push({ pattern, ...level.settings, ...(line === undefined ? {} : { line }) });
    });
    return { tags: out, levels };
  }

  /** k of n: a level's effective threshold may not exceed its effective list of signers. */
  checkThreshold(chain: Level[]): void {
    const c = cascadeOf(chain, ['signers', 'threshold'] as const);
    if (c === undefined) return;
    const { level, from } = c;
    const sl = from('signers');
    const tl = from('threshold');
    const signers = sl?.settings.signers ?? BUILTIN_SETTINGS.signers;
    const threshold = tl?.settings.threshold ?? BUILTIN_SETTINGS.threshold;
    if (threshold === 'all') {
      if (signers !== 'any') return;
      const node = level.nodes.threshold ?? level.nodes.signers;
      this.error('bad-value', [...level.path, level.nodes.threshold !== undefined ? 'threshold' : 'signers'], node, `\`threshold: all\` needs a list of signers, but \`signers\` is \`any\` here${sl !== undefined && sl !== level ? ` (from ${sl.what})` : ''}; list who must sign`);
      return;
    }
    if (signers === 'any' || threshold <= signers.length) return;
    const origin = (l: Level | undefined, key: 'signers' | 'threshold'): string => {
      if (l === undefined || l === level) return '';
      const line = this.line(l.nodes[key]);
      return ` (${key} from ${l.what}${line ? `, line ${line}` : ''})`;
    };
    const node = level.nodes.threshold ?? level.nodes.signers;
    const key = level.nodes.threshold !== undefined ? 'threshold' : 'signers';
    const names = signers.map((s) => (this.defined.has(s) ? s : displaySigner(s))).join(', ');
    this.error(
      'threshold-exceeds-signers',
      [...level.path, key],
      node,
      `threshold ${threshold}${origin(tl, 'threshold')} is more than the ${signers.length} signer${signers.length === 1 ? '' : 's'} allowed here (${names})${origin(sl, 'signers')}: k of n needs k ≤ n, or no digest could ever be accepted`,
    );
  }

  run(): Policy | undefined {
    try {
      return this.walk();
    } catch (err) {
      if (!(err instanceof TooLarge)) throw err;
      this.errors.length = 0;
      this.errors.push({ code: 'too-large', message: `the policy expands to more than ${MAX_NODES} values through aliases; write it out plainly`, path: [] });
      return undefined;
    }
  }

  private walk(): Policy | undefined {
    const root = this.resolve(this.doc.contents);
    if (root === null || (isScalar(root) && (root.value === null || root.value === undefined))) {
      this.errors.push({ code: 'empty', message: 'the policy is empty; it needs at least `version: 1`', path: [], ...(this.lc ? { line: 1, column: 1 } : {}) });
      return undefined;
    }
    const top = this.mapping(root, [], 'a policy', '`version`, `defaults` and `rules`');
    if (!top) return undefined;
    const e = this.entries(top, [], TOP_KEYS, 'the policy');

    const se = e.get('signers');
    if (se) this.signerMap(se.value);

    const ve = e.get('version');
    if (!ve) this.missing(top, 'version', [], 'the policy needs `version: 1` (the format version)');
    else {
      const v = ve.value && isScalar(ve.value) ? ve.value.value : undefined;
      if (typeof v === 'number' && v !== 1) this.error('unsupported-version', ['version'], ve.value, `unsupported policy version ${v}; this vouch reads version 1`);
      else if (v !== 1) this.error('wrong-type', ['version'], ve.value ?? ve.key, `\`version\` must be the number 1 (unquoted), got ${this.describe(ve.value)}`);
    }

    // defaults
    let defaultsLevel: Level = { what: 'defaults', settings: {}, nodes: {}, invalid: new Set(), path: ['defaults'] };
    let defaultTags: TagRule[] = [];
    const de = e.get('defaults');
    if (de) {
      const map = this.mapping(de.value, ['defaults'], '`defaults`', 'settings such as `mode: enforce`');
      if (map) {
        const d = this.entries(map, ['defaults'], DEFAULTS_KEYS, '`defaults`');
        defaultsLevel = this.settings(d, ['defaults'], 'defaults');
        this.checkThreshold([defaultsLevel]);
        this.checkRequire([defaultsLevel]);
        const te = d.get('tags');
        if (te) {
          const t = this.tags(te.value, ['defaults', 'tags'], 'defaults');
          defaultTags = t.tags;
          for (const l of t.levels) {
            this.checkThreshold([defaultsLevel, l]);
            this.checkRequire([defaultsLevel, l]);
          }
        }
      }
    }

    // rules
    const rules: Rule[] = [];
    const re = e.get('rules');
    const items = re ? this.list(re.value, ['rules'], '`rules`', 'entries with `repositories` and settings') : [];
    if (!re || (items && items.length === 0)) {
      this.warn('no-rules', ['rules'], re?.value ?? top, 'the policy has no rules, so every repository gets the defaults');
    }
    const patterns = new Map<string, { rule: string; index: number; line: number | undefined }>();
    const names = new Map<string, number | undefined>();
    (items ?? []).forEach((raw, i) => {
      const p: Path = ['rules', i];
      const map = this.mapping(raw, p, 'a rule', '`repositories`, optional `name`, settings and `tags`');
      if (!map) return;
      const r = this.entries(map, p, RULE_KEYS, 'a rule');
      let name: string | undefined;
      const ne = r.get('name');
      if (ne) {
        name = this.str(ne.value, [...p, 'name'], '`name`', 'payments-prod');
        if (name === '') {
          this.error('bad-value', [...p, 'name'], ne.value, '`name` cannot be empty');
          name = undefined;
        } else if (name !== undefined && names.has(name)) {
          const at = names.get(name);
          this.error('duplicate-name', [...p, 'name'], ne.value, `rule name '${name}' is already used${at ? ` at line ${at}` : ''}; names identify rules in decisions`);
        } else if (name !== undefined) names.set(name, this.line(ne.value));
      }

      const repositories: string[] = [];
      const rp = r.get('repositories');
      if (!rp) this.missing(map, 'repositories', p, 'a rule needs `repositories`: a list of repository patterns such as registry.example.com/team/*');
      else {
        const list = this.list(rp.value, [...p, 'repositories'], '`repositories`', 'e.g. [registry.example.com/team/*]');
        if (list && list.length === 0) this.error('bad-value', [...p, 'repositories'], rp.value, '`repositories` is empty, so the rule matches nothing; list at least one pattern');
        (list ?? []).forEach((item, j) => {
          const ip = [...p, 'repositories', j];
          const pat = this.str(item, ip, 'a repository pattern', 'registry.example.com/team/*');
          if (pat === undefined) return;
          const why = checkRepositoryPattern(pat);
          if (why) return this.error('bad-repository-pattern', ip, item, why);
          const lint = lintRepositoryPattern(pat);
          if (lint) this.warn(lint.code, ip, item, lint.message);
          const norm = pat.toLowerCase();
          const prev = patterns.get(norm);
          if (prev && prev.index === i) return this.error('duplicate-rule', ip, item, `repository pattern '${pat}' is listed twice in this rule`);
          if (prev) {
            return this.error('duplicate-rule', ip, item, `repository pattern '${pat}' is already used by ${prev.rule}${prev.line ? ` (line ${prev.line})` : ''}; two rules for one pattern are ambiguous, merge them`);
          }
          patterns.set(norm, { rule: name !== undefined ? `rule '${name}'` : `rules[${i}]`, index: i, line: this.line(item) });
          repositories.push(pat);
        });
      }
      const ruleName = name ?? repositories[0] ?? `rules[${i}]`;
      const level = this.settings(r, p, `rule '${ruleName}'`);
      this.checkThreshold([defaultsLevel, level]);
      this.checkRequire([defaultsLevel, level]);
      let tags: TagRule[] = [];
      const te = r.get('tags');
      if (te) {
        const t = this.tags(te.value, [...p, 'tags'], `rule '${ruleName}'`);
        tags = t.tags;
        for (const l of t.levels) {
          this.checkThreshold([defaultsLevel, level, l]);
          this.checkRequire([defaultsLevel, level, l]);
        }
      }
      const line = this.line(map);
      rules.push({ name: ruleName, repositories, ...level.settings, tags, index: i, ...(line === undefined ? {} : { line }) });
    });

    for (const [name, def] of this.defined) {
      if (!this.used.has(name)) {
        const key = (se?.value && isMap(se.value) ? (se.value.items as Pair<Node, unknown>[]).find((i) => isScalar(i.key) && i.key.value === name)?.key : undefined) ?? null;
        this.warn('unused-signer', ['signers', name], key, `signer '${name}' (${def.kind}) is defined but no rule or tag entry lists it`);
      }
    }
    if (this.errors.length > 0) return undefined;
    const signers = this.defined.size > 0 ? { signers: Object.fromEntries(this.defined) } : {};
    return { version: 1, ...signers, defaults: { ...defaultsLevel.settings, tags: defaultTags }, rules };
  }
}

function finish(v: Validator, policy: Policy | undefined): PolicyValidation {
  const byPos = (a: PolicyIssue, b: PolicyIssue): number => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0);
  const errors = [...v.errors].sort(byPos);
  return { policy: errors.length === 0 ? policy : undefined, errors, warnings: [...v.warnings].sort(byPos) };
}

/** Validates a policy file's text (YAML, or JSON, which YAML reads too). Never throws. */
export function validatePolicy(source: string): PolicyValidation {
  if (source.length > MAX_POLICY_CHARS) {
    return { policy: undefined, errors: [{ code: 'too-large', message: `the policy is larger than ${MAX_POLICY_CHARS} characters`, path: [] }], warnings: [] };
  }
  const lc = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const v = new Validator(doc, source, lc);
  const pos = (offset: number | undefined): { line?: number; column?: number } => {
    if (offset === undefined) return {};
    const p = lc.linePos(offset);
    return { line: p.line, column: p.col };
  };
  for (const e of doc.errors) {
    const at = e.pos[0];
    // An unquoted `*` starts a YAML alias; say so, since `*` is the most common tag pattern.
    const star = (e.code === 'BAD_ALIAS' || e.code === 'BAD_SCALAR_START') && source[at] === '*';
    const hint = star ? '; a value starting with * must be quoted in YAML: "*" or "*-rc"' : '';
    v.errors.push({ code: 'yaml-syntax', message: `${e.message}${hint}`, path: [], ...pos(at) });
  }
  for (const w of doc.warnings) v.warnings.push({ code: 'yaml-syntax', message: w.message, path: [], ...pos(w.pos[0]) });
  if (doc.errors.length > 0) return finish(v, undefined);
  return finish(v, v.run());
}

/** Validates an already-parsed policy value (e.g. from a JSON config); issues carry paths but no positions. */
export function validatePolicyObject(value: unknown): PolicyValidation {
  const doc = new Document(value);
  const v = new Validator(doc as Document, undefined, undefined);
  return finish(v, v.run());
}

/** `policy.yaml:12:7: rules[0].tags[1].threshold: threshold 3 is more than …` */
export function formatPolicyIssue(issue: PolicyIssue, file = 'policy'): string {
  const at = issue.line !== undefined ? `${file}:${issue.line}:${issue.column ?? 1}` : file;
  const path = issue.path.length > 0 ? `${formatPath(issue.path)}: ` : '';
  return `${at}: ${path}${issue.message}`;
}

/** Validates and returns the policy, or throws `INVALID_POLICY` listing every error (details: errors, warnings). */
export function parsePolicy(source: string, file = 'policy'): Policy {
  const { policy, errors, warnings } = validatePolicy(source);
  if (policy !== undefined) return policy;
  const lines = errors.map((e) => formatPolicyIssue(e, file));
  const message = errors.length === 1 ? `invalid policy: ${lines[0] as string}` : `invalid policy (${errors.length} errors):\n  ${lines.join('\n  ')}`;
  throw new VouchError('INVALID_POLICY', message, {
    hint: 'see docs/policy.md for the policy format',
    details: { errors, warnings },
  });
}
