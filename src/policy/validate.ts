// Policy validation: source text (YAML or JSON) in, `{policy, errors, warnings}` out, as data.
// Works on the YAML syntax tree so that every issue carries the line and column of the
// offending key or value. Reading the file is the caller's job (the CLI).
import { Document, LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Node, Pair, YAMLMap } from 'yaml';
import { VouchError } from '../core/errors.js';
import { BUILTIN_SETTINGS } from './evaluate.js';
import { checkRepositoryPattern, checkTagPattern, lintRepositoryPattern } from './pattern.js';
import { displaySigner, parseSigner } from './signer.js';
import type { Mode, Policy, PolicyIssue, PolicyIssueCode, PolicyValidation, Rule, RuleSettings, TagRule } from './types.js';

/** Larger sources are refused before parsing: a policy is a short hand-written file. */
export const MAX_POLICY_CHARS = 1 << 20;
/** Caps alias expansion ("billion laughs") while walking the tree. */
const MAX_NODES = 100_000;
/** Past this many errors the rest are noise; the first ones are what the user will fix. */
const MAX_ERRORS = 100;

/** Thrown inside the walk when the tree expands past MAX_NODES; caught in `run`. */
class TooLarge extends Error {}


const SETTING_KEYS = ['mode', 'rejectUnsigned', 'requirePin', 'requireAgreement', 'signers', 'threshold'] as const;
type SettingKey = (typeof SETTING_KEYS)[number];
const TOP_KEYS = ['version', 'defaults', 'rules'];
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
          else this.error(typeof v === 'number' ? 'bad-value' : 'wrong-type', p, node, `\`threshold\` must be a whole number of at least 1 (how many distinct signers must sign one digest), got ${this.describe(e.value)}`);
          break;
        }
        case 'signers': {
          const v = this.signers(e.value, p);
          if (v !== undefined) level.settings.signers = v;
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
      const parsed = parseSigner(name);
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
    const level = chain[chain.length - 1] as Level;
    if (level.nodes.signers === undefined && level.nodes.threshold === undefined) return;
    if (chain.some((l) => l.invalid.has('signers') || l.invalid.has('threshold'))) return;
    const from = (key: 'signers' | 'threshold'): Level | undefined => [...chain].reverse().find((l) => l.settings[key] !== undefined);
    const sl = from('signers');
    const tl = from('threshold');
    const signers = sl?.settings.signers ?? BUILTIN_SETTINGS.signers;
    const threshold = tl?.settings.threshold ?? BUILTIN_SETTINGS.threshold;
    if (signers === 'any' || threshold <= signers.length) return;
    const origin = (l: Level | undefined, key: 'signers' | 'threshold'): string => {
      if (l === undefined || l === level) return '';
      const line = this.line(l.nodes[key]);
      return ` (${key} from ${l.what}${line ? `, line ${line}` : ''})`;
    };
    const node = level.nodes.threshold ?? level.nodes.signers;
    const key = level.nodes.threshold !== undefined ? 'threshold' : 'signers';
    const names = signers.map(displaySigner).join(', ');
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
        const te = d.get('tags');
        if (te) {
          const t = this.tags(te.value, ['defaults', 'tags'], 'defaults');
          defaultTags = t.tags;
          for (const l of t.levels) this.checkThreshold([defaultsLevel, l]);
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
      let tags: TagRule[] = [];
      const te = r.get('tags');
      if (te) {
        const t = this.tags(te.value, [...p, 'tags'], `rule '${ruleName}'`);
        tags = t.tags;
        for (const l of t.levels) this.checkThreshold([defaultsLevel, level, l]);
      }
      const line = this.line(map);
      rules.push({ name: ruleName, repositories, ...level.settings, tags, index: i, ...(line === undefined ? {} : { line }) });
    });

    if (this.errors.length > 0) return undefined;
    return { version: 1, defaults: { ...defaultsLevel.settings, tags: defaultTags }, rules };
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
