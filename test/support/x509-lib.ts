// The certificate vocabulary the tests hand to makeCert's `extensions` callback as `lib`, and the
// certificate object makeCert returns. The names are those of @peculiar/x509, which the tests
// used before vouch moved to pkijs, so the tests read as they did; the encoding is
// src/keys/cert.ts's (pkijs and asn1js).
import * as pkijs from 'pkijs';
import { EXT_KEY_USAGE, KEY_USAGE, OID_AUTHORITY_INFO_ACCESS, OID_CRL_DISTRIBUTION_POINTS } from '../../src/core/index.js';
import { basicConstraintsExtension, extendedKeyUsageExtension, keyUsageExtension, type CertificateExtension } from '../../src/keys/cert.js';
import { decodePem, encodePem } from '../../src/keys/pem.js';
import { nameText } from '../../src/sig/index.js';

export type Extension = CertificateExtension;
export const KeyUsageFlags = KEY_USAGE;
export const ExtendedKeyUsage = EXT_KEY_USAGE;

abstract class Built implements CertificateExtension {
  readonly oid: string;
  readonly critical: boolean;
  readonly value: Uint8Array;
  protected constructor(e: CertificateExtension) {
    this.oid = e.oid;
    this.critical = e.critical;
    this.value = e.value;
  }
}

export class KeyUsagesExtension extends Built {
  constructor(usages: number, critical = false) { super(keyUsageExtension(usages, critical)); }
}

export class ExtendedKeyUsageExtension extends Built {
  constructor(purposes: readonly string[], critical = false) { super(extendedKeyUsageExtension(purposes, critical)); }
}

export class BasicConstraintsExtension extends Built {
  constructor(ca: boolean, pathLength?: number, critical = false) { super(basicConstraintsExtension(ca, pathLength, critical)); }
}

const uri = (value: string): pkijs.GeneralName => new pkijs.GeneralName({ type: 6, value });

/** One distribution point (a full name, one URI) per URL (RFC 5280 §4.2.1.13). */
export class CRLDistributionPointsExtension extends Built {
  constructor(urls: readonly string[], critical = false) {
    const points = new pkijs.CRLDistributionPoints({ distributionPoints: urls.map((u) => new pkijs.DistributionPoint({ distributionPoint: [uri(u)] })) });
    super({ oid: OID_CRL_DISTRIBUTION_POINTS, critical, value: new Uint8Array(points.toSchema().toBER()) });
  }
}

/** OCSP responders and CA issuers URLs (RFC 5280 §4.2.2.1). */
export class AuthorityInfoAccessExtension extends Built {
  constructor(o: { ocsp?: string | string[]; caIssuers?: string | string[] }, critical = false) {
    const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : typeof v === 'string' ? [v] : v);
    const access = new pkijs.InfoAccess({
      accessDescriptions: [
        ...list(o.ocsp).map((u) => new pkijs.AccessDescription({ accessMethod: '1.3.6.1.5.5.7.48.1', accessLocation: uri(u) })),
        ...list(o.caIssuers).map((u) => new pkijs.AccessDescription({ accessMethod: '1.3.6.1.5.5.7.48.2', accessLocation: uri(u) })),
      ],
    });
    super({ oid: OID_AUTHORITY_INFO_ACCESS, critical, value: new Uint8Array(access.toSchema().toBER()) });
  }
}

/** A certificate made or read by the tests: its DER and the fields the tests look at. */
export class X509Certificate {
  readonly rawData: ArrayBuffer;
  readonly der: Buffer;
  /** as messages print it: `C=US, ST=WA, O=…, CN=…` */
  readonly subject: string;
  readonly subjectDer: Buffer;
  /** hex of the serial's INTEGER octets, without the 0x00 that keeps it positive */
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;

  constructor(data: Uint8Array | string) {
    this.der = typeof data === 'string' ? decodePem(data, 'certificate').bytes : Buffer.from(data);
    this.rawData = Uint8Array.from(this.der).buffer;
    const cert = pkijs.Certificate.fromBER(this.der);
    this.subjectDer = Buffer.from(cert.subject.valueBeforeDecode);
    this.subject = nameText(this.subjectDer);
    const serial = Buffer.from(cert.serialNumber.valueBlock.valueHexView);
    this.serialNumber = (serial.length > 1 && serial[0] === 0 && (serial[1] as number) > 0x7f ? serial.subarray(1) : serial).toString('hex');
    this.notBefore = cert.notBefore.value;
    this.notAfter = cert.notAfter.value;
  }

  /** PEM (64-column base64, no trailing newline) */
  toString(format: 'pem'): string {
    if (format !== 'pem') throw new Error(`unsupported format ${String(format)}`);
    return encodePem({ type: 'CERTIFICATE', bytes: this.der }).trimEnd();
  }
}
