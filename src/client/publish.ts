// Staged changes to a repository and their publication (notary server/handlers/default.go, atomicUpdateHandler): every role touched gets a new
// version (or version 1 when its file does not exist yet), is signed with the keys the user holds,
// and everything goes up in one atomic POST. The server makes snapshot and timestamp when it holds
// the snapshot key (docker's default); when the user holds it (notary's default) we make it here.
import { VouchError } from '../core/index.js';
import {
  createSnapshot, createTargets, newVersion, signMetadata, isDelegationName, parentRole,
  type Metadata, type Root, type Signer, type Snapshot, type Targets,
} from '../tuf/index.js';
import type { KeyRing } from './keyring.js';
import type { NotaryRemote } from './remote.js';
import type { VerifiedRepo } from './updater.js';

export class Draft {
  readonly gun: string;
  root: Metadata<Root>;
  rootChanged: boolean;
  /** extra signers for the root (the old root keys during a rotation) */
  extraRootSigners: Signer[] = [];
  /** extra signers for `targets` (the new targets key during a rotation) */
  targetsSigners: Signer[] | undefined;
  readonly base: VerifiedRepo | undefined;
  private readonly roles = new Map<string, Metadata<Targets>>();
  private readonly changed = new Set<string>();
  private readonly now: Date;

  constructor(gun: string, now: Date, base: VerifiedRepo | undefined, root?: Metadata<Root>) {
    this.gun = gun;
    this.now = now;
    this.base = base;
    const r = root ?? base?.root;
    if (r === undefined) throw new VouchError('INTERNAL', 'a draft needs a root');
    this.root = r;
    this.rootChanged = root !== undefined && base === undefined;
    if (base !== undefined) {
      for (const role of base.trusted.loadedTargetsRoles) {
        const l = base.trusted.targetsRole(role);
        if (l !== undefined) this.roles.set(role, l.metadata);
      }
    }
  }

  /** The current state of a role (as verified, or as edited). */
  get(role: string): Metadata<Targets> | undefined {
    return this.roles.get(role);
  }

  /** Changes a role: the first change bumps the version (or starts at 1 for a new file). */
  edit(role: string, change: (md: Metadata<Targets>) => Metadata<Targets>): void {
    let md = this.roles.get(role);
    if (!this.changed.has(role)) {
      md = md === undefined ? createTargets(role, this.now) : newVersion(md, this.now);
      this.changed.add(role);
    }
    this.roles.set(role, change(md as Metadata<Targets>));
  }

  setRoot(root: Metadata<Root>): void {
    this.root = root;
    this.rootChanged = true;
  }

  get changedRoles(): string[] {
    return [...this.changed];
  }

  get isEmpty(): boolean {
    return !this.rootChanged && this.changed.size === 0;
  }

  /** Signs what changed and uploads it; returns the uploaded files (role → bytes). */
  async publish(remote: NotaryRemote, keys: KeyRing): Promise<Map<string, Buffer>> {
    const files = new Map<string, Buffer>();
    if (this.rootChanged) {
      const root = this.root.signed;
      const own = await keys.signersFor('root', root.roles.root.keyids, root.keys, 'the root key is needed (it stays on the machine that created the repository); import it with vouch trust key load');
      const ids = new Set(own.map((s) => s.keyId));
      const signers = [...own, ...this.extraRootSigners.filter((s) => !ids.has(s.keyId))];
      this.root = await signMetadata(this.root, signers);
      files.set('root', this.root.toBytes());
    }
    // parents before children, so that a child's keys come from its edited parent
    const order = [...this.changed].sort((a, b) => a.split('/').length - b.split('/').length);
    for (const role of order) {
      const md = this.roles.get(role) as Metadata<Targets>;
      let signers: Signer[];
      if (role === 'targets') {
        signers = this.targetsSigners ?? await keys.signersFor('targets', this.root.signed.roles.targets.keyids, this.root.signed.keys,
          'the repository (targets) key is needed; import it with vouch trust key load, or run this on the machine that initialised the repository');
      } else {
        if (!isDelegationName(role)) throw new VouchError('INVALID_ROLE', `cannot publish ${role} as a targets role`);
        const parent = this.roles.get(parentRole(role) as string);
        const entry = parent?.signed.delegations.roles.find((d) => d.name === role);
        if (parent === undefined || entry === undefined) {
          throw new VouchError('DELEGATION_NOT_FOUND', `${role} is not delegated by its parent`, { details: { role } });
        }
        signers = await keys.signersFor(role, entry.keyids, parent.signed.delegations.keys);
      }
      const signed = await signMetadata(md, signers);
      this.roles.set(role, signed);
      files.set(role, signed.toBytes());
    }
    const snapshot = await this.clientSnapshot(files, keys);
    if (snapshot !== undefined) files.set('snapshot', snapshot.toBytes());
    // notary's order: targets first, root last (the server validates them as one update anyway)
    const ordered = new Map<string, Buffer>();
    for (const [role, b] of files) if (role !== 'root') ordered.set(role, b);
    const rootBytes = files.get('root');
    if (rootBytes !== undefined) ordered.set('root', rootBytes);
    await remote.publish(ordered);
    return ordered;
  }

  /** A snapshot signed here, when the root's snapshot key is one the user holds (notary init's layout). */
  private async clientSnapshot(files: Map<string, Buffer>, keys: KeyRing): Promise<Metadata<Snapshot> | undefined> {
    const root = this.root.signed;
    const signers: Signer[] = [];
    for (const id of root.roles.snapshot.keyids) {
      const k = root.keys.get(id);
      const s = k === undefined ? undefined : await keys.signerFor(id, k);
      if (s !== undefined) signers.push(s);
    }
    if (signers.length === 0) return undefined;
    const all = new Map<string, Uint8Array>(files);
    if (!all.has('root')) all.set('root', this.root.bytes());
    if (this.base === undefined) {
      // a new repository: every role file that exists is being uploaded now
      return signMetadata(createSnapshot(all, { now: this.now }), signers);
    }
    return signMetadata(createSnapshot(all, { now: this.now, previous: this.base.snapshot }), signers);
  }
}
