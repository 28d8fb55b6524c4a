// docker trust's repository operations (spec §4.2, §4.3): initialise, signer add/remove, sign,
// revoke, inspect and key rotation, with docker's roles (targets/releases + targets/<signer>),
// its choice of roles to sign into, and its messages.
import { VouchError, fromHex, isVouchError, toHex, type PublicKeyData } from '../core/index.js';
import {
  EXPIRY_WARNING_MS, RELEASES_ROLE, addDelegation, addTargets, createRoot, dockerTarget, findTarget, forEachTarget, hashBase64, isPathAllowed,
  listDelegations, listTargets, newVersion, removeDelegation, removeDelegationKeys, removeTargets, setRootRoleKeys,
  type FileMeta, type Metadata, type Root, type Signer,
} from '../tuf/index.js';
import { generateKey, type PrivateKey } from '../keys/key.js';
import { generateRootKey } from '../keys/cert.js';
import { KEY_NAME } from '../keys/trustdir.js';
import { gunOf, type ImageReference } from '../oci/reference.js';
import { formatInspectJson, formatInspectPretty, signedTagRows, trustRepo, type InspectSource, type RoleTarget, type TrustRepo } from './inspect.js';
import { KeyRing, safeCanonicalId } from './keyring.js';
import { Draft } from './publish.js';
import type { NotaryRemote } from './remote.js';
import type { Session } from './session.js';
import { Updater, isRepositoryNotFound, type VerifiedRepo } from './updater.js';

export type Out = (text: string) => void;

/** One repository, as one command sees it. */
export class RepoHandle {
  readonly ref: ImageReference;
  readonly gun: string;
  readonly remote: NotaryRemote;
  readonly keys: KeyRing;
  private readonly s: Session;

  constructor(session: Session, ref: ImageReference, keys?: KeyRing) {
    this.s = session;
    this.ref = ref;
    this.gun = gunOf(ref);
    this.remote = session.remoteFor(ref);
    this.keys = keys ?? new KeyRing(session.trustDir);
  }

  updater(cacheWrites?: (done: Promise<void>) => void): Updater {
    return new Updater({
      gun: this.gun, cache: this.s.trustDir, remote: this.remote, now: this.s.now(),
      warn: (m) => this.s.warn(m), ...(this.s.opts.pinning ? { pinning: this.s.opts.pinning } : {}),
      ...(cacheWrites ? { cacheWrites } : {}),
    });
  }

  /**
   * The verified repository, or undefined when the server has no trust data for it. With
   * `cacheWrites`, the cache writes are handed over instead of awaited (see UpdaterOptions).
   */
  async load(cacheWrites?: (done: Promise<void>) => void): Promise<VerifiedRepo | undefined> {
    try {
      return await this.updater(cacheWrites).update();
    } catch (err) {
      if (isRepositoryNotFound(err)) return undefined;
      throw err;
    }
  }

  async loadExisting(): Promise<VerifiedRepo> {
    const repo = await this.load();
    if (repo === undefined) {
      throw new VouchError('NOT_FOUND', `${this.gun} does not have trust data on ${this.remote.server}`, {
        details: { repository: this.gun },
        hint: 'sign a tag or add a signer first (that initialises the repository), or check DOCKER_CONTENT_TRUST_SERVER',
      });
    }
    return repo;
  }

  /**
   * A new repository (docker's initialisation): the root key from the trust directory (or a new
   * one), a targets key for this GUN, and the server's timestamp and snapshot keys.
   */
  async initialize(): Promise<Draft> {
    const now = this.s.now();
    const dir = this.s.trustDir;
    const [rootInfo] = await dir.findKeys('root');
    let rootKey: PrivateKey;
    if (rootInfo !== undefined) {
      rootKey = (await dir.loadKey(rootInfo.keyId)).key;
    } else {
      rootKey = generateKey('ecdsa');
      await dir.addKey(rootKey, { role: 'root' });
    }
    const rootCert = await generateRootKey({ gun: this.gun, now, key: rootKey });
    const [targetsInfo] = await dir.findKeys('targets', this.gun);
    let targetsKey: PrivateKey;
    if (targetsInfo !== undefined) {
      targetsKey = (await dir.loadKey(targetsInfo.keyId)).key;
    } else {
      targetsKey = generateKey('ecdsa');
      await dir.addKey(targetsKey, { role: 'targets', gun: this.gun });
    }
    this.keys.refresh();
    const timestampKey = await this.remote.getServerKey('timestamp');
    const snapshotKey = await this.remote.getServerKey('snapshot');
    const root = createRoot({
      keys: { root: [rootCert.publicKey], targets: [targetsKey.publicKey], snapshot: [snapshotKey], timestamp: [timestampKey] },
      now,
    });
    const draft = new Draft(this.gun, now, undefined, root);
    // the root's certificate is made here, so sign with it directly (the file holds the bare key)
    draft.extraRootSigners = [rootCert.signer()];
    draft.edit('targets', (md) => md);
    return draft;
  }

  async publish(draft: Draft): Promise<void> {
    if (draft.isEmpty) return;
    await this.refreshRootIfExpiring(draft);
    await draft.publish(this.remote, this.keys);
    if (draft.base === undefined || draft.rootChanged) {
      // our own root is trusted from now on (the next update verifies the chain from it)
      await this.s.trustDir.writeMetadata(this.gun, 'root', draft.root.toBytes());
    }
  }

  /** As notary: a root that expires within six months is re-signed with the next publish, when the user holds the root key. */
  private async refreshRootIfExpiring(draft: Draft): Promise<void> {
    if (draft.rootChanged || draft.base === undefined) return;
    const now = this.s.now();
    const root = draft.root;
    if (root.signed.expires.getTime() - now.getTime() > EXPIRY_WARNING_MS) return;
    const held = await Promise.all(root.signed.roles.root.keyids.map((id) => {
      const k = root.signed.keys.get(id);
      return k === undefined ? false : this.keys.has(k);
    }));
    if (held.some(Boolean)) draft.setRoot(newVersion(root, now));
    else this.s.warn(`the root of ${this.gun} expires at ${root.signed.expires.toISOString()}; whoever holds the root key should re-sign it (vouch trust key rotate ${this.gun} root)`);
  }

  /**
   * docker's GetSignableRoles: with no delegations, `targets`; otherwise every first-level
   * delegation whose paths allow `tag` and for which the user holds one of its keys.
   */
  async signableRoles(draft: Draft, tag: string): Promise<string[]> {
    const targets = draft.get('targets');
    const delegations = targets?.signed.delegations;
    if (targets === undefined || delegations === undefined || delegations.roles.length === 0) return ['targets'];
    const ids = await this.keys.keyIds();
    const out: string[] = [];
    for (const d of delegations.roles) {
      if (!isPathAllowed(tag, d.paths)) continue;
      const held = d.keyids.some((id) => {
        const k = delegations.keys.get(id);
        const c = k === undefined ? undefined : safeCanonicalId(k);
        return c !== undefined && ids.has(c);
      });
      if (held) out.push(d.name);
    }
    if (out.length === 0) {
      throw new VouchError('KEY_NOT_FOUND', 'no valid signing keys for delegation roles', {
        details: { repository: this.gun, roles: delegations.roles.map((d) => d.name) },
        hint: `import a signer's private key for ${this.gun} (vouch trust key load FILE --name NAME), or ask a repository owner to add you (vouch trust signer add)`,
      });
    }
    return out;
  }
}

const SIGNER_NAME_ERROR = (name: string): string =>
  `signer name "${name}" must start with lowercase alphanumeric characters and can include "-" or "_" after the first character`;

export function checkSignerName(name: string): void {
  if (name === 'releases') throw new VouchError('INVALID_ARGUMENT', 'releases is a reserved keyword, please use a different signer name', { hint: 'targets/releases holds every signer\'s keys already; name the signer after a person or a system' });
  if (!KEY_NAME.test(name)) throw new VouchError('INVALID_ARGUMENT', SIGNER_NAME_ERROR(name), { hint: 'for example: alice, ci-bot, release_team' });
}

/** docker trust signer add: targets/NAME with the keys, and the keys added to targets/releases. */
export async function signerAdd(s: Session, out: Out, name: string, keys: PublicKeyData[], refs: ImageReference[], paths: readonly string[] = ['']): Promise<void> {
  checkSignerName(name);
  if (keys.length === 0) throw new VouchError('INVALID_ARGUMENT', 'path to a public key must be provided using the `--key` flag');
  // --paths: targets/NAME may only sign tags starting with one of these; targets/releases keeps [""] as docker's.
  if (paths.length === 0) throw new VouchError('INVALID_ARGUMENT', 'a signer needs at least one path prefix ("" allows every tag)');
  const failed: string[] = [];
  for (const ref of refs) {
    const repo = new RepoHandle(s, ref);
    out(`Adding signer "${name}" to ${repo.gun}...\n`);
    try {
      const base = await repo.load();
      let draft: Draft;
      if (base === undefined) {
        out(`Initializing signed repository for ${repo.gun}...\n`);
        draft = await repo.initialize();
      } else {
        draft = new Draft(repo.gun, s.now(), base);
      }
      draft.edit('targets', (md) => addDelegation(addDelegation(md, `targets/${name}`, { keys, paths: [...paths] }), RELEASES_ROLE, { keys, paths: [''] }));
      await repo.publish(draft);
      if (base === undefined) out(`Successfully initialized "${repo.gun}"\n`);
      out(`Successfully added signer: ${name} to ${repo.gun}\n\n`);
    } catch (err) {
      if (refs.length === 1) throw err;
      s.warn(`failed to add signer to: ${repo.gun}: ${(err as Error).message}`);
      failed.push(repo.gun);
    }
  }
  if (failed.length > 0) throw new VouchError('REMOTE_ERROR', `Failed to add signer to: ${failed.join(', ')}`);
}

/**
 * docker trust signer remove: the signer's keys leave targets/releases and targets/NAME is deleted.
 * If the signer's signatures are needed for targets/releases to meet its threshold, asks first
 * (unless forced). Unlike docker 28, --force removes the signer.
 */
export async function signerRemove(s: Session, out: Out, name: string, refs: ImageReference[], force: boolean): Promise<void> {
  const failed: string[] = [];
  for (const ref of refs) {
    const repo = new RepoHandle(s, ref);
    out(`Removing signer "${name}" from ${repo.gun}...\n`);
    try {
      const removed = await removeOne(s, out, repo, name, force);
      if (removed) out(`Successfully removed ${name} from ${repo.gun}\n\n`);
    } catch (err) {
      if (refs.length === 1) throw err;
      s.warn(`${(err as Error).message}`);
      failed.push(repo.gun);
    }
  }
  if (failed.length > 0) throw new VouchError('REMOTE_ERROR', `Error removing signer from: ${failed.join(', ')}`);
}

async function removeOne(s: Session, out: Out, repo: RepoHandle, name: string, force: boolean): Promise<boolean> {
  const base = await repo.loadExisting();
  const role = `targets/${name}`;
  const targets = base.targets.signed;
  const entry = targets.delegations.roles.find((d) => d.name === role);
  if (entry === undefined) {
    throw new VouchError('NOT_FOUND', `No signer ${name} for repository ${repo.gun}`, {
      details: { repository: repo.gun, signer: name },
      hint: `vouch trust inspect --pretty ${repo.gun} lists the signers`,
    });
  }
  if (!force && isLastSigner(base, entry.keyids.map((id) => canonicalOf(targets.delegations.keys.get(id)) ?? id))) {
    const ok = await s.confirm(`The signer "${name}" signed the last released version of ${repo.gun}. Removing this signer will make ${repo.gun} unpullable. Are you sure you want to continue? [y/N] `);
    if (!ok) {
      out('\nAborting action.\n');
      return false;
    }
  }
  const draft = new Draft(repo.gun, s.now(), base);
  draft.edit('targets', (md) => {
    let next = removeDelegation(md, role);
    if (next.signed.delegations.roles.some((d) => d.name === RELEASES_ROLE)) next = removeDelegationKeys(next, RELEASES_ROLE, entry.keyids);
    return next;
  });
  await repo.publish(draft);
  return true;
}

function canonicalOf(k: PublicKeyData | undefined): string | undefined {
  return k === undefined ? undefined : safeCanonicalId(k);
}

/** Would the current targets/releases fall below its threshold without these keys' signatures? */
function isLastSigner(base: VerifiedRepo, signerCanonicalIds: string[]): boolean {
  const releases = base.trusted.targetsRole(RELEASES_ROLE)?.metadata;
  const entry = base.targets.signed.delegations.roles.find((d) => d.name === RELEASES_ROLE);
  if (releases === undefined || entry === undefined) return false; // nothing released: nothing becomes unpullable
  const drop = new Set(signerCanonicalIds);
  const keys = base.targets.signed.delegations.keys;
  let remaining = 0;
  for (const sig of releases.signatures) {
    const k = keys.get(sig.keyid);
    const c = canonicalOf(k) ?? sig.keyid;
    if (entry.keyids.includes(sig.keyid) && !drop.has(c) && !drop.has(sig.keyid)) remaining++;
  }
  return remaining < entry.threshold;
}

export interface SignOptions {
  /** digest and size when known (tests, --digest); otherwise read from the registry */
  target?: { sha256Hex: string; length: number };
  /** sign `target` even when the tag is already signed with another digest (a push of new content) */
  replace?: boolean;
}

/**
 * docker trust sign IMAGE:TAG: an already released tag keeps its digest; otherwise the registry
 * says which manifest the tag names. The target goes into every delegation the user can sign
 * (targets when there are none). A new repository is initialised first, with a signer named
 * after the registry user when there is one.
 */
export async function sign(s: Session, out: Out, input: string, ref: ImageReference, opts: SignOptions = {}): Promise<void> {
  const tag = ref.tag;
  if (tag === undefined) throw new VouchError('INVALID_ARGUMENT', `No tag specified for ${input}`);
  const repo = new RepoHandle(s, ref);
  out(`Signing and pushing trust metadata for ${input}\n`);
  let base = await repo.load();
  if (base === undefined) {
    const draft = await repo.initialize();
    const user = s.registryUser(ref.registry);
    const signerName = user !== undefined && KEY_NAME.test(user) && user !== 'releases' ? user : undefined;
    if (signerName !== undefined) {
      // docker keeps this key under the role name targets/<user>; a key generated as <user> is reused too
      const [existing] = [...await s.trustDir.findKeys(`targets/${signerName}`), ...await s.trustDir.findKeys(signerName)];
      const key = existing !== undefined ? (await s.trustDir.loadKey(existing.keyId)).key : generateKey('ecdsa');
      if (existing === undefined) await s.trustDir.addKey(key, { role: `targets/${signerName}` });
      repo.keys.refresh();
      const pub = key.barePublicKey;
      draft.edit('targets', (md) => addDelegation(addDelegation(md, `targets/${signerName}`, { keys: [pub], paths: [''] }), RELEASES_ROLE, { keys: [pub], paths: [''] }));
    }
    await repo.publish(draft);
    if (signerName !== undefined) out(`Created signer: ${signerName}\n`);
    out(`Finished initializing signed repository for ${input}\n`);
    base = await repo.loadExisting();
  }
  const existing = findTarget(base.trusted, tag, [RELEASES_ROLE, 'targets']);
  let meta: FileMeta;
  if (existing !== undefined && !(opts.replace && opts.target !== undefined) && (existing.role === RELEASES_ROLE || existing.role === 'targets') && existing.meta.hashes.get('sha256')?.byteLength === 32) {
    meta = existing.meta;
    const hex = toHex(existing.meta.hashes.get('sha256') as Uint8Array);
    const rows = signedTagRows(inspectSource(base).targets, tag).filter((r) => r.digest === hex);
    const signers = rows.flatMap((r) => r.signers).sort();
    out(`Existing signatures for tag ${tag} digest ${hex} from:\n${signers.join(', ')}\n`);
  } else if (opts.target !== undefined) {
    meta = dockerTarget(fromHex(opts.target.sha256Hex, 'digest'), opts.target.length);
  } else {
    const m = await s.registryFor(ref.registry).getManifest(ref.repository, tag);
    const hex = m.digest.replace(/^sha256:/, '');
    meta = dockerTarget(fromHex(hex, 'manifest digest'), m.size);
  }
  const draft = new Draft(repo.gun, s.now(), base);
  const roles = await repo.signableRoles(draft, tag);
  const target = dockerTarget(meta.hashes.get('sha256') as Uint8Array, meta.length);
  for (const role of roles) draft.edit(role, (md) => addTargets(md, { [tag]: target }));
  await repo.publish(draft);
  out(`Successfully signed ${repo.gun}:${tag}\n`);
}

/** docker trust revoke IMAGE[:TAG]: removes the tag (or every released tag) from the roles the user can sign. */
export async function revoke(s: Session, out: Out, input: string, ref: ImageReference, yes: boolean): Promise<void> {
  const repo = new RepoHandle(s, ref);
  if (ref.tag === undefined && !yes) {
    const ok = await s.confirm(`Are you sure you want to revoke signature for ${input}? [y/N] `);
    if (!ok) {
      out('\nAborting action.\n');
      return;
    }
  }
  let base: VerifiedRepo;
  try {
    base = await repo.loadExisting();
  } catch (err) {
    throw wrap(err, `could not remove signature for ${input}`);
  }
  const draft = new Draft(repo.gun, s.now(), base);
  let tags: string[];
  if (ref.tag !== undefined) {
    const found = findTarget(base.trusted, ref.tag, [RELEASES_ROLE, 'targets']);
    if (found === undefined || (found.role !== RELEASES_ROLE && found.role !== 'targets')) {
      throw new VouchError('NOT_FOUND', `could not remove signature for ${input}: No valid trust data for ${ref.tag}`, {
        details: { tag: ref.tag },
        hint: `only tags in targets or targets/releases can be revoked; vouch trust inspect ${repo.gun} lists them`,
      });
    }
    tags = [ref.tag];
  } else {
    tags = [...new Set(listTargets(base.trusted).filter((t) => t.role === RELEASES_ROLE || t.role === 'targets').map((t) => t.name))];
    if (tags.length === 0) throw new VouchError('NOT_FOUND', `could not remove all signatures for ${input}: no signed tags to remove`, { hint: 'nothing is signed: there is nothing to revoke' });
  }
  try {
    for (const tag of tags) {
      for (const role of await repo.signableRoles(draft, tag)) {
        if (draft.get(role)?.signed.targets.has(tag)) draft.edit(role, (md) => removeTargets(md, [tag]));
      }
    }
    await repo.publish(draft);
  } catch (err) {
    throw wrap(err, `could not remove signature for ${input}`);
  }
  out(`Successfully deleted signature for ${input}\n`);
}

function wrap(err: unknown, lead: string): unknown {
  if (!isVouchError(err)) return err;
  return new VouchError(err.code, `${lead}: ${err.message}`, { cause: err, details: err.details, ...(err.hint ? { hint: err.hint } : {}) });
}

/**
 * A target as inspect sees it: the hex digest is decoded from the text on use (a signer's target
 * is matched to the released row on the text, so most are never decoded).
 */
class ListedTarget implements RoleTarget {
  constructor(readonly role: string, readonly tag: string, readonly sha256Text: string | undefined) {}

  get sha256(): string {
    // the text is checked strict base64 (parsed metadata) or encoded by us
    return this.sha256Text === undefined ? '' : Buffer.from(this.sha256Text, 'base64').toString('hex');
  }
}

/** What `inspect` shows, from a verified repository. */
export function inspectSource(repo: VerifiedRepo): InspectSource {
  const targets: RoleTarget[] = [];
  forEachTarget(repo.trusted, (tag, role, meta) => { targets.push(new ListedTarget(role, tag, hashBase64(meta, 'sha256'))); });
  const delegations = listDelegations(repo.trusted).map((d) => ({
    name: d.name,
    keyIds: d.keyids.map((id) => canonicalOf(d.keys.get(id)) ?? id),
  }));
  const root = repo.root.signed;
  return { targets, delegations, rootKeyIds: [...root.roles.root.keyids], targetsKeyIds: [...root.roles.targets.keyids] };
}

export interface InspectResult { repos: TrustRepo[]; errors: VouchError[] }

/** docker trust inspect: one entry per argument; repositories that cannot be read become errors. */
export async function inspect(s: Session, inputs: { input: string; ref: ImageReference }[], pretty: boolean, out: Out): Promise<void> {
  const repos: TrustRepo[] = [];
  const failed: string[] = [];
  let firstError: unknown;
  // The cache is written while the output is built and printed; every write is complete (and
  // fsynced) before the next repository is read and before this returns.
  let writes: Promise<void> = Promise.resolve();
  try {
    for (const { input, ref } of inputs) {
      await writes;
      let src: InspectSource | undefined;
      try {
        const v = await new RepoHandle(s, ref).load((done) => { done.catch(() => undefined); writes = done; });
        if (v !== undefined) src = inspectSource(v);
      } catch (err) {
        firstError ??= err;
      }
      if (src === undefined) {
        if (pretty) throw noSignatures(input, firstError);
        failed.push(input);
        continue;
      }
      // docker separates the pretty output of consecutive images with two newlines
      if (pretty) out((inputs[0]?.input === input ? '' : '\n\n') + formatInspectPretty(input, src, ref.tag));
      else repos.push(trustRepo(input, src, ref.tag));
    }
    if (!pretty) out(formatInspectJson(repos));
  } finally {
    await writes;
  }
  if (failed.length > 0) throw noSignatures(failed.join(', '), firstError);
}

function noSignatures(what: string, cause: unknown): VouchError {
  const c = isVouchError(cause) ? cause : undefined;
  return new VouchError('NOT_FOUND', `no signatures or cannot access ${what}`, {
    ...(cause !== undefined ? { cause } : {}),
    hint: c ? `${c.message}${c.hint ? `; ${c.hint}` : ''}` : 'the repository has no trust data on this trust server',
    details: c ? { ...c.details, reason: c.code } : {},
  });
}

export type RotatableRole = 'root' | 'targets' | 'snapshot' | 'timestamp';

/**
 * notary key rotate: root (new root key and certificate, signed by old and new), targets (new key,
 * targets re-signed), snapshot (locally, or to the server with serverManaged) and timestamp
 * (always the server's). The new root is published with whatever else changed.
 */
export async function rotateKey(s: Session, out: Out, ref: ImageReference, role: RotatableRole, opts: { serverManaged?: boolean; key?: PrivateKey }): Promise<void> {
  const repo = new RepoHandle(s, ref);
  const base = await repo.loadExisting();
  const now = s.now();
  const draft = new Draft(repo.gun, now, base);
  const root = base.root;
  let next: Metadata<Root>;
  const serverManaged = role === 'timestamp' || opts.serverManaged === true;
  if (role === 'timestamp' && opts.key !== undefined) throw new VouchError('INVALID_ARGUMENT', 'the timestamp key is always managed by the server; --key cannot be used');
  if (role === 'root' && opts.serverManaged) throw new VouchError('INVALID_ARGUMENT', 'the root key cannot be managed by the server');
  if (role === 'targets' && opts.serverManaged) throw new VouchError('INVALID_ARGUMENT', 'docker keeps the targets key on the client; --server-managed applies to snapshot and timestamp');
  if (serverManaged && opts.key !== undefined) throw new VouchError('INVALID_ARGUMENT', '--key and --server-managed cannot be used together');
  const dir = s.trustDir;
  switch (role) {
    case 'root': {
      const oldSigners: Signer[] = await repo.keys.signersFor('root', root.signed.roles.root.keyids, root.signed.keys,
        'rotating the root key needs the current root key (a new root must be signed by the old and the new key)');
      const bare = opts.key?.withoutCertificate() ?? generateKey('ecdsa');
      const cert = await generateRootKey({ gun: repo.gun, now, key: bare });
      await dir.addKey(bare, { role: 'root' });
      repo.keys.refresh();
      next = setRootRoleKeys(root, 'root', [cert.publicKey]);
      draft.extraRootSigners = [...oldSigners, cert.signer()];
      break;
    }
    case 'targets': {
      const key = opts.key?.withoutCertificate() ?? generateKey('ecdsa');
      await dir.addKey(key, { role: 'targets', gun: repo.gun });
      repo.keys.refresh();
      next = setRootRoleKeys(root, 'targets', [key.publicKey]);
      draft.targetsSigners = [key.signer()];
      draft.edit('targets', (md) => md); // re-signed with the new key
      break;
    }
    case 'snapshot':
    case 'timestamp': {
      let pub: PublicKeyData;
      if (serverManaged) {
        pub = await repo.remote.rotateServerKey(role);
      } else {
        const key = opts.key?.withoutCertificate() ?? generateKey('ecdsa');
        await dir.addKey(key, { role: 'snapshot', gun: repo.gun });
        repo.keys.refresh();
        pub = key.publicKey;
      }
      next = setRootRoleKeys(root, role, [pub]);
      break;
    }
  }
  draft.setRoot(newVersion(next, now)); // version + 1, fresh expiry
  await repo.publish(draft);
  out(`Successfully rotated ${role} key for repository ${repo.gun}\n`);
}

