// notary key rotate as vouch trust key rotate offers it: root, targets, snapshot (locally or to
// the server) and timestamp (notary cmd/notary/keys.go, client/client.go RotateKey).
import { VouchError, type PublicKeyData } from '../core/index.js';
import { newVersion, setRootRoleKeys, type Metadata, type Root, type Signer } from '../tuf/index.js';
import { generateKey, type PrivateKey } from '../keys/key.js';
import { generateRootKey } from '../keys/cert.js';
import type { ImageReference } from '../oci/reference.js';
import type { TrustEventSink } from './events.js';
import { Draft } from './publish.js';
import { RepoHandle } from './repo.js';
import type { Session } from './session.js';

export type RotatableRole = 'root' | 'targets' | 'snapshot' | 'timestamp';

/**
 * notary key rotate: root (new root key and certificate, signed by old and new), targets (new key,
 * targets re-signed), snapshot (locally, or to the server with serverManaged) and timestamp
 * (always the server's). The new root is published with whatever else changed.
 */
export async function rotateKey(s: Session, emit: TrustEventSink, ref: ImageReference, role: RotatableRole, opts: { serverManaged?: boolean; key?: PrivateKey }): Promise<void> {
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
  emit({ event: 'key-rotated', role, repository: repo.gun });
}
