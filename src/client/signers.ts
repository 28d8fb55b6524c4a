// docker trust signer add and remove: targets/NAME with the signer's keys, which also join (and
// leave) targets/releases (docker/cli cli/command/trust/signer_add.go, signer_remove.go).
import { VouchError, type PublicKeyData } from '../core/index.js';
import { RELEASES_ROLE, addDelegation, removeDelegation, removeDelegationKeys } from '../tuf/index.js';
import { KEY_NAME } from '../keys/trustdir.js';
import type { ImageReference } from '../oci/reference.js';
import type { TrustEventSink } from './events.js';
import { safeCanonicalId } from './keyring.js';
import { Draft } from './publish.js';
import { RepoHandle } from './repo.js';
import type { Session } from './session.js';
import type { VerifiedRepo } from './updater.js';

const SIGNER_NAME_ERROR = (name: string): string =>
  `signer name "${name}" must start with lowercase alphanumeric characters and can include "-" or "_" after the first character`;

export function checkSignerName(name: string): void {
  if (name === 'releases') throw new VouchError('INVALID_ARGUMENT', 'releases is a reserved keyword, please use a different signer name', { hint: 'targets/releases holds every signer\'s keys already; name the signer after a person or a system' });
  if (!KEY_NAME.test(name)) throw new VouchError('INVALID_ARGUMENT', SIGNER_NAME_ERROR(name), { hint: 'for example: alice, ci-bot, release_team' });
}

/** docker trust signer add: targets/NAME with the keys, and the keys added to targets/releases. */
export async function signerAdd(s: Session, emit: TrustEventSink, name: string, keys: PublicKeyData[], refs: ImageReference[], paths: readonly string[] = ['']): Promise<void> {
  checkSignerName(name);
  if (keys.length === 0) throw new VouchError('INVALID_ARGUMENT', 'path to a public key must be provided using the `--key` flag');
  // --paths: targets/NAME may only sign tags starting with one of these; targets/releases keeps [""] as docker's.
  if (paths.length === 0) throw new VouchError('INVALID_ARGUMENT', 'a signer needs at least one path prefix ("" allows every tag)');
  const failed: string[] = [];
  for (const ref of refs) {
    const repo = new RepoHandle(s, ref);
    emit({ event: 'signer-adding', signer: name, repository: repo.gun });
    try {
      const base = await repo.load();
      let draft: Draft;
      if (base === undefined) {
        emit({ event: 'repository-initializing', repository: repo.gun });
        draft = await repo.initialize();
      } else {
        draft = new Draft(repo.gun, s.now(), base);
      }
      draft.edit('targets', (md) => addDelegation(addDelegation(md, `targets/${name}`, { keys, paths: [...paths] }), RELEASES_ROLE, { keys, paths: [''] }));
      await repo.publish(draft);
      if (base === undefined) emit({ event: 'repository-initialized', repository: repo.gun });
      emit({ event: 'signer-added', signer: name, repository: repo.gun });
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
export async function signerRemove(s: Session, emit: TrustEventSink, name: string, refs: ImageReference[], force: boolean): Promise<void> {
  const failed: string[] = [];
  for (const ref of refs) {
    const repo = new RepoHandle(s, ref);
    emit({ event: 'signer-removing', signer: name, repository: repo.gun });
    try {
      const removed = await removeOne(s, emit, repo, name, force);
      if (removed) emit({ event: 'signer-removed', signer: name, repository: repo.gun });
    } catch (err) {
      if (refs.length === 1) throw err;
      s.warn(`${(err as Error).message}`);
      failed.push(repo.gun);
    }
  }
  if (failed.length > 0) throw new VouchError('REMOTE_ERROR', `Error removing signer from: ${failed.join(', ')}`);
}

async function removeOne(s: Session, emit: TrustEventSink, repo: RepoHandle, name: string, force: boolean): Promise<boolean> {
  const base = await repo.loadExisting();
  const role = `targets/${name}`;
  const targets = base.targets.signed;
  const entry = targets.delegations.roles.find((d) => d.name === role);
  if (entry === undefined) {
    throw new VouchError('SIGNER_NOT_FOUND', `No signer ${name} for repository ${repo.gun}`, {
      details: { repository: repo.gun, signer: name },
      hint: `vouch trust inspect --pretty ${repo.gun} lists the signers`,
    });
  }
  if (!force && isLastSigner(base, entry.keyids.map((id) => safeCanonicalId(targets.delegations.keys.get(id)) ?? id))) {
    const ok = await s.confirm(`The signer "${name}" signed the last released version of ${repo.gun}. Removing this signer will make ${repo.gun} unpullable. Are you sure you want to continue? [y/N] `);
    if (!ok) {
      emit({ event: 'aborted' });
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
    const c = safeCanonicalId(k) ?? sig.keyid;
    if (entry.keyids.includes(sig.keyid) && !drop.has(c) && !drop.has(sig.keyid)) remaining++;
  }
  return remaining < entry.threshold;
}
