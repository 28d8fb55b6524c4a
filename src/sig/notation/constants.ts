// Names, media types and bounds of Notation signatures, as notation-go and notation-core-go
// v1.3 write and read them (notation-go internal/envelope/envelope.go, registry/repository.go;
// notation-core-go signature/jws/types.go).

export const NOTATION_ARTIFACT_TYPE = 'application/vnd.cncf.notary.signature';
export const NOTATION_PAYLOAD_TYPE = 'application/vnd.cncf.notary.payload.v1+json';
export const JWS_ENVELOPE_TYPE = 'application/jose+json';
export const COSE_ENVELOPE_TYPE = 'application/cose';
export const THUMBPRINT_ANNOTATION = 'io.cncf.notary.x509chain.thumbprint#S256';
export const CREATED_ANNOTATION = 'org.opencontainers.image.created';

export const SIGNING_SCHEME_X509 = 'notary.x509';
export const SIGNING_SCHEME_AUTHORITY = 'notary.x509.signingAuthority';

export const HEADER_SIGNING_SCHEME = 'io.cncf.notary.signingScheme';
export const HEADER_SIGNING_TIME = 'io.cncf.notary.signingTime';
export const HEADER_AUTHENTIC_SIGNING_TIME = 'io.cncf.notary.authenticSigningTime';
export const HEADER_EXPIRY = 'io.cncf.notary.expiry';
export const HEADER_SIGNING_AGENT = 'io.cncf.notary.signingAgent';
export const HEADER_TIMESTAMP = 'io.cncf.notary.timestampSignature';
export const HEADER_VERIFICATION_PLUGIN = 'io.cncf.notary.verificationPlugin';
export const HEADER_VERIFICATION_PLUGIN_MIN_VERSION = 'io.cncf.notary.verificationPluginMinVersion';

/** notation-go registry/repository.go: maxBlobSizeLimit and maxManifestSizeLimit. */
export const MAX_ENVELOPE_BYTES = 32 * 1024 * 1024;
export const MAX_SIGNATURE_MANIFEST_BYTES = 4 * 1024 * 1024;
/** Longer chains than this are refused before any certificate is parsed (notation has no limit; real chains have 2–4). */
export const MAX_CHAIN_LENGTH = 10;
/** notation verify --max-signatures default (cmd/notation/verify.go). */
export const DEFAULT_MAX_SIGNATURES = 100;

export const SIGNING_AGENT = 'vouch';
