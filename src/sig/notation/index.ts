// Notation (Notary Project) signatures: JWS and COSE envelopes, the plugin protocol, signature manifests, certificate rules,
// trust policies and the verifier.
export * from './constants.js';
export { hashOfAlgorithm, keySpecOf, parseCertificate, parseCertificates, thumbprint, validateCodeSigningChain, validateTimestampingChain, type Certificate, type KeySpec, type JwsAlgorithm, type HashName } from './certs.js';
export { parseDistinguishedName, isSubsetDn, certificateSubjectDn, goDistinguishedName, nameText, type DistinguishedName } from './dn.js';
export { signJws, verifyJwsEnvelope, readJwsEnvelope, formatRfc3339, parseRfc3339, checkTarget, signPrimitive, type TargetArtifact, type JwsEnvelope, type JwsSignOptions, type SignedJws, type ProtectedHeader } from './jws.js';
export { buildSignatureManifest, parseSignatureManifest, isNotationSignature, OCI_ARTIFACT_MANIFEST, EMPTY_CONFIG, EMPTY_CONFIG_DIGEST, type SignatureManifest, type SignatureManifestForm, type BuiltSignatureManifest } from './manifest.js';
export { parseTrustPolicy, applicablePolicy, parseBlobTrustPolicy, applicableBlobPolicy, type BlobTrustPolicyDocument, type BlobTrustPolicyStatement, resolveLevel, LEVELS, CHECKS, type TrustPolicyDocument, type TrustPolicyStatement, type ResolvedPolicy, type CheckName, type CheckAction, type LevelName, type TrustStoreType } from './policy.js';
export { verifyNotationSignature, inspectNotationSignature, verifyEnvelopeTimestamp, parseCertificateFile, type ChainCertificate, type SignatureFacts, type BlobSubject, type NotationVerdict, type CheckResult, type CheckStatus, type NotationVerifyOptions, type TrustStoreContents, type VerdictCheck, type VerificationPluginHost } from './verify.js';
export { signCose, verifyCoseEnvelope, readCoseEnvelope } from './cose.js';
export { SIGNATURE_FORMATS, parseSignatureFormat, signEnvelope, verifyEnvelope, readEnvelope } from './format.js';
export type { NotationEnvelope, EnvelopeSignOptions, EnvelopeSigningKey, PluginRawSigner, SignedEnvelope, SignatureFormat, Timestamper } from './envelope.js';
export {
  PLUGIN_CONTRACT_VERSION, MAX_PLUGIN_OUTPUT_BYTES, PLUGIN_BINARY_PREFIX, CAPABILITY_SIGNATURE_GENERATOR, CAPABILITY_ENVELOPE_GENERATOR,
  CAPABILITY_TRUSTED_IDENTITY, CAPABILITY_REVOCATION_CHECK, parsePluginMetadata, parsePluginError, pluginRefused, parseDescribeKey, parseGenerateSignature,
  parseGenerateEnvelope, parseVerifySignature, keySpecName, hashAlgorithmName, signingAlgorithmName, isSemver, compareSemver,
  type PluginMetadata, type PluginCommand, type VerifyCapability, type VerifySignatureRequest, type PluginCheckResult,
} from './plugin.js';
export { makeTimestampRequest, checkTimestampResponse, verifyTimestampToken, MAX_TIMESTAMP_RESPONSE_BYTES, TIMESTAMP_QUERY_TYPE, TIMESTAMP_REPLY_TYPE, type TimestampRequest, type VerifiedTimestamp } from './timestamp.js';
export { checkChainRevocation, crlDistributionPoints, namesRevocationInfo, parseCrl, MAX_CRL_BYTES, type CrlFetcher, type RevocationSources, type ChainRevocationResult, type CertRevocationResult, type ParsedCrl } from './revocation.js';
export { makeOcspRequest, ocspStatus, ocspUrls, MAX_OCSP_RESPONSE_BYTES, type OcspQuery, type OcspStatus } from './ocsp.js';
export { describeNotationEnvelope, type DescribedSignature, type DescribedCertificate, type DescribedTimestamp, type ShownTime } from './describe.js';
