// Small typed accessors over asn1js, so that the PKCS#8 code reads as structure, and every
// malformed input becomes a VouchError instead of a TypeError.
import * as asn1js from 'asn1js';
import { VouchError } from '../core/index.js';

export type Node = asn1js.AsnType;

/** Malformed DER in a key: INVALID_KEY. */
function derError(message: string): VouchError {
  return new VouchError('INVALID_KEY', message);
}

/** Parses exactly one DER/BER value; trailing bytes are allowed only when `allowTrailing` (Go ignores them). */
export function parseDer(bytes: Uint8Array, what: string, allowTrailing = false): Node {
  return parseDerPrefix(bytes, what, allowTrailing).node;
}

/** The first value and the number of bytes it spans. */
export function parseDerPrefix(bytes: Uint8Array, what: string, allowTrailing = true): { node: Node; length: number } {
  const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const res = asn1js.fromBER(view);
  if (res.offset === -1 || res.result.error !== '') throw derError(`${what}: not valid ASN.1 DER`);
  if (!allowTrailing && res.offset !== view.byteLength) throw derError(`${what}: trailing bytes after the ASN.1 value`);
  return { node: res.result, length: res.offset };
}

export function seq(n: Node | undefined, what: string, min = 0): Node[] {
  if (!(n instanceof asn1js.Sequence)) throw derError(`${what}: expected a SEQUENCE`);
  const items = n.valueBlock.value as Node[];
  if (items.length < min) throw derError(`${what}: expected at least ${min} elements`);
  return items;
}

export function oid(n: Node | undefined, what: string): string {
  if (!(n instanceof asn1js.ObjectIdentifier)) throw derError(`${what}: expected an OBJECT IDENTIFIER`);
  return n.valueBlock.toString();
}

export function int(n: Node | undefined, what: string): number {
  if (!(n instanceof asn1js.Integer)) throw derError(`${what}: expected an INTEGER`);
  const v = n.toBigInt();
  if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) throw derError(`${what}: integer out of range`);
  return Number(v);
}

export function octets(n: Node | undefined, what: string): Buffer {
  if (!(n instanceof asn1js.OctetString)) throw derError(`${what}: expected an OCTET STRING`);
  const v = n.valueBlock.valueHexView;
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

export function isInt(n: Node | undefined): boolean {
  return n instanceof asn1js.Integer;
}

export function isNull(n: Node | undefined): boolean {
  return n instanceof asn1js.Null;
}

// Builders (asn1js does the encoding; these only shorten the call sites).
export const mkSeq = (...value: Node[]): asn1js.Sequence => new asn1js.Sequence({ value });
export const mkOid = (value: string): asn1js.ObjectIdentifier => new asn1js.ObjectIdentifier({ value });
export const mkInt = (value: number): asn1js.Integer => new asn1js.Integer({ value });
export const mkOctets = (bytes: Uint8Array): asn1js.OctetString => new asn1js.OctetString({ valueHex: new Uint8Array(bytes) });
export const toDer = (n: Node): Buffer => Buffer.from(n.toBER(false));
