// Distinguished names for trustedIdentities, as notation-go internal/pkix/pkix.go reads them:
// RFC 4514 text parsed as go-ldap v3 ParseDN does (dn.go: `,` `;` end an RDN, `+` joins one,
// `\` escapes, values trimmed of unescaped spaces, `#hex` values refused), one value per
// attribute type, `S` read as `ST`, and C, ST and O required. A certificate's subject is read the
// way Go prints it (pkix.Name.String()): only the attribute types Go names; others make it
// unusable for identity matching, as in notation.
import * as asn1js from 'asn1js';
import { NAME_ATTRIBUTE_OIDS, VouchError } from '../../core/index.js';
import type { Certificate } from './certs.js';

export type DistinguishedName = Readonly<Record<string, string>>;

const invalidDn = (name: string, why: string): VouchError =>
  new VouchError('INVALID_POLICY', `parsing distinguished name (DN) "${name}" failed with err: ${why}. A valid DN must contain 'C', 'ST' or 'S', and 'O' RDN attributes at a minimum, and follow RFC 4514 standard`);

/** go-ldap decodeString: trims unescaped spaces, resolves `\c` and `\XX` escapes. */
function decodeValue(raw: string, name: string): string {
  let s = raw.replace(/^ +/, '');
  const trimmed = s.replace(/ +$/, '');
  // An escaped trailing space survives the trim.
  s = trimmed.endsWith('\\') && s.length > trimmed.length ? `${trimmed} ` : trimmed;
  const bytes: number[] = [];
  const push = (t: string): void => { for (const b of Buffer.from(t, 'utf8')) bytes.push(b); };
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c !== '\\') { push(c); continue; }
    const next = s[i + 1];
    if (next === undefined) throw invalidDn(name, `got corrupted escaped character: '${s}'`);
    if (' "#+,;<=>\\'.includes(next)) { push(next); i++; continue; }
    const hex = s.slice(i + 1, i + 3);
    if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw invalidDn(name, `failed to decode escaped character: invalid byte: ${hex}`);
    bytes.push(parseInt(hex, 16));
    i += 2;
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * Parses the value of an `x509.subject:` trusted identity into attribute type → value
 * (notation-go pkix.ParseDistinguishedName).
 */
export function parseDistinguishedName(name: string): DistinguishedName {
  if (name.includes('=#')) {
    throw new VouchError('INVALID_POLICY', `unsupported distinguished name (DN) "${name}": notation does not support x509.subject identities containing "=#"`);
  }
  const rdns: { type: string; value: string }[][] = [];
  if (name.trim() !== '') {
    let rdn: { type: string; value: string }[] = [];
    let type: string | undefined;
    let start = 0;
    let escaping = false;
    const finish = (end: number, last: boolean): void => {
      if (type === undefined) throw invalidDn(name, last ? 'DN ended with incomplete type, value pair' : 'incomplete type, value pair');
      rdn.push({ type, value: decodeValue(name.slice(start, end), name) });
      type = undefined;
    };
    for (let i = 0; i < name.length; i++) {
      const c = name[i];
      if (escaping) { escaping = false; continue; }
      if (c === '\\') { escaping = true; continue; }
      if (c === '=' && type === undefined) {
        type = decodeValue(name.slice(start, i), name);
        if (type === '') throw invalidDn(name, 'incomplete type, value pair');
        start = i + 1;
      } else if (c === ',' || c === '+' || c === ';') {
        finish(i, false);
        start = i + 1;
        if (c !== '+') { rdns.push(rdn); rdn = []; }
      }
    }
    finish(name.length, true);
    rdns.push(rdn);
  }
  const out: Record<string, string> = {};
  for (const rdn of rdns) {
    if (rdn.length > 1) throw new VouchError('INVALID_POLICY', `distinguished name (DN) "${name}" has multi-valued RDN attributes, remove multi-valued RDN attributes as they are not supported`);
    for (const a of rdn) {
      const t = a.type === 'S' ? 'ST' : a.type;
      if (out[t]) throw new VouchError('INVALID_POLICY', `distinguished name (DN) "${name}" has duplicate RDN attribute for "${t}", DN can only have unique RDN attributes`);
      out[t] = a.value;
    }
  }
  for (const field of ['C', 'ST', 'O']) {
    if (!out[field]) throw new VouchError('INVALID_POLICY', `distinguished name (DN) "${name}" has no mandatory RDN attribute for "${field}", it must contain 'C', 'ST' or 'S', and 'O' RDN attributes at a minimum`);
  }
  return out;
}

/** Every attribute of `subset` is in `dn` with the same value (pkix.IsSubsetDN). */
export function isSubsetDn(subset: DistinguishedName, dn: DistinguishedName): boolean {
  return Object.entries(subset).every(([k, v]) => dn[k] === v);
}

/** Go's short names (crypto/x509/pkix attributeTypeNames); any other type prints as `OID=#hex`. */
const GO_ATTRIBUTE_NAMES: Record<string, string> = {
  '2.5.4.6': 'C', '2.5.4.10': 'O', '2.5.4.11': 'OU', '2.5.4.3': 'CN', '2.5.4.5': 'SERIALNUMBER',
  '2.5.4.7': 'L', '2.5.4.8': 'ST', '2.5.4.9': 'STREET', '2.5.4.17': 'POSTALCODE',
};
/**
 * The leaf's subject as notation matches it: Go short name → value. Like notation, a subject with
 * an attribute Go prints in hex (e.g. emailAddress), or with one type twice, cannot be matched.
 */
export function certificateSubjectDn(cert: Certificate): DistinguishedName {
  const out: Record<string, string> = {};
  for (const rdn of readName(cert.subjectDer)) {
    // by type within each RDN, as the values were grouped when @peculiar/x509 read them
    const byType = new Map<string, string[]>();
    for (const a of rdn) byType.set(a.oid, [...(byType.get(a.oid) ?? []), attributeText(a.value)]);
    for (const [oid, values] of byType) {
      const goName = GO_ATTRIBUTE_NAMES[oid];
      if (goName === undefined) {
        throw new VouchError('INVALID_CERTIFICATE', `error while parsing the certificate subject from the digital signature: attribute ${oid} of "${cert.subject}" is not supported in x509.subject identities (notation prints it as "=#")`);
      }
      for (const value of values) {
        if (out[goName] !== undefined) {
          throw new VouchError('INVALID_CERTIFICATE', `error while parsing the certificate subject from the digital signature: "${cert.subject}" has more than one ${goName}`);
        }
        out[goName] = value;
      }
    }
  }
  return out;
}

/** The attributes of a name (DER), RDN by RDN; a malformed name is INVALID_CERTIFICATE. */
function readName(der: Uint8Array): { oid: string; value: asn1js.AsnType }[][] {
  const bytes = Uint8Array.from(der);
  const parsed = asn1js.fromBER(bytes.buffer);
  if (parsed.offset === -1 || !(parsed.result instanceof asn1js.Sequence)) throw new VouchError('INVALID_CERTIFICATE', 'a certificate name is not a DER sequence');
  return parsed.result.valueBlock.value.map((rdn) => {
    if (!(rdn instanceof asn1js.Set)) throw new VouchError('INVALID_CERTIFICATE', 'a certificate name holds a relative name that is not a set');
    return rdn.valueBlock.value.map((atv) => {
      const [type, value] = atv instanceof asn1js.Sequence ? atv.valueBlock.value : [];
      if (!(type instanceof asn1js.ObjectIdentifier) || value === undefined) throw new VouchError('INVALID_CERTIFICATE', 'a certificate name holds a malformed attribute');
      return { oid: type.valueBlock.toString(), value };
    });
  });
}

/** The string types a DirectoryString or IA5String value may have (RFC 5280 appendix A.1); others print as `#` and their DER in hex. */
const TEXT_TYPES = [asn1js.PrintableString, asn1js.Utf8String, asn1js.TeletexString, asn1js.UniversalString, asn1js.BmpString, asn1js.IA5String];

const isText = (value: asn1js.AsnType): boolean => TEXT_TYPES.some((t) => value instanceof t);

function attributeText(value: asn1js.AsnType): string {
  if (isText(value)) return (value as asn1js.PrintableString).valueBlock.value;
  return `#${Buffer.from(value.toBER()).toString('hex')}`;
}

/** RFC 4514 §2.4 escaping as @peculiar/x509 printed names (including its quirk: only the first CR, LF or TAB becomes `\XX`). */
function escapeText(value: string): string {
  return value
    .replace(/([,+"\\<>;])/g, '\\$1')
    .replace(/^([ #])/, '\\$1')
    .replace(/([ ]$)/, '\\$1')
    .replace(/([\r\n\t])/, (c) => `\\${Buffer.from(c, 'utf8').toString('hex').toUpperCase()}`);
}

/**
 * A certificate name (DER) as vouch prints it in messages, in DER order: `C=US, ST=WA, O=…, CN=…`,
 * `+` joining the values of a multi-valued RDN, types by NAME_ATTRIBUTE_OIDS' short names or as
 * dotted OIDs, values RFC 4514-escaped, a value that is no string as `#` and its DER in hex.
 * (These are the strings @peculiar/x509's Name.toString() made, which messages and tests show.)
 */
export function nameText(der: Uint8Array): string {
  return readName(der)
    .map((rdn) => rdn.map((a) => {
      const text = attributeText(a.value);
      return `${ATTRIBUTE_SHORT_NAMES.get(a.oid) ?? a.oid}=${isText(a.value) ? escapeText(text) : text}`;
    }).join('+'))
    .join(', ');
}

const ATTRIBUTE_SHORT_NAMES = new Map(Object.entries(NAME_ATTRIBUTE_OIDS).map(([name, oid]) => [oid, name]));

/** The types Go parses into pkix.Name fields, in the order Name.ToRDNSequence writes them. */
const GO_FIELD_ORDER = ['2.5.4.6', '2.5.4.8', '2.5.4.7', '2.5.4.9', '2.5.4.17', '2.5.4.10', '2.5.4.11', '2.5.4.3', '2.5.4.5'];
/** Of those, the ones Go keeps only once (the last value wins). */
const GO_SINGLE_VALUED = new Set(['2.5.4.3', '2.5.4.5']);

/** The characters Go's asn1 writes as a PrintableString (else UTF8String): encoding/asn1 isPrintable. */
const GO_PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** `OID=#hex` of a type Go has no name for: the value re-encoded as Go's asn1.Marshal writes a string. */
function goHexValue(value: string | undefined, raw: ArrayBuffer): string {
  if (value === undefined) return Buffer.from(raw).toString('hex');
  const body = Buffer.from(value, 'utf8');
  return Buffer.concat([Buffer.from([GO_PRINTABLE.test(value) ? 0x13 : 0x0c]), derLength(body.byteLength), body]).toString('hex');
}

/** RDNSequence.String's escaping of one value. */
function goEscape(value: string): string {
  const bytes = Buffer.byteLength(value);
  let out = '';
  let k = 0;
  for (const c of value) {
    const escape = ',+"\\<>;'.includes(c) || (c === ' ' && (k === 0 || k === bytes - 1)) || (c === '#' && k === 0);
    out += escape ? `\\${c}` : c;
    k += Buffer.byteLength(c);
  }
  return out;
}

/**
 * A certificate name (DER) as Go's pkix.Name.String() prints a parsed one, which is what notation
 * shows as "issued to" / "issued by" and "Issuer:" / "Subject:": the known attributes grouped by
 * type (SERIALNUMBER, CN, OU, O, POSTALCODE, STREET, L, ST, C, in that order as printed), then the
 * others as `OID=#hex`, in reverse order of appearance.
 */
export function goDistinguishedName(der: Uint8Array | ArrayBuffer): string {
  const fields = new Map<string, string[]>();
  const others: { oid: string; hex: string }[] = [];
  for (const rdn of readName(der instanceof Uint8Array ? der : new Uint8Array(der))) {
    for (const { oid, value } of rdn) {
      const text = (value.valueBlock as { value?: unknown }).value;
      const str = typeof text === 'string' ? text : undefined;
      if (GO_FIELD_ORDER.includes(oid)) {
        if (str === undefined) continue;
        if (GO_SINGLE_VALUED.has(oid)) fields.set(oid, [str]);
        else fields.set(oid, [...(fields.get(oid) ?? []), str]);
      } else {
        others.push({ oid, hex: goHexValue(str, value.toBER()) });
      }
    }
  }
  const rdns: string[] = others.map((o) => `${o.oid}=#${o.hex}`);
  for (const oid of GO_FIELD_ORDER) {
    const values = fields.get(oid);
    if (values && values.length > 0) rdns.push(values.map((v) => `${GO_ATTRIBUTE_NAMES[oid] as string}=${goEscape(v)}`).join('+'));
  }
  return rdns.reverse().join(',');
}
