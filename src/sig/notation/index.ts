// Notation (Notary Project) signatures: JWS envelopes, signature manifests, certificate rules,
// trust policies and the verifier.
export * from './constants.js';
export { hashOfAlgorithm, keySpecOf, parseCertificates, thumbprint, validateCodeSigningChain, type Certificate, type KeySpec, type JwsAlgorithm, type HashName } from './certs.js';
export { parseDistinguishedName, isSubsetDn, certificateSubjectDn, type DistinguishedName } from './dn.js';
export { signJws, verifyJwsEnvelope, formatRfc3339, parseRfc3339, checkTarget, signPrimitive, type TargetArtifact, type JwsEnvelope, type JwsSignOptions, type SignedJws, type ProtectedHeader } from './jws.js';
export { buildSignatureManifest, parseSignatureManifest, isNotationSignature, EMPTY_CONFIG, EMPTY_CONFIG_DIGEST, type SignatureManifest, type SignatureManifestForm, type BuiltSignatureManifest } from './manifest.js';
export { parseTrustPolicy, applicablePolicy, parseBlobTrustPolicy, applicableBlobPolicy, type BlobTrustPolicyDocument, type BlobTrustPolicyStatement, resolveLevel, LEVELS, CHECKS, type TrustPolicyDocument, type TrustPolicyStatement, type ResolvedPolicy, type CheckName, type CheckAction, type LevelName, type TrustStoreType } from './policy.js';
export { verifyNotationSignature, inspectNotationSignature, parseCertificateFile, type ChainCertificate, type SignatureFacts, type BlobSubject, type NotationVerdict, type CheckResult, type CheckStatus, type NotationVerifyOptions, type TrustStoreContents, type VerdictCheck } from './verify.js';
export { signCose, verifyCoseEnvelope } from './cose.js';
export { SIGNATURE_FORMATS, parseSignatureFormat, signEnvelope, verifyEnvelope } from './format.js';
export type { NotationEnvelope, EnvelopeSignOptions, SignedEnvelope, SignatureFormat } from './envelope.js';
