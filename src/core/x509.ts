// X.509 vocabulary shared by the code that makes certificates (keys/cert.ts) and the code that
// reads them (sig/notation): extension OIDs, keyUsage bits, extended key usages and the short
// names of name attributes (RFC 5280 §4.1.2.4, §4.2.1.3, §4.2.1.9, §4.2.1.12).

export const OID_KEY_USAGE = '2.5.29.15';
export const OID_BASIC_CONSTRAINTS = '2.5.29.19';
export const OID_EXT_KEY_USAGE = '2.5.29.37';
export const OID_CRL_DISTRIBUTION_POINTS = '2.5.29.31';
export const OID_AUTHORITY_INFO_ACCESS = '1.3.6.1.5.5.7.1.1';

/** keyUsage bits as numbers: bit n of the BIT STRING (RFC 5280 §4.2.1.3) is 1 << n, as Go's x509.KeyUsage. */
export const KEY_USAGE = {
  digitalSignature: 1, nonRepudiation: 2, keyEncipherment: 4, dataEncipherment: 8, keyAgreement: 16,
  keyCertSign: 32, cRLSign: 64, encipherOnly: 128, decipherOnly: 256,
} as const;

/** extendedKeyUsage purposes (RFC 5280 §4.2.1.12). */
export const EXT_KEY_USAGE = {
  any: '2.5.29.37.0',
  serverAuth: '1.3.6.1.5.5.7.3.1', clientAuth: '1.3.6.1.5.5.7.3.2', codeSigning: '1.3.6.1.5.5.7.3.3',
  emailProtection: '1.3.6.1.5.5.7.3.4', timeStamping: '1.3.6.1.5.5.7.3.8', ocspSigning: '1.3.6.1.5.5.7.3.9',
} as const;

/**
 * Short names of name attributes, for the names vouch writes and the subjects it prints in
 * messages (`C=US, ST=WA, O=…, CN=…`); other types print as dotted OIDs. The set @peculiar/x509
 * used (its NameIdentifier), so messages read as before.
 */
export const NAME_ATTRIBUTE_OIDS: Readonly<Record<string, string>> = {
  CN: '2.5.4.3', L: '2.5.4.7', ST: '2.5.4.8', O: '2.5.4.10', OU: '2.5.4.11', C: '2.5.4.6',
  DC: '0.9.2342.19200300.100.1.25', E: '1.2.840.113549.1.9.1', G: '2.5.4.42', I: '2.5.4.43', SN: '2.5.4.4', T: '2.5.4.12',
};
