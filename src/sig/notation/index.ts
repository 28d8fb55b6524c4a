// Notation (Notary Project) signatures: JWS envelopes, signature manifests, certificate rules,
// trust policies and the verifier.
export * from './constants.js';
export { keySpecOf, parseCertificates, thumbprint, validateCodeSigningChain, validateTimestampingChain, type Certificate, type KeySpec, type JwsAlgorithm, type HashName } from './certs.js';
export { parseDistinguishedName, isSubsetDn, certificateSubjectDn, type DistinguishedName } from './dn.js';
export { signJws, verifyJwsEnvelope, formatRfc3339, parseRfc3339, type TargetArtifact, type JwsEnvelope, type JwsSignOptions, type SignedJws, type ProtectedHeader, type Timestamper } from './jws.js';
export { buildSignatureManifest, parseSignatureManifest, isNotationSignature, EMPTY_CONFIG, EMPTY_CONFIG_DIGEST, type SignatureManifest, type SignatureManifestForm, type BuiltSignatureManifest } from './manifest.js';
export { parseTrustPolicy, applicablePolicy, resolveLevel, LEVELS, CHECKS, type TrustPolicyDocument, type TrustPolicyStatement, type ResolvedPolicy, type CheckName, type CheckAction, type LevelName, type TrustStoreType } from './policy.js';
export { verifyNotationSignature, verifyEnvelopeTimestamp, parseCertificateFile, type NotationVerdict, type CheckResult, type CheckStatus, type NotationVerifyOptions, type TrustStoreContents, type VerdictCheck } from './verify.js';
export { makeTimestampRequest, checkTimestampResponse, verifyTimestampToken, MAX_TIMESTAMP_RESPONSE_BYTES, TIMESTAMP_QUERY_TYPE, TIMESTAMP_REPLY_TYPE, type TimestampRequest, type VerifiedTimestamp } from './timestamp.js';
export { checkChainRevocation, crlDistributionPoints, namesRevocationInfo, parseCrl, MAX_CRL_BYTES, type CrlFetcher, type RevocationSources, type ChainRevocationResult, type CertRevocationResult, type ParsedCrl } from './revocation.js';
export { makeOcspRequest, ocspStatus, ocspUrls, MAX_OCSP_RESPONSE_BYTES, type OcspQuery, type OcspStatus } from './ocsp.js';
