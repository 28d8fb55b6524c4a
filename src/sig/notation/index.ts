// Notation (Notary Project) signatures: JWS envelopes, signature manifests, certificate rules,
// trust policies and the verifier.
export * from './constants.js';
export { keySpecOf, parseCertificates, thumbprint, validateCodeSigningChain, type Certificate, type KeySpec, type JwsAlgorithm } from './certs.js';
export { parseDistinguishedName, isSubsetDn, certificateSubjectDn, type DistinguishedName } from './dn.js';
export { signJws, jwsSigningInput, assembleJws, verifyJwsEnvelope, formatRfc3339, parseRfc3339, type TargetArtifact, type JwsEnvelope, type JwsSignOptions, type SignedJws, type JwsSigningInput, type ProtectedHeader } from './jws.js';
export { buildSignatureManifest, parseSignatureManifest, isNotationSignature, EMPTY_CONFIG, EMPTY_CONFIG_DIGEST, type SignatureManifest, type SignatureManifestForm, type BuiltSignatureManifest } from './manifest.js';
export { parseTrustPolicy, applicablePolicy, resolveLevel, LEVELS, CHECKS, type TrustPolicyDocument, type TrustPolicyStatement, type ResolvedPolicy, type CheckName, type CheckAction, type LevelName, type TrustStoreType } from './policy.js';
export { verifyNotationSignature, parseCertificateFile, type NotationVerdict, type CheckResult, type CheckStatus, type NotationVerifyOptions, type TrustStoreContents, type VerdictCheck, type VerificationPluginHost } from './verify.js';
export {
  PLUGIN_CONTRACT_VERSION, MAX_PLUGIN_OUTPUT_BYTES, PLUGIN_BINARY_PREFIX, CAPABILITY_SIGNATURE_GENERATOR, CAPABILITY_ENVELOPE_GENERATOR,
  CAPABILITY_TRUSTED_IDENTITY, CAPABILITY_REVOCATION_CHECK, parsePluginMetadata, parsePluginError, parseDescribeKey, parseGenerateSignature,
  parseGenerateEnvelope, parseVerifySignature, keySpecName, hashAlgorithmName, signingAlgorithmName, isSemver, compareSemver,
  type PluginMetadata, type PluginCommand, type VerifyCapability, type VerifySignatureRequest, type PluginCheckResult,
} from './plugin.js';
