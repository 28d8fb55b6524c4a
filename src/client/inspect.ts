// `docker trust inspect` as data (docker/cli cli/command/trust/inspect.go): which tags are signed,
// by whom, with which keys, read from verified repositories. The CLI lays it out exactly as docker
// ≤ v28 prints it (src/cli/render/inspect.ts).
import { RELEASES_ROLE, VouchError, isVouchError } from '../core/index.js';
import { REPO_ADMIN, listDelegations, roleTargets, signedTagRows, signerName, type RoleTarget } from '../tuf/index.js';
import type { ImageReference } from '../oci/reference.js';
import { safeCanonicalId } from './keyring.js';
import { RepoHandle } from './repo.js';
import type { Session } from './session.js';
import type { VerifiedRepo } from './updater.js';

/** What inspect needs from a verified repository. */
export interface InspectSource {
  /** every target of every role the reader could verify, in role walk order */
  targets: RoleTarget[];
  /** delegation roles with their canonical key IDs (as `notary delegation list` shows them) */
  delegations: { name: string; keyIds: string[] }[];
  /** key IDs listed for root and targets in root.json */
  rootKeyIds: string[];
  targetsKeyIds: string[];
}

export interface TrustTagRow { SignedTag: string; Digest: string; Signers: string[] }
export interface TrustSigner { Name: string; Keys: { ID: string }[] }
export interface TrustRepo { Name: string; SignedTags: TrustTagRow[]; Signers: TrustSigner[]; AdministrativeKeys: TrustSigner[] }

/** Signer name (delegation without `targets/`) → key IDs; targets/releases is not a signer. */
export function signerKeys(delegations: InspectSource['delegations']): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const d of delegations) {
    if (d.name === RELEASES_ROLE || !d.name.startsWith('targets/')) continue;
    out.set(signerName(d.name), d.keyIds);
  }
  return out;
}

export function trustRepo(name: string, src: InspectSource, onlyTag?: string): TrustRepo {
  const rows = signedTagRows(src.targets, onlyTag).map((r) => ({
    SignedTag: r.tag,
    Digest: r.digest,
    Signers: r.signers.length ? r.signers : [REPO_ADMIN],
  }));
  const signers = [...signerKeys(src.delegations)]
    .map(([Name, ids]) => ({ Name, Keys: ids.map((ID) => ({ ID })) }))
    .sort((a, b) => (a.Name > b.Name ? -1 : a.Name < b.Name ? 1 : 0));
  return {
    Name: name,
    SignedTags: rows,
    Signers: signers,
    AdministrativeKeys: [
      { Name: 'Root', Keys: src.rootKeyIds.map((ID) => ({ ID })) },
      { Name: 'Repository', Keys: src.targetsKeyIds.map((ID) => ({ ID })) },
    ],
  };
}

/** What `inspect` shows, from a verified repository. */
export function inspectSource(repo: VerifiedRepo): InspectSource {
  const targets = roleTargets(repo.trusted);
  const delegations = listDelegations(repo.trusted).map((d) => ({
    name: d.name,
    keyIds: d.keyids.map((id) => safeCanonicalId(d.keys.get(id)) ?? id),
  }));
  const root = repo.root.signed;
  return { targets, delegations, rootKeyIds: [...root.roles.root.keyids], targetsKeyIds: [...root.roles.targets.keyids] };
}

/** One repository `inspectRepos` could read: the argument as given, its tag (if any) and what inspect shows. */
export interface InspectedRepo { input: string; tag: string | undefined; source: InspectSource }

/**
 * docker trust inspect: reads each argument's repository in turn and hands it to `onRepo`. A
 * repository that cannot be read stops the walk with NOT_FOUND when `stopAtMissing` (docker's
 * --pretty); otherwise the walk goes on, and the NOT_FOUND naming every such argument is returned
 * for the caller to raise after its output (docker's JSON mode).
 */
export async function inspectRepos(
  s: Session, inputs: { input: string; ref: ImageReference }[], onRepo: (r: InspectedRepo) => void, opts: { stopAtMissing: boolean },
): Promise<VouchError | undefined> {
  const failed: string[] = [];
  let firstError: unknown;
  // The cache is written while the output is built and printed; every write is complete (and
  // fsynced) before the next repository is read and before this returns.
  let writes: Promise<void> = Promise.resolve();
  try {
    for (const { input, ref } of inputs) {
      await writes;
      let source: InspectSource | undefined;
      try {
        const v = await new RepoHandle(s, ref).load((done) => { done.catch(() => undefined); writes = done; });
        if (v !== undefined) source = inspectSource(v);
      } catch (err) {
        firstError ??= err;
      }
      if (source === undefined) {
        if (opts.stopAtMissing) throw noSignatures(input, firstError);
        failed.push(input);
        continue;
      }
      onRepo({ input, tag: ref.tag, source });
    }
  } finally {
    await writes;
  }
  return failed.length > 0 ? noSignatures(failed.join(', '), firstError) : undefined;
}

function noSignatures(what: string, cause: unknown): VouchError {
  const c = isVouchError(cause) ? cause : undefined;
  // the cause's code: "no signatures" is REPOSITORY_NOT_FOUND, "cannot access" whatever kept it out of reach
  return new VouchError(c?.code ?? 'REPOSITORY_NOT_FOUND', `no signatures or cannot access ${what}`, {
    ...(cause !== undefined ? { cause } : {}),
    hint: c ? `${c.message}${c.hint ? `; ${c.hint}` : ''}` : 'the repository has no trust data on this trust server',
    details: c ? { ...c.details, reason: c.code } : {},
  });
}
