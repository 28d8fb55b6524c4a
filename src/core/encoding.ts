// Byte encodings used on the wire: standard padded base64 (TUF hashes, keys, signatures),
// lowercase hex (key IDs, digests), UTF-8.
import { timingSafeEqual } from 'node:crypto';
import { VouchError } from './errors.js';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const HEX = /^(?:[0-9a-fA-F]{2})*$/;

export function toBase64(bytes: Uint8Array): string {
  return (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).toString('base64');
}

/** Is `text` strict standard base64 with padding (what fromBase64 accepts)? */
export function isBase64(text: string): boolean {
  return typeof text === 'string' && BASE64.test(text);
}

/** Strict standard base64 with padding; Node's decoder silently skips junk, so check first. */
export function fromBase64(text: string, what = 'base64 value'): Buffer {
  if (!isBase64(text)) {
    throw new VouchError('INVALID_ENCODING', `${what} is not valid padded base64`);
  }
  return Buffer.from(text, 'base64');
}

export function toHex(bytes: Uint8Array): string {
  return (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).toString('hex');
}

export function fromHex(text: string, what = 'hex value'): Buffer {
  if (typeof text !== 'string' || !HEX.test(text)) {
    throw new VouchError('INVALID_ENCODING', `${what} is not valid hex`);
  }
  return Buffer.from(text, 'hex');
}

export function utf8(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

export function fromUtf8(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

/** Constant-time equality for digests and MACs (lengths may differ: then simply false). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && timingSafeEqual(a, b);
}
