// vouch migrate REPO[:TAG]… --map FILE: DCT-signed tags to OCI signatures (client/migrate.ts).
// The mapping file names, per DCT signer role, the keys that carry its trust over:
//   signers:
//     targets/releases: { cosign: release.key, notation: release }      # notation: a key of signingkeys.json
//     alice: { notation: { key: alice.key, cert: alice.crt } }          # alice means targets/alice
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { X509Certificate, createPublicKey } from 'node:crypto';
import { VouchError, isJsonObject } from '../../core/index.js';
import { decryptCosignKey } from '../../keys/cosign.js';
import { notationConfigDir, readSigningKeyFiles, readTrustStoresOfType, resolveNotationSigningKey } from '../../keys/notation.js';
import { writeFileAtomic } from '../../files/index.js';
import { resolveSettings } from '../../policy/index.js';
import { loadPolicy } from '../policyfile.js';
import { parseTrustReference } from '../../client/session.js';
import { MIGRATION_KINDS, migrationPolicy, planMigration, policySignerName, runMigration, type MigrationKind, type MigrationPlan, type NotationMappedKey, type PolicySigner, type RoleMapping } from '../../client/migrate.js';
import { parseCertificates, parseSignatureFormat, type TrustStoreType } from '../../sig/index.js';
import type { Context } from '../context.js';
import { EXIT, ExitStatus } from '../output.js';
import { withSession, type CommonTrustOptions } from './trust-common.js';

export interface MigrateCommandOptions extends CommonTrustOptions {
  map: string;
  to: string;
  dryRun?: boolean;
  check?: boolean;
  json?: boolean;
  signatureFormat?: string;
  /** write the policy that expresses the same trust in the new kinds */
  writePolicy?: string;
  /** the policy in force before the move (default: VOUCH_POLICY, else the built-in one) */
  policy?: string;
}

const MAX_MAPPING_BYTES = 256 * 1024;
const KINDS = MIGRATION_KINDS;

/** The DCT role a mapping key names: `targets…` as is, a bare signer name as `targets/<name>`. */
function roleName(key: string): string {
  return key === 'targets' || key.startsWith('targets/') ? key : `targets/${key}`;
}

async function readMapping(ctx: Context, file: string, kinds: readonly MigrationKind[]): Promise<Map<string, RoleMapping>> {
  const path = resolve(ctx.cwd, file);
  let text: string;
  try {
    if ((await stat(path)).size > MAX_MAPPING_BYTES) throw new Error(`larger than ${MAX_MAPPING_BYTES} bytes`);
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new VouchError('CONFIG', `cannot read the mapping file ${file}: ${(err as Error).message}`);
  }
  const { parse } = await import('yaml');
  let doc: unknown;
  try { doc = parse(text, { maxAliasCount: 16 }); } catch (err) {
    throw new VouchError('CONFIG', `${file} is not YAML or JSON: ${(err as Error).message}`);
  }
  if (!isJsonObject(doc) || !isJsonObject(doc.signers)) throw new VouchError('CONFIG', `${file}: expected a 'signers' map of DCT roles to keys`, { hint: 'signers:\n    targets/releases: { cosign: release.key }' });
  const out = new Map<string, RoleMapping>();
  const password = ctx.env.COSIGN_PASSWORD;
  for (const [name, entry] of Object.entries(doc.signers)) {
    if (!isJsonObject(entry)) throw new VouchError('CONFIG', `${file}: signers.${name} must map key kinds (cosign) to key files`);
    const mapping: RoleMapping = {};
    for (const kind of Object.keys(entry)) if (!(KINDS as readonly string[]).includes(kind)) throw new VouchError('CONFIG', `${file}: signers.${name}.${kind}: only ${KINDS.join(', ')} keys can be mapped`);
    if (kinds.includes('cosign') && typeof entry.cosign === 'string') {
      if (password === undefined) throw new VouchError('NO_PASSPHRASE', 'no password for the cosign keys of the mapping', { hint: 'set COSIGN_PASSWORD' });
      const keyFile = resolve(dirname(path), entry.cosign);
      const key = await decryptCosignKey(await readFile(keyFile), password);
      mapping.cosign = { key, publicKey: createPublicKey(key), file: keyFile };
    }
    if (kinds.includes('notation') && entry.notation !== undefined) mapping.notation = await notationKey(ctx, file, dirname(path), `signers.${name}.notation`, entry.notation);
    out.set(roleName(name), mapping);
  }
  return out;
}

/**
 * A Notation key of the mapping: the name of a key in notation's signingkeys.json, or
 * `{ key: FILE, cert: FILE }` (PEM; paths relative to the mapping file). Plugin keys are refused:
 * a second run must recognise its signatures by the leaf certificate, which vouch reads from files.
 */
async function notationKey(ctx: Context, file: string, base: string, where: string, value: unknown): Promise<NotationMappedKey> {
  let read: Awaited<ReturnType<typeof readSigningKeyFiles>>;
  let name: string;
  if (typeof value === 'string' && value !== '') {
    const k = await resolveNotationSigningKey(notationConfigDir(ctx.env), value);
    if ('plugin' in k) {
      throw new VouchError('UNSUPPORTED_KEY_TYPE', `${file}: ${where}: the notation key ${value} is held by the plugin ${k.plugin}; vouch migrate signs with key files`, { hint: 'map a key of signingkeys.json held in files, or { key: FILE, cert: FILE }' });
    }
    read = await readSigningKeyFiles(k.keyPath, k.certPath);
    name = value;
  } else if (isJsonObject(value) && typeof value.key === 'string' && typeof value.cert === 'string' && Object.keys(value).length === 2) {
    read = await readSigningKeyFiles(resolve(base, value.key), resolve(base, value.cert));
    name = `${value.key}, ${value.cert}`;
  } else {
    throw new VouchError('CONFIG', `${file}: ${where} must name a key of notation's signingkeys.json, or be { key: FILE, cert: FILE }`);
  }
  const leaf = read.chain[0];
  const keyOf = (k: ReturnType<typeof createPublicKey>): Buffer => k.export({ type: 'spki', format: 'der' });
  if (leaf === undefined || !keyOf(new X509Certificate(leaf).publicKey).equals(keyOf(createPublicKey(read.privateKey)))) {
    throw new VouchError('INVALID_KEY', `${file}: ${where}: the private key is not the key of the certificate chain's first (leaf) certificate`, { hint: 'the certificate file lists the leaf first, then its issuers' });
  }
  return { privateKey: read.privateKey, chain: read.chain, name };
}

interface Summary { migrated: number; present: number; unmapped: number; refused: number; unsigned: number }
const summaryOf = (plan: MigrationPlan): Summary => ({
  migrated: plan.items.filter((i) => i.action === 'sign').length,
  present: plan.items.filter((i) => i.action === 'present').length,
  unmapped: plan.items.filter((i) => i.action === 'unmapped').length,
  refused: plan.items.filter((i) => i.action === 'refused').length + plan.refusedRoles.length,
  unsigned: plan.unsigned.length,
});

function render(plan: MigrationPlan, mode: 'run' | 'dry-run' | 'check'): string {
  const verb = { run: 'signed', 'dry-run': 'would sign', check: 'missing' }[mode];
  let text = `${plan.repository} (targets v${plan.targetsVersion}):\n`;
  for (const i of plan.items) {
    const what = i.action === 'sign' ? verb : i.action === 'present' ? 'already signed' : i.action === 'unmapped' ? `not migrated: ${i.reason ?? ''}` : `refused: ${i.reason ?? ''}`;
    text += `  ${i.tag.padEnd(12)} ${i.digest.slice(0, 19)}…  ${i.role.padEnd(20)} ${i.to.padEnd(8)} ${what}\n`;
  }
  for (const r of plan.refusedRoles) text += `  refused: ${r.role} did not verify (${r.reason}); nothing it signs is migrated\n`;
  for (const t of plan.unsigned) text += `  ${t.padEnd(12)} not signed under DCT: nothing to migrate\n`;
  const s = summaryOf(plan);
  const made = mode === 'run' ? 'migrated' : mode === 'dry-run' ? 'to migrate' : 'missing';
  text += `  ${s.migrated} ${made}, ${s.present} already signed, ${s.unmapped} unmapped, ${s.refused} refused, ${s.unsigned} unsigned\n`;
  return text;
}

export async function migrateCommand(ctx: Context, images: string[], opts: MigrateCommandOptions): Promise<void> {
  const to = opts.to.split(',').map((k) => k.trim());
  for (const k of to) if (!(KINDS as readonly string[]).includes(k)) throw new VouchError('INVALID_ARGUMENT', `--to ${k}: vouch migrates to ${KINDS.join(', ')} (or both: --to notation,cosign)`);
  const notationFormat = parseSignatureFormat(opts.signatureFormat ?? 'jws');
  if (opts.check && opts.dryRun) throw new VouchError('INVALID_ARGUMENT', '--check and --dry-run exclude each other');
  const kinds = [...new Set(to)] as MigrationKind[];
  // REPO[:TAG] arguments, grouped by repository, in the order given.
  const groups = new Map<string, { ref: ReturnType<typeof parseTrustReference>; tags?: string[] }>();
  for (const input of images) {
    const ref = parseTrustReference(input, { tag: 'optional' });
    const key = `${ref.registry}/${ref.repository}`;
    const g = groups.get(key) ?? { ref };
    if (ref.tag !== undefined) g.tags = [...(g.tags ?? []), ref.tag];
    groups.set(key, g);
  }
  const mapping = await readMapping(ctx, opts.map, kinds);
  const mode = opts.check ? 'check' : opts.dryRun ? 'dry-run' : 'run';
  const plans: MigrationPlan[] = [];
  let failed = false;
  await withSession(ctx, opts, async (s) => {
    for (const { ref, tags } of groups.values()) {
      let plan = await planMigration(s, ref, mapping, { to: kinds, ...(tags ? { tags } : {}) });
      if (mode === 'run') plan = await runMigration(s, ref, plan, mapping, { notationFormat });
      plans.push(plan);
      const sum = summaryOf(plan);
      if (sum.refused > 0) failed = true;
      if (mode === 'check' && (sum.migrated > 0 || sum.unmapped > 0)) failed = true;
      if (!opts.json) ctx.io.out(render(plan, mode));
    }
  });
  if (opts.json) ctx.io.out(`${JSON.stringify(plans.map((p) => ({ ...p, mode, summary: summaryOf(p) })), null, 2)}\n`);
  if (opts.writePolicy !== undefined) await writeMigrationPolicy(ctx, opts, plans, mapping, kinds);
  if (failed) throw new ExitStatus(EXIT.FAILED);
}

/**
 * The `type:name` trust store of notation's configuration that holds a certificate of `chain`
 * (the root first), or undefined.
 */
async function trustStoreOf(configDir: string, chain: readonly Uint8Array[]): Promise<string | undefined> {
  for (const type of ['ca', 'signingAuthority'] as TrustStoreType[]) {
    const stores = await readTrustStoresOfType(configDir, type);
    for (const der of [...chain].reverse()) {
      const hit = stores.find((st) => st.certificates.some((c) => c.equals(der)));
      if (hit !== undefined) return `${type}:${hit.name}`;
    }
  }
  return undefined;
}

/**
 * --write-policy FILE: the policy in the one shape over DCT, Notation and cosign
 * (docs/migrate.md) that gives the migrated repositories the trust the policy in force gave them
 * under DCT. Notation identities: the trust store of notation's configuration that holds the
 * chain, and the leaf's subject; cosign: the key's `.pub` beside it, or one written beside the
 * policy. The rules are checked by the policy validator before anything is written.
 */
async function writeMigrationPolicy(ctx: Context, opts: MigrateCommandOptions, plans: readonly MigrationPlan[], mapping: ReadonlyMap<string, RoleMapping>, kinds: readonly MigrationKind[]): Promise<void> {
  const out = resolve(ctx.cwd, opts.writePolicy as string);
  const base = dirname(out);
  const { policy } = await loadPolicy(ctx, opts.policy);
  const configDir = notationConfigDir(ctx.env);
  const identities: PolicySigner[] = [];
  const pubFiles: { path: string; pem: string }[] = [];
  for (const [role, keys] of mapping) {
    if (keys.notation !== undefined && kinds.includes('notation')) {
      const [leaf] = await parseCertificates(keys.notation.chain, `the certificate of ${role}`);
      let store = await trustStoreOf(configDir, keys.notation.chain);
      if (store === undefined) {
        store = `ca:${policySignerName(role, 'notation')}`;
        ctx.io.err(`warning: no trust store of ${configDir} holds a certificate of ${keys.notation.name}; the policy names ${store}: add the chain's root with \`notation cert add --type ca --store ${store.slice(3)} ROOT.crt\`\n`);
      }
      identities.push({ role, kind: 'notation', settings: { trustStore: store, identities: [`x509.subject: ${(leaf as { subject: string }).subject}`], level: 'strict' } });
    }
    if (keys.cosign !== undefined && kinds.includes('cosign')) {
      const pem = keys.cosign.publicKey.export({ type: 'spki', format: 'pem' }).toString();
      const sibling = keys.cosign.file.replace(/\.key$/, '.pub');
      const same = sibling !== keys.cosign.file && (await readFile(sibling, 'utf8').catch(() => '')).trim() === pem.trim();
      const path = same ? sibling : join(base, `${basename(out).replace(/\.[^.]*$/, '')}-${policySignerName(role, 'cosign')}.pub`);
      if (!same) pubFiles.push({ path, pem });
      identities.push({ role, kind: 'cosign', settings: { key: relative(base, path) || path } });
    }
  }
  const repos = plans.map((p) => ({
    gun: p.repository,
    roles: [...new Set(p.items.map((i) => i.role))],
    settings: resolveSettings(policy, p.repository).settings,
  }));
  const doc = migrationPolicy(repos, identities, kinds);
  // Checked whole, signers included, before anything is written: a certificate subject notation would
  // not accept as a trusted identity (it needs C, ST and O) is said here, not at the first verify.
  const { validatePolicyObject, formatPolicyIssue } = await import('../../policy/validate.js');
  const checked = validatePolicyObject(doc);
  if (checked.policy === undefined) {
    throw new VouchError('INVALID_POLICY', `the policy for the migrated signers does not validate:\n${checked.errors.map((e) => formatPolicyIssue(e, out)).join('\n')}`, {
      hint: 'a Notation identity is the signing certificate\'s subject, which must carry C, ST and O; map the signer to such a certificate, or write the policy by hand (docs/policy.md)',
    });
  }
  const { stringify } = await import('yaml');
  const header = `# Written by vouch migrate: the trust the DCT policy${opts.policy !== undefined ? ` (${opts.policy})` : ''} gave these repositories,\n# carried over to their new signers (docs/migrate.md).\n`;
  for (const f of pubFiles) await writeFileAtomic(f.path, f.pem);
  await writeFileAtomic(out, header + stringify(doc));
  if (!opts.json) ctx.io.out(`Wrote the policy for the migrated signers to ${opts.writePolicy as string}\n`);
}
