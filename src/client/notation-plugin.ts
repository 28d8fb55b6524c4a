// Signing through a Notation plugin (notaryproject/specifications specs/plugin-extensibility.md,
// "Signing interfaces"; notation-go signer/plugin.go): with SIGNATURE_GENERATOR.RAW vouch builds
// the envelope (JWS or COSE, the shared envelope code) and the plugin signs its signing input
// (describe-key, generate-signature); with SIGNATURE_GENERATOR.ENVELOPE the plugin builds the whole
// envelope (generate-envelope). Either way nothing the plugin returns is trusted: the key spec must
// be the leaf's, the chain must follow the code-signing rules and be valid at the signing time, the
// signature must verify, and a generated envelope must sign exactly the descriptor asked for.
import { VouchError, isJsonObject, isVouchError } from '../core/index.js';
import type { NotationPlugin } from '../keys/notation-plugin.js';
import {
  CAPABILITY_ENVELOPE_GENERATOR, CAPABILITY_SIGNATURE_GENERATOR, MAX_ENVELOPE_BYTES, NOTATION_PAYLOAD_TYPE, PLUGIN_CONTRACT_VERSION,
  SIGNATURE_FORMATS, SIGNING_AGENT, hashAlgorithmName, keySpecName, parseDescribeKey, parseGenerateEnvelope, parseGenerateSignature,
  pluginRefused, signEnvelope, thumbprint, validateCodeSigningChain, verifyEnvelope,
  type NotationEnvelope, type PluginRawSigner, type SignatureFormat, type SignedEnvelope, type TargetArtifact, type Timestamper,
} from '../sig/index.js';

export interface PluginSigningKey {
  plugin: NotationPlugin;
  /** the key's id known to the plugin (signingkeys.json `id`, or `--id`) */
  keyId: string;
  pluginConfig: Record<string, string>;
}

export interface PluginSignature extends SignedEnvelope {
  /** annotations the plugin asks for on the signature manifest (generate-envelope only) */
  annotations: Record<string, string>;
}

/** What is signed, and when: the descriptor with its user metadata, the signing time, the expiry; a timestamp of the signature. */
export interface PluginSignRequest {
  target: TargetArtifact;
  signingTime: Date;
  expiry?: Date;
  timestamp?: Timestamper;
}

/** Descriptor members a generated payload may carry (notation-go signer/plugin.go areUnknownAttributesAdded). */
const DESCRIPTOR_MEMBERS = new Set(['mediaType', 'digest', 'size', 'urls', 'annotations', 'data', 'platform', 'artifactType']);
/** Manifest annotations a plugin may not set: the thumbprints and the creation time are vouch's to write. */
const RESERVED_ANNOTATION = /^(io\.cncf\.notary\.|org\.opencontainers\.image\.created$)/;

/** Signs with a plugin key, in the given envelope format. */
export async function signWithPlugin(key: PluginSigningKey, format: SignatureFormat, req: PluginSignRequest): Promise<PluginSignature> {
  const { plugin, keyId, pluginConfig } = key;
  const config = Object.keys(pluginConfig).length > 0 ? { pluginConfig } : {};
  const md = await plugin.metadata(pluginConfig);
  if (md.capabilities.includes(CAPABILITY_SIGNATURE_GENERATOR)) {
    const spec = parseDescribeKey(plugin.name, keyId, await plugin.run('describe-key', { contractVersion: PLUGIN_CONTRACT_VERSION, keyId, ...config }));
    const signer: PluginRawSigner = {
      plugin: plugin.name, keyId, keySpec: spec,
      sign: async (data) => parseGenerateSignature(plugin.name, keyId, spec, await plugin.run('generate-signature', {
        contractVersion: PLUGIN_CONTRACT_VERSION, keyId, ...config,
        keySpec: keySpecName(spec), hashAlgorithm: hashAlgorithmName(spec), payload: data.toString('base64'),
      })),
    };
    const signed = await signEnvelope(format, { ...req, signer, signingAgent: `${SIGNING_AGENT} ${md.name}/${md.version}` });
    return { ...signed, annotations: {} };
  }
  if (md.capabilities.includes(CAPABILITY_ENVELOPE_GENERATOR)) return generateEnvelope(key, format, req);
  throw new VouchError('PLUGIN', `plugin ${plugin.name} does not have signing capabilities (${CAPABILITY_SIGNATURE_GENERATOR} or ${CAPABILITY_ENVELOPE_GENERATOR})`, { hint: 'it may be a verification plugin only' });
}

async function generateEnvelope(key: PluginSigningKey, format: SignatureFormat, req: PluginSignRequest): Promise<PluginSignature> {
  const { plugin, keyId, pluginConfig } = key;
  const { target } = req;
  // notation-go signer/plugin.go generateSignatureEnvelope returns the plugin's envelope as it is, untimestamped
  if (req.timestamp) {
    throw new VouchError('PLUGIN', `plugin ${plugin.name} generates whole signature envelopes (${CAPABILITY_ENVELOPE_GENERATOR}), which vouch cannot add an RFC 3161 timestamp to`, { hint: 'sign without --timestamp-url (notation signs such a plugin\'s envelope untimestamped), or with a plugin that has ' + CAPABILITY_SIGNATURE_GENERATOR });
  }
  const mediaType = SIGNATURE_FORMATS[format];
  const expirySeconds = req.expiry ? Math.floor((req.expiry.getTime() - req.signingTime.getTime()) / 1000) : undefined;
  // The payload as notation-go marshals it: descriptor members in Go's struct order.
  const payload = Buffer.from(JSON.stringify({ targetArtifact: { mediaType: target.mediaType, digest: target.digest, size: target.size, ...(target.annotations && Object.keys(target.annotations).length > 0 ? { annotations: target.annotations } : {}) } }));
  const answer = parseGenerateEnvelope(plugin.name, mediaType, MAX_ENVELOPE_BYTES, await plugin.run('generate-envelope', {
    contractVersion: PLUGIN_CONTRACT_VERSION, keyId, ...(Object.keys(pluginConfig).length > 0 ? { pluginConfig } : {}),
    ...(expirySeconds !== undefined ? { expiryDurationInSeconds: expirySeconds } : {}),
    payload: payload.toString('base64'), payloadType: NOTATION_PAYLOAD_TYPE, signatureEnvelopeType: mediaType,
  }));
  let env: NotationEnvelope;
  try { env = await verifyEnvelope(mediaType, answer.envelope); } catch (err) {
    if (!isVouchError(err)) throw err;
    throw pluginRefused(plugin.name, 'generated signature failed verification', err);
  }
  const signed = env.target;
  const kept = Object.entries(target.annotations ?? {}).every(([k, v]) => signed.annotations?.[k] === v);
  if (signed.mediaType !== target.mediaType || signed.digest !== target.digest || signed.size !== target.size || !kept) {
    throw pluginRefused(plugin.name, `during signing descriptor subject has changed from ${target.mediaType} ${target.digest} (${target.size} bytes) to ${signed.mediaType} ${signed.digest} (${signed.size} bytes)${kept ? '' : ', or lost user metadata'}`);
  }
  const raw = JSON.parse(env.payloadBytes.toString()) as Record<string, unknown>;
  const added = [...Object.keys(raw).filter((k) => k !== 'targetArtifact'), ...(isJsonObject(raw.targetArtifact) ? Object.keys(raw.targetArtifact).filter((k) => !DESCRIPTOR_MEMBERS.has(k)) : [])];
  if (added.length > 0) throw pluginRefused(plugin.name, `during signing, following unknown attributes were added to subject descriptor: ${added.join(', ')}`);
  try { validateCodeSigningChain(env.chain, env.header.signingTime); } catch (err) { throw pluginRefused(plugin.name, 'the certificate chain does not meet the Notary Project certificate requirements at the signing time', err); }
  const reserved = Object.keys(answer.annotations).filter((k) => RESERVED_ANNOTATION.test(k));
  if (reserved.length > 0) throw pluginRefused(plugin.name, `annotations that only the signer may set: ${reserved.join(', ')}`);
  return {
    envelope: answer.envelope, mediaType, chain: env.chain, thumbprints: env.chain.map(thumbprint), signingTime: env.header.signingTime, annotations: answer.annotations,
  };
}
