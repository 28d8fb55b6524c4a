// Signature formats by name and by media type: one entry point to sign (`--signature-format
// jws|cose`) and one to read an envelope whatever its format, into the shared NotationEnvelope.
import { VouchError, isVouchError } from '../../core/index.js';
import { COSE_ENVELOPE_TYPE, JWS_ENVELOPE_TYPE } from './constants.js';
import { readCoseEnvelope, signCose, verifyCoseEnvelope } from './cose.js';
import type { EnvelopeSignOptions, NotationEnvelope, SignatureFormat, SignedEnvelope } from './envelope.js';
import { readJwsEnvelope, signJws, verifyJwsEnvelope } from './jws.js';
import { pluginRefused } from './plugin.js';

/** notation's --signature-format values and their envelope media types. */
export const SIGNATURE_FORMATS: Readonly<Record<SignatureFormat, string>> = { jws: JWS_ENVELOPE_TYPE, cose: COSE_ENVELOPE_TYPE };

/** `--signature-format` as notation checks it (cmd/notation/internal/flag: "jws" or "cose"). */
export function parseSignatureFormat(name: string): SignatureFormat {
  if (name === 'jws' || name === 'cose') return name;
  throw new VouchError('INVALID_ARGUMENT', `signature format "${name}" not supported`, { hint: 'use --signature-format jws or --signature-format cose' });
}

/**
 * Signs in the given format (scheme notary.x509). An envelope around a plugin's signature is read
 * back as a verifier reads it before anyone sees it (notation-go signer/plugin.go verifies what a
 * plugin signed).
 */
export async function signEnvelope(format: SignatureFormat, opts: EnvelopeSignOptions): Promise<SignedEnvelope> {
  const signed = format === 'cose' ? await signCose(opts) : { ...(await signJws(opts)), mediaType: JWS_ENVELOPE_TYPE };
  if ('signer' in opts) {
    try { await verifyEnvelope(signed.mediaType, signed.envelope); } catch (err) {
      if (!isVouchError(err)) throw err;
      throw pluginRefused(opts.signer.plugin, 'the signature does not verify with the signing certificate\'s key', err);
    }
  }
  return signed;
}

const unsupported = (mediaType: string): VouchError => new VouchError('INVALID_SIGNATURE', `signature envelope format with media type "${mediaType}" is not supported`);

/** Reads an envelope of the given media type and checks its integrity (see verifyJwsEnvelope, verifyCoseEnvelope). */
export async function verifyEnvelope(mediaType: string, bytes: Uint8Array): Promise<NotationEnvelope> {
  if (mediaType === JWS_ENVELOPE_TYPE) return verifyJwsEnvelope(bytes);
  if (mediaType === COSE_ENVELOPE_TYPE) return verifyCoseEnvelope(bytes);
  throw unsupported(mediaType);
}

/** Reads an envelope of the given media type without verifying it, for display (see readJwsEnvelope, readCoseEnvelope). */
export async function readEnvelope(mediaType: string, bytes: Uint8Array): Promise<NotationEnvelope> {
  if (mediaType === JWS_ENVELOPE_TYPE) return readJwsEnvelope(bytes);
  if (mediaType === COSE_ENVELOPE_TYPE) return readCoseEnvelope(bytes);
  throw unsupported(mediaType);
}
