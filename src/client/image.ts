// Push = upload + sign; pull = verify + download (docs/architecture.md). With content trust on, a pull
// resolves the tag through verified trust data, fetches the manifest BY DIGEST, checks its size
// against the signed length, checks every blob while it streams, and writes the OCI layout only
// when everything matched — a failure leaves nothing at the destination.
import { VouchError, isVouchError } from '../core/index.js';
// Not oci/index.js: that also loads docker-archive reading, which only push needs (loaded there).
import { pullImage, pushImage } from '../oci/copy.js';
import { OciLayoutWriter } from '../oci/layout.js';
import type { Descriptor } from '../oci/manifest.js';
import { formatReference, gunOf, parseReference, type ImageReference } from '../oci/reference.js';
import { resolveDockerTag, type ResolvedTag } from '../tuf/index.js';
import { decisionError, type Decision, type Policy } from '../policy/index.js';
import type { TrustEventSink } from './events.js';
import { sign } from './sign.js';
import { checkPolicy, resolveAllowed, type PolicyCheckOptions } from './policy.js';
import type { Session } from './session.js';
import { Updater } from './updater.js';

export type ImageEvent =
  | { event: 'resolved'; reference: string; digest: string; size: number; role: string }
  | { event: 'blob'; digest: string; size: number; status: 'uploaded' | 'exists' | 'mounted' | 'downloaded' | 'present' }
  | { event: 'pushed'; reference: string; digest: string; size: number }
  | { event: 'pulled'; reference: string; digest: string; destination: string }
  | { event: 'warning'; message: string }
  | { event: 'policy'; reference: string; decision: Decision };

export interface PullOptions {
  /** verify through trust data (DOCKER_CONTENT_TRUST); false pulls by tag as given */
  trust: boolean;
  /** OCI layout directory to write */
  to: string;
  /**
   * With `trust`: the trust policy to apply (docs/policy.md). Without one the pull verifies as
   * docker does. The CLI passes the policy file's, or DEFAULT_POLICY.
   */
  policy?: Policy;
  /** what the policy's Notation signers are verified with (revocation sources, plugins) */
  policyOptions?: PolicyCheckOptions;
  onEvent?: (e: ImageEvent) => void;
}

export interface PullResult {
  reference: ImageReference;
  digest: string;
  resolved?: ResolvedTag;
  decision?: Decision;
}

/**
 * The signed digest of IMAGE:TAG, from verified trust data. With `cacheWrites`, the trust cache
 * writes are handed over instead of awaited (see UpdaterOptions).
 */
export async function resolveTrusted(s: Session, ref: ImageReference, cacheWrites?: (done: Promise<void>) => void): Promise<ResolvedTag> {
  const tag = ref.tag ?? 'latest';
  const updater = new Updater({ gun: gunOf(ref), cache: s.trustDir, remote: s.remoteFor(ref), now: s.now(), warn: (m) => s.warn(m), ...(cacheWrites ? { cacheWrites } : {}) });
  let repo;
  try {
    repo = await updater.update();
  } catch (err) {
    if (isVouchError(err, 'REPOSITORY_NOT_FOUND')) {
      throw new VouchError('REPOSITORY_NOT_FOUND', `remote trust data does not exist for ${gunOf(ref)}: refusing to pull ${formatReference({ ...ref, tag })} with content trust on`, {
        hint: 'sign the image first (vouch trust sign, or vouch push with DOCKER_CONTENT_TRUST=1), or pull with --disable-content-trust if you accept unverified content',
        cause: err,
      });
    }
    throw err;
  }
  try {
    return resolveDockerTag(repo.trusted, tag);
  } catch (err) {
    if (isVouchError(err, 'TAG_NOT_FOUND')) {
      throw new VouchError('TAG_NOT_FOUND', `No trust data for ${tag}: ${gunOf(ref)}:${tag} is not signed in targets or targets/releases`, {
        hint: `list what is signed with: vouch trust inspect --pretty ${gunOf(ref)}`,
        cause: err,
      });
    }
    throw err;
  }
}

/** An unsigned tag the policy refuses: docker's wording, with the decision attached. */
function unsignedError(ref: ImageReference, hasTrustData: boolean, decision: Decision): VouchError {
  const tag = ref.tag ?? 'latest';
  const message = hasTrustData
    ? `No trust data for ${tag}: ${gunOf(ref)}:${tag} is not signed`
    : `remote trust data does not exist for ${gunOf(ref)}: refusing to pull ${formatReference({ ...ref, tag })} with content trust on`;
  return new VouchError(hasTrustData ? 'TAG_NOT_FOUND' : 'REPOSITORY_NOT_FOUND', message, {
    hint: `${decision.summary}; sign the image first (vouch trust sign, or vouch push with DOCKER_CONTENT_TRUST=1), or pull with --disable-content-trust if you accept unverified content`,
    details: { decision },
  });
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** A promise that never rejects (so it may be left unawaited), and its outcome back. */
function settled<T>(p: Promise<T>): Promise<Settled<T>> {
  return p.then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error }));
}

async function unsettle<T>(p: Promise<Settled<T>>): Promise<T> {
  const r = await p;
  if (r.ok) return r.value;
  throw r.error;
}

export async function pull(s: Session, input: string, opts: PullOptions): Promise<PullResult> {
  // The trust cache is written (atomically, fsynced) while the manifest and blobs download: its
  // fsyncs no longer delay the first blob byte. Everything it writes was verified first; a failed
  // write still refuses the pull (awaited before the layout is committed), and no pull returns
  // before every write has finished.
  const writes: Promise<void>[] = [];
  const take = (done: Promise<void>): void => { done.catch(() => undefined); writes.push(done); };
  try {
    return await pullWith(s, input, opts, take, async () => { await Promise.all(writes); });
  } finally {
    await Promise.allSettled(writes);
  }
}

async function pullWith(s: Session, input: string, opts: PullOptions, cacheWrites: (done: Promise<void>) => void, cacheWritten: () => Promise<void>): Promise<PullResult> {
  const ref = parseReference(input);
  const emit = opts.onEvent ?? (() => {});
  const client = s.registryFor(ref.registry);
  // The registry's view of the tag does not depend on the trust data: ask for it (and find the
  // registry's scheme) while the trust data is fetched and verified. Only compared once that is
  // done; an error is raised where the HEAD used to be made.
  const tagHead = opts.trust && ref.digest === undefined ? settled(client.headManifest(ref.repository, ref.tag ?? 'latest')) : undefined;
  let refToFetch: string;
  let resolved: ResolvedTag | undefined;
  let decision: Decision | undefined;
  let unsignedAllowed = false;
  /** A rule naming Notation or cosign signers: the digest the decision counted them on (content-addressed, so pulled by it). */
  let decidedDigest: string | undefined;
  // The decision follows the 'resolved' event when there is one, so that stream keeps docker's order.
  let pendingPolicy: ImageEvent | undefined;
  if (opts.trust && opts.policy !== undefined) {
    const check = await checkPolicy(s, ref, opts.policy, cacheWrites, undefined, opts.policyOptions);
    decision = check.decision;
    const policyEvent: ImageEvent = { event: 'policy', reference: formatReference(ref), decision };
    const ociRule = check.ociSigners.length > 0;
    if (check.facts.signatures.length === 0 && ref.digest === undefined && (!ociRule || decision.digest === undefined)) {
      emit(policyEvent);
      if (!decision.allowed) throw unsignedError(ref, check.repo !== undefined, decision);
      // The policy accepts unsigned tags here (rejectUnsigned: false): pulled as given, unverified.
      unsignedAllowed = true;
      emit({ event: 'warning', message: `${formatReference(ref)} is not signed; pulled without verification because the policy allows unsigned tags here` });
    } else {
      const denied = decisionError(decision);
      if (denied !== undefined || ref.digest !== undefined || check.repo === undefined || ociRule) emit(policyEvent);
      else pendingPolicy = policyEvent;
      if (denied !== undefined) throw denied;
      // Signers of several kinds agreed on a digest: docker's resolution through targets/releases is not the question.
      if (ociRule && ref.digest === undefined) decidedDigest = decision.digest;
      else if (pendingPolicy !== undefined) {
        try {
          resolved = resolveAllowed(check, (m) => emit({ event: 'warning', message: m }));
        } catch (err) {
          emit(policyEvent);
          throw err;
        }
      }
    }
  }
  if (ref.digest !== undefined) {
    // A digest names the content itself: what arrives is checked against it, trust data or not.
    refToFetch = ref.digest;
  } else if (decidedDigest !== undefined) {
    refToFetch = decidedDigest;
  } else if (opts.trust && !unsignedAllowed) {
    resolved ??= await resolveTrusted(s, ref, cacheWrites);
    emit({ event: 'resolved', reference: `${gunOf(ref)}:${resolved.tag}`, digest: resolved.digest, size: resolved.length, role: resolved.role });
    if (pendingPolicy !== undefined) emit(pendingPolicy);
    // The registry's tag must still name the signed manifest: a moved tag means someone pushed
    // unsigned content under a signed name, and we refuse rather than silently pull the old one.
    const head = tagHead !== undefined && resolved.tag === (ref.tag ?? 'latest') ? await unsettle(tagHead) : await client.headManifest(ref.repository, resolved.tag);
    if (head?.digest !== undefined && head.digest !== resolved.digest) {
      throw new VouchError('HASH_MISMATCH', `${gunOf(ref)}:${resolved.tag} was moved: the registry has ${head.digest}, but the signed digest is ${resolved.digest}`, {
        hint: `pull the signed image by digest (${gunOf(ref)}@${resolved.digest}), or have a signer sign the new digest`,
        details: { registry: head.digest, signed: resolved.digest },
      });
    }
    if (head === undefined) emit({ event: 'warning', message: `tag ${resolved.tag} is gone from the registry; pulling the signed digest ${resolved.digest}` });
    refToFetch = resolved.digest;
  } else {
    refToFetch = ref.tag ?? 'latest';
  }

  const writer = await OciLayoutWriter.open(opts.to);
  try {
    const pulled = await pullImage(client, ref.repository, refToFetch, writer, {
      onBlob: (d: Descriptor, skipped: boolean) => emit({ event: 'blob', digest: d.digest, size: d.size, status: skipped ? 'present' : 'downloaded' }),
    });
    if (resolved !== undefined) {
      if (pulled.descriptor.digest !== resolved.digest) {
        throw new VouchError('HASH_MISMATCH', `the registry sent manifest ${pulled.descriptor.digest} for the signed digest ${resolved.digest}`);
      }
      if (pulled.descriptor.size !== resolved.length) {
        throw new VouchError('LENGTH_MISMATCH', `the manifest is ${pulled.descriptor.size} bytes, but the signed length is ${resolved.length}`);
      }
    }
    writer.addManifest(pulled.descriptor, ref.tag ?? resolved?.tag ?? (ref.digest ? undefined : 'latest'));
    await cacheWritten();
    await writer.commit();
    emit({ event: 'pulled', reference: formatReference(ref), digest: pulled.descriptor.digest, destination: opts.to });
    return { reference: ref, digest: pulled.descriptor.digest, ...(resolved ? { resolved } : {}), ...(decision ? { decision } : {}) };
  } catch (err) {
    await writer.abort();
    throw err;
  }
}

export interface PushOptions {
  /** `oci:DIR[:REF]` (an OCI layout) or `docker-archive:FILE[:REPO:TAG]` (docker save) */
  from: string;
  /** sign the pushed tag (DOCKER_CONTENT_TRUST or --sign) */
  sign: boolean;
  onEvent?: (e: ImageEvent) => void;
  /** what signing reports (docker trust sign's messages, rendered by the CLI) */
  onTrustEvent?: TrustEventSink;
}

export async function push(s: Session, input: string, opts: PushOptions): Promise<{ digest: string; size: number }> {
  const ref = parseReference(input);
  if (ref.digest !== undefined) throw new VouchError('INVALID_ARGUMENT', `${input}: push takes IMAGE:TAG, not a digest`);
  const tag = ref.tag ?? 'latest';
  const emit = opts.onEvent ?? (() => {});
  const { openImageSource } = await import('../oci/transports.js');
  const { source, root } = await openImageSource(opts.from, { pushing: { name: gunOf(ref), tag } });
  const client = s.registryFor(ref.registry);
  const pushed = await pushImage(client, ref.repository, source, root, {
    tag,
    onBlob: (d, result) => emit({ event: 'blob', digest: d.digest, size: d.size, status: result }),
  });
  emit({ event: 'pushed', reference: `${gunOf(ref)}:${tag}`, digest: pushed.digest, size: pushed.size });
  if (opts.sign) {
    await sign(s, opts.onTrustEvent ?? (() => {}), `${gunOf(ref)}:${tag}`, { ...ref, tag }, { target: { sha256Hex: pushed.digest.replace(/^sha256:/, ''), length: pushed.size }, replace: true });
  }
  return { digest: pushed.digest, size: pushed.size };
}
