// docker trust sign and revoke: a tag's target goes into (or leaves) every role the user can sign,
// with docker's rules for which digest a tag keeps (docker/cli cli/command/trust/sign.go, revoke.go).
import { VouchError, fromHex, isVouchError, toHex } from '../core/index.js';
import { RELEASES_ROLE, addDelegation, addTargets, dockerTarget, findTarget, listTargets, removeTargets, signedTagRows, type FileMeta } from '../tuf/index.js';
import { generateKey } from '../keys/key.js';
import { KEY_NAME } from '../keys/trustdir.js';
import type { ImageReference } from '../oci/reference.js';
import type { TrustEventSink } from './events.js';
import { inspectSource } from './inspect.js';
import { Draft } from './publish.js';
import { RepoHandle } from './repo.js';
import type { Session } from './session.js';
import type { VerifiedRepo } from './updater.js';

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
export async function sign(s: Session, emit: TrustEventSink, input: string, ref: ImageReference, opts: SignOptions = {}): Promise<void> {
  const tag = ref.tag;
  if (tag === undefined) throw new VouchError('INVALID_ARGUMENT', `No tag specified for ${input}`);
  const repo = new RepoHandle(s, ref);
  emit({ event: 'signing', reference: input });
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
    if (signerName !== undefined) emit({ event: 'signer-created', signer: signerName });
    emit({ event: 'signing-initialized', reference: input });
    base = await repo.loadExisting();
  }
  const existing = findTarget(base.trusted, tag, [RELEASES_ROLE, 'targets']);
  let meta: FileMeta;
  if (existing !== undefined && !(opts.replace && opts.target !== undefined) && (existing.role === RELEASES_ROLE || existing.role === 'targets') && existing.meta.hashes.get('sha256')?.byteLength === 32) {
    meta = existing.meta;
    const hex = toHex(existing.meta.hashes.get('sha256') as Uint8Array);
    const rows = signedTagRows(inspectSource(base).targets, tag).filter((r) => r.digest === hex);
    const signers = rows.flatMap((r) => r.signers).sort();
    emit({ event: 'existing-signatures', tag, digest: hex, signers });
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
  emit({ event: 'signed', repository: repo.gun, tag });
}

/** docker trust revoke IMAGE[:TAG]: removes the tag (or every released tag) from the roles the user can sign. */
export async function revoke(s: Session, emit: TrustEventSink, input: string, ref: ImageReference, yes: boolean): Promise<void> {
  const repo = new RepoHandle(s, ref);
  if (ref.tag === undefined && !yes) {
    const ok = await s.confirm(`Are you sure you want to revoke signature for ${input}? [y/N] `);
    if (!ok) {
      emit({ event: 'aborted' });
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
      throw new VouchError('TAG_NOT_FOUND', `could not remove signature for ${input}: No valid trust data for ${ref.tag}`, {
        details: { tag: ref.tag },
        hint: `only tags in targets or targets/releases can be revoked; vouch trust inspect ${repo.gun} lists them`,
      });
    }
    tags = [ref.tag];
  } else {
    tags = [...new Set(listTargets(base.trusted).filter((t) => t.role === RELEASES_ROLE || t.role === 'targets').map((t) => t.name))];
    if (tags.length === 0) throw new VouchError('TAG_NOT_FOUND', `could not remove all signatures for ${input}: no signed tags to remove`, { hint: 'nothing is signed: there is nothing to revoke' });
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
  emit({ event: 'revoked', reference: input });
}

function wrap(err: unknown, lead: string): unknown {
  if (!isVouchError(err)) return err;
  return new VouchError(err.code, `${lead}: ${err.message}`, { cause: err, details: err.details, ...(err.hint ? { hint: err.hint } : {}) });
}
