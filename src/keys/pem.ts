// PEM blocks with RFC 1421 headers, read and written the way Go's encoding/pem does: notary keeps
// `role` and `gun` in headers, and legacy keys carry `Proc-Type`/`DEK-Info`.
import { VouchError } from '../core/index.js';

export interface PemBlock {
  type: string;
  headers: Record<string, string>;
  bytes: Buffer;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;
const BASE64_BODY = /^[A-Za-z0-9+/=]*$/;

/** Every PEM block in `text`, in order. Text between blocks is ignored (as Go does). */
export function decodePemBlocks(text: string | Uint8Array): PemBlock[] {
  const s = typeof text === 'string' ? text : Buffer.from(text).toString('utf8');
  const out: PemBlock[] = [];
  for (const m of s.matchAll(BLOCK)) out.push(parseBody(m[1] as string, m[2] as string));
  return out;
}

/** The first PEM block; INVALID_ENCODING when there is none. */
export function decodePem(text: string | Uint8Array, what = 'PEM data'): PemBlock {
  const [first] = decodePemBlocks(text);
  if (first === undefined) throw new VouchError('INVALID_ENCODING', `${what} holds no PEM block`);
  return first;
}

function parseBody(type: string, body: string): PemBlock {
  const lines = body.split(/\r?\n/);
  const headers: Record<string, string> = {};
  let i = 0;
  // Headers run until the first line without a colon; a blank line usually ends them.
  for (; i < lines.length; i++) {
    const line = lines[i] as string;
    const colon = line.indexOf(':');
    if (colon < 0) break;
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  const b64 = lines.slice(i).join('').replace(/\s+/g, '');
  if (!BASE64_BODY.test(b64) || b64.length % 4 !== 0) {
    throw new VouchError('INVALID_ENCODING', `PEM block ${type} has an invalid base64 body`);
  }
  return { type, headers, bytes: Buffer.from(b64, 'base64') };
}

/** Go's pem.Encode layout: Proc-Type first, other headers sorted, a blank line, 64-column base64. */
export function encodePem(block: { type: string; headers?: Record<string, string>; bytes: Uint8Array }): string {
  const headers = block.headers ?? {};
  const names = Object.keys(headers).filter((k) => k !== 'Proc-Type').sort();
  if ('Proc-Type' in headers) names.unshift('Proc-Type');
  let out = `-----BEGIN ${block.type}-----\n`;
  for (const name of names) {
    const value = headers[name] as string;
    if (/[\r\n]/.test(value) || /[\r\n:]/.test(name)) {
      throw new VouchError('INVALID_ARGUMENT', `PEM header ${JSON.stringify(name)} has an invalid name or value`);
    }
    out += `${name}: ${value}\n`;
  }
  if (names.length > 0) out += '\n';
  const b64 = Buffer.from(block.bytes).toString('base64');
  for (let i = 0; i < b64.length; i += 64) out += `${b64.slice(i, i + 64)}\n`;
  return `${out}-----END ${block.type}-----\n`;
}
