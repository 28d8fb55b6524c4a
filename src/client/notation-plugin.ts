// Signing through a Notation plugin (notaryproject/specifications specs/plugin-extensibility.md,
// "Signing interfaces"; notation-go signer/plugin.go): with SIGNATURE_GENERATOR.RAW vouch builds
// the JWS and the plugin signs its signing input (describe-key, generate-signature); with
// SIGNATURE_GENERATOR.ENVELOPE the plugin builds the whole envelope (generate-envelope). Either
// way nothing the plugin returns is trusted: the key spec must be the leaf's, the chain must follow
// the code-signing rules and be valid at the signing time, the signature must verify, and a
// generated envelope must sign exactly the descriptor asked for.
import { VouchError, isJsonObject, isVouchError } from '../core/index.js';
import type { NotationPlugin } from '../keys/notation-plugin.js';
import {
  CAPABILITY_ENVELOPE_GENERATOR, CAPABILITY_SIGNATURE_GENERATOR, JWS_ENVELOPE_TYPE, MAX_ENVELOPE_BYTES, NOTATION_PAYLOAD_TYPE,
  PLUGIN_CONTRACT_VERSION, SIGNING_AGENT, assembleJws, hashAlgorithmName, jwsSigningInput, keySpecName, keySpecOf, parseCertificates,
  parseDescribeKey, parseGenerateEnvelope, parseGenerateSignature, thumbprint, validateCodeSigningChain, verifyJwsEnvelope,
  type JwsEnvelope, type TargetArtifact,
} from '../sig/index.js';

export interface PluginSigningKey {
  plugin: NotationPlugin;
  /** the key's id known to the plugin (signingkeys.json `id`, or `--id`) */
  keyId: string;
  pluginConfig: Record<string, string>;
}

export interface PluginSignature {
  envelope: Buffer;
  thumbprints: string[];
  signingTime: Date;
  /** annotations the plugin asks for on the signature manifest (generate-envelope only) */
  annotations: Record<string, string>;
}

/** Descriptor members a generated payload may carry (notation-go signer/plugin.go areUnknownAttributesAdded). */
const DESCRIPTOR_MEMBERS = new Set(['mediaType', 'digest', 'size', 'urls', 'annotations', 'data', 'platform', 'artifactType']);
/** Manifest annotations a plugin may not set: the thumbprints and the creation time are vouch's to write. */
const RESERVED_ANNOTATION = /^(io\.cncf\.notary\.|org\.opencontainers\.image\.created$)/;

const refused = (plugin: string, what: string, err?: unknown): VouchError =>
  new VouchError('PLUGIN', `plugin ${plugin}: ${what}${err ? `: ${(err as Error).message}` : ''}`, { hint: 'the signature was not pushed; the plugin or its key is not usable for Notation signatures', ...(err ? { cause: err } : {}) });

/** Signs `target` (the descriptor with its user metadata) with a plugin key. */
export async function signWithPlugin(key: PluginSigningKey, target: TargetArtifact, now: Date, expiryMs?: number): Promise<PluginSignature> {
  const { plugin, keyId, pluginConfig } = key;
  const config = Object.keys(pluginConfig).length > 0 ? { pluginConfig } : {};
  const md = await plugin.metadata(pluginConfig);
  if (md.capabilities.includes(CAPABILITY_SIGNATURE_GENERATOR)) {
    const spec = parseDescribeKey(plugin.name, keyId, await plugin.run('describe-key', { contractVersion: PLUGIN_CONTRACT_VERSION, keyId, ...config }));
    const input = jwsSigningInput({ target, alg: spec.alg, signingTime: now, ...(expiryMs !== undefined ? { expiry: new Date(now.getTime() + expiryMs) } : {}) });
    const answer = parseGenerateSignature(plugin.name, keyId, spec, await plugin.run('generate-signature', {
      contractVersion: PLUGIN_CONTRACT_VERSION, keyId, ...config,
      keySpec: keySpecName(spec), hashAlgorithm: hashAlgorithmName(spec), payload: input.signingInput.toString('base64'),
    }));
    const chain = await parseCertificates(answer.chain, `the certificate chain from plugin ${plugin.name}`).catch((err: unknown) => { throw refused(plugin.name, 'unusable certificate chain', err); });
    let leafSpec;
    try { leafSpec = keySpecOf((chain[0] as (typeof chain)[number]).node.publicKey); } catch (err) { throw refused(plugin.name, 'the signing certificate has an unsupported key', err); }
    if (leafSpec.alg !== spec.alg || leafSpec.size !== spec.size) {
      throw refused(plugin.name, `describe-key said key ${keyId} is ${keySpecName(spec)}, but the signing certificate's key is ${keySpecName(leafSpec)}`);
    }
    try { validateCodeSigningChain(chain, input.signingTime); } catch (err) { throw refused(plugin.name, 'the certificate chain does not meet the Notary Project certificate requirements', err); }
    const envelope = assembleJws(input, chain, answer.signature, `${SIGNING_AGENT} ${md.name}/${md.version}`);
    try { await verifyJwsEnvelope(envelope); } catch (err) { throw refused(plugin.name, 'the signature does not verify with the signing certificate\'s key', err); }
    return { envelope, thumbprints: chain.map(thumbprint), signingTime: input.signingTime, annotations: {} };
  }
  if (md.capabilities.includes(CAPABILITY_ENVELOPE_GENERATOR)) return generateEnvelope(key, target, expiryMs);
  throw new VouchError('PLUGIN', `plugin ${plugin.name} does not have signing capabilities (${CAPABILITY_SIGNATURE_GENERATOR} or ${CAPABILITY_ENVELOPE_GENERATOR})`, { hint: 'it may be a verification plugin only' });
}

async function generateEnvelope(key: PluginSigningKey, target: TargetArtifact, expiryMs?: number): Promise<PluginSignature> {
  const { plugin, keyId, pluginConfig } = key;
  // The payload as notation-go marshals it: descriptor members in Go's struct order.
  const payload = Buffer.from(JSON.stringify({ targetArtifact: { mediaType: target.mediaType, digest: target.digest, size: target.size, ...(target.annotations && Object.keys(target.annotations).length > 0 ? { annotations: target.annotations } : {}) } }));
  const answer = parseGenerateEnvelope(plugin.name, JWS_ENVELOPE_TYPE, MAX_ENVELOPE_BYTES, await plugin.run('generate-envelope', {
    contractVersion: PLUGIN_CONTRACT_VERSION, keyId, ...(Object.keys(pluginConfig).length > 0 ? { pluginConfig } : {}),
    ...(expiryMs !== undefined ? { expiryDurationInSeconds: Math.floor(expiryMs / 1000) } : {}),
    payload: payload.toString('base64'), payloadType: NOTATION_PAYLOAD_TYPE, signatureEnvelopeType: JWS_ENVELOPE_TYPE,
  }));
  let env: JwsEnvelope;
  try { env = await verifyJwsEnvelope(answer.envelope); } catch (err) {
    if (!isVouchError(err)) throw err;
    throw refused(plugin.name, 'generated signature failed verification', err);
  }
  const signed = env.target;
  const kept = Object.entries(target.annotations ?? {}).every(([k, v]) => signed.annotations?.[k] === v);
  if (signed.mediaType !== target.mediaType || signed.digest !== target.digest || signed.size !== target.size || !kept) {
    throw refused(plugin.name, `during signing descriptor subject has changed from ${target.mediaType} ${target.digest} (${target.size} bytes) to ${signed.mediaType} ${signed.digest} (${signed.size} bytes)${kept ? '' : ', or lost user metadata'}`);
  }
  const raw = JSON.parse(env.payloadBytes.toString()) as Record<string, unknown>;
  const added = [...Object.keys(raw).filter((k) => k !== 'targetArtifact'), ...(isJsonObject(raw.targetArtifact) ? Object.keys(raw.targetArtifact).filter((k) => !DESCRIPTOR_MEMBERS.has(k)) : [])];
  if (added.length > 0) throw refused(plugin.name, `during signing, following unknown attributes were added to subject descriptor: ${added.join(', ')}`);
  try { validateCodeSigningChain(env.chain, env.header.signingTime); } catch (err) { throw refused(plugin.name, 'the certificate chain does not meet the Notary Project certificate requirements at the signing time', err); }
  const reserved = Object.keys(answer.annotations).filter((k) => RESERVED_ANNOTATION.test(k));
  if (reserved.length > 0) throw refused(plugin.name, `annotations that only the signer may set: ${reserved.join(', ')}`);
  return { envelope: answer.envelope, thumbprints: env.chain.map(thumbprint), signingTime: env.header.signingTime, annotations: answer.annotations };
}
