// One repository as a docker trust command sees it: its verified metadata (through the
// updater), docker's initialisation, publishing (with notary's root refresh) and docker's choice of
// the roles a user signs into (GetSignableRoles, docker/cli cli/trust/trust.go).
import { VouchError } from '../core/index.js';
import { EXPIRY_WARNING_MS, createRoot, isPathAllowed, newVersion } from '../tuf/index.js';
import { generateKey, type PrivateKey } from '../keys/key.js';
import { generateRootKey } from '../keys/cert.js';
import { gunOf, type ImageReference } from '../oci/reference.js';
import { KeyRing, safeCanonicalId } from './keyring.js';
import { Draft } from './publish.js';
import type { NotaryRemote } from './remote.js';
import type { Session } from './session.js';
import { Updater, isRepositoryNotFound, type VerifiedRepo } from './updater.js';

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
      throw new VouchError('REPOSITORY_NOT_FOUND', `${this.gun} does not have trust data on ${this.remote.server}`, {
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
        const c = safeCanonicalId(k);
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
