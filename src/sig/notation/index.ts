// Notation (Notary Project) signatures: JWS envelopes, signature manifests, certificate rules,
// trust policies and the verifier.
export * from './constants.js';
export { keySpecOf, parseCertificates, thumbprint, validateCodeSigningChain, type Certificate, type KeySpec, type JwsAlgorithm } from './certs.js';
export { parseDistinguishedName, isSubsetDn, certificateSubjectDn, goDistinguishedName, type DistinguishedName } from './dn.js';
export { signJws, verifyJwsEnvelope, readJwsEnvelope, formatRfc3339, parseRfc3339, type TargetArtifact, type JwsEnvelope, type JwsSignOptions, type SignedJws, type ProtectedHeader } from './jws.js';
export { buildSignatureManifest, parseSignatureManifest, isNotationSignature, OCI_ARTIFACT_MANIFEST, EMPTY_CONFIG, EMPTY_CONFIG_DIGEST, type SignatureManifest, type SignatureManifestForm, type BuiltSignatureManifest } from './manifest.js';
export { parseTrustPolicy, applicablePolicy, resolveLevel, LEVELS, CHECKS, type TrustPolicyDocument, type TrustPolicyStatement, type ResolvedPolicy, type CheckName, type CheckAction, type LevelName, type TrustStoreType } from './policy.js';
export { verifyNotationSignature, parseCertificateFile, type NotationVerdict, type CheckResult, type CheckStatus, type NotationVerifyOptions, type TrustStoreContents, type VerdictCheck } from './verify.js';
export { describeNotationEnvelope, type DescribedSignature, type DescribedCertificate, type DescribedTimestamp, type ShownTime } from './describe.js';
