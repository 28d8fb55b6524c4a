// A Sigstore trusted root (`trusted_root.json`, sigstore/protobuf-specs
// protos/sigstore_trustroot.proto TrustedRoot): the Fulcio CAs, Rekor logs, CT logs and timestamp
// authorities keyless verification trusts. vouch never fetches one from the public Sigstore
// services: the user hands it in (`--trusted-root`), as cosign's private-deployment users do. Pure:
// parsing and bounds; the file is read by the CLI.
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toTrustMaterial, type KeyFinderFunc, type TrustMaterial } from '@sigstore/verify';
import { VouchError, isJsonObject, parseJson } from '../../core/index.js';

/** The public-good root is about 7 KiB; a private deployment's with many key rotations stays far below this. */
export const MAX_TRUSTED_ROOT_BYTES = 1024 * 1024;
/** Entries per list (CAs, logs, timestamp authorities) and certificates per CA chain. */
const MAX_AUTHORITIES = 64;
const MAX_CHAIN_CERTIFICATES = 10;

/** How to get a trusted root without vouch fetching one (said whenever none is given). */
export const TRUSTED_ROOT_HINT =
  'pass --trusted-root FILE, a Sigstore trusted_root.json. For the public-good instance: targets/trusted_root.json of ' +
  'the github.com/sigstore/root-signing repository (check it against that TUF repository\'s root.json, or copy the one ' +
  'cosign keeps in its TUF cache under ~/.sigstore/root/ after an online run); ' +
  'for a private deployment: cosign trusted-root create --fulcio url=…,certificate-chain=… --rekor url=…,public-key=…,start-time=… ' +
  '--ctfe … --tsa … --out trusted_root.json';

export interface LoadedTrustedRoot {
  root: TrustedRoot;
  /** Fulcio CAs, Rekor and CT log keys, timestamp authorities, as @sigstore/verify takes them */
  material: TrustMaterial;
}

/**
 * Parses a `trusted_root.json` (bounded in size and in the length of every list), and turns it
 * into @sigstore/verify's trust material. `keys` finds the public key of a key-based bundle.
 */
export function parseTrustedRoot(bytes: Uint8Array, opts: { what?: string; keys?: KeyFinderFunc } = {}): LoadedTrustedRoot {
  const what = opts.what ?? 'trusted root';
  const json = parseJson(bytes, { maxBytes: MAX_TRUSTED_ROOT_BYTES, what });
  const bad = (why: string, cause?: unknown): VouchError =>
    new VouchError('INVALID_METADATA', `${what} is not a Sigstore trusted root: ${why}`, { hint: TRUSTED_ROOT_HINT, ...(cause === undefined ? {} : { cause }) });
  if (!isJsonObject(json)) throw bad('not a JSON object');
  if (typeof json.mediaType !== 'string' || !json.mediaType.startsWith('application/vnd.dev.sigstore.trustedroot')) {
    throw bad(`mediaType ${JSON.stringify(json.mediaType)} is not application/vnd.dev.sigstore.trustedroot+json`);
  }
  for (const list of ['tlogs', 'certificateAuthorities', 'ctlogs', 'timestampAuthorities'] as const) {
    const v = json[list];
    if (v === undefined) continue;
    if (!Array.isArray(v)) throw bad(`${list} is not a list`);
    if (v.length > MAX_AUTHORITIES) throw new VouchError('TOO_LARGE', `${what} lists ${v.length} ${list}, over the limit of ${MAX_AUTHORITIES}`);
    if (list === 'certificateAuthorities' || list === 'timestampAuthorities') {
      for (const ca of v) {
        const certs = isJsonObject(ca) && isJsonObject(ca.certChain) ? ca.certChain.certificates : undefined;
        if (!Array.isArray(certs) || certs.length === 0) throw bad(`a ${list} entry has no certChain.certificates`);
        if (certs.length > MAX_CHAIN_CERTIFICATES) throw new VouchError('TOO_LARGE', `a certificate chain in ${what} has ${certs.length} certificates, over the limit of ${MAX_CHAIN_CERTIFICATES}`);
      }
    }
    if (list === 'tlogs' || list === 'ctlogs') {
      for (const log of v) {
        if (!isJsonObject(log) || !isJsonObject(log.publicKey) || typeof log.publicKey.rawBytes !== 'string' || !isJsonObject(log.logId)) {
          throw bad(`a ${list} entry has no publicKey.rawBytes or logId`);
        }
      }
    }
  }
  let root: TrustedRoot;
  let material: TrustMaterial;
  try {
    root = TrustedRoot.fromJSON(json);
    material = toTrustMaterial(root, opts.keys);
  } catch (err) {
    throw bad((err as Error).message, err);
  }
  return { root, material };
}

/** No trusted root given: the message and the way to get one. */
export function missingTrustedRoot(): VouchError {
  return new VouchError('CONFIG', 'keyless verification needs a Sigstore trusted root, and vouch fetches none from the public Sigstore services', { hint: TRUSTED_ROOT_HINT });
}
