// `notation list` and `notation inspect` (notation cmd/notation/list.go, inspect.go): the
// signatures of an artifact in a registry or an OCI layout, at most --max-signatures of them,
// and what each one claims. A signature vouch cannot read is kept in the list with the reason,
// so it is shown rather than hidden; the others are still described.
import { isVouchError } from '../core/index.js';
import type { Descriptor } from '../oci/manifest.js';
import { describeNotationEnvelope, type DescribedSignature, type TargetArtifact } from '../sig/index.js';
import { readSignature, resolveSubject, type SignatureStore } from './notation.js';

export interface NotationSignatureList {
  /** `NAME@digest`, as notation prints it */
  reference: string;
  subject: TargetArtifact;
  /** the signature manifests, in the order the registry or layout lists them */
  signatures: Descriptor[];
  /** set when there were more than this many signatures (the rest are not listed) */
  exceededLimit?: number;
}

/** notation list: the signature manifests of the artifact `reference` names. */
export async function listNotationSignatures(store: SignatureStore, reference: string, maxSignatures: number): Promise<NotationSignatureList> {
  const subject = await resolveSubject(store, reference);
  // One more than the limit: enough to tell that it was exceeded.
  const listed = await store.listSignatures(subject, maxSignatures + 1);
  return {
    reference: `${store.name}@${subject.digest}`, subject, signatures: listed.slice(0, maxSignatures),
    ...(listed.length > maxSignatures ? { exceededLimit: maxSignatures } : {}),
  };
}

export interface InspectedSignature {
  /** the signature manifest's digest and media type */
  digest: string;
  manifestMediaType: string;
  described?: DescribedSignature;
  /** why it cannot be shown (it is listed all the same) */
  error?: { code: string; message: string; envelopeMediaType?: string };
}

export interface NotationInspectResult extends Omit<NotationSignatureList, 'signatures'> {
  signatures: InspectedSignature[];
}

/** notation inspect: every listed signature, described, or the reason it cannot be. */
export async function inspectNotation(store: SignatureStore, reference: string, maxSignatures: number): Promise<NotationInspectResult> {
  const list = await listNotationSignatures(store, reference, maxSignatures);
  const signatures: InspectedSignature[] = [];
  for (const desc of list.signatures) {
    const entry: InspectedSignature = { digest: desc.digest, manifestMediaType: desc.mediaType };
    let envelopeMediaType: string | undefined;
    try {
      const { manifest, envelope } = await readSignature(store, desc);
      envelopeMediaType = manifest.envelope.mediaType;
      entry.described = await describeNotationEnvelope(envelope, manifest.envelope.mediaType);
    } catch (err) {
      if (!isVouchError(err)) throw err;
      entry.error = { code: err.code, message: err.message, ...(envelopeMediaType ? { envelopeMediaType } : {}) };
    }
    signatures.push(entry);
  }
  return { ...list, signatures };
}
