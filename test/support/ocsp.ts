// An OCSP responder for the tests, usable by vouch and the real notation: a node:http server on
// 127.0.0.1 answering RFC 6960 requests (GET with the base64 request in the path, or POST) for
// the serials it is told about, signed with the issuer's own key (pkijs). Serials it does not
// know are answered `unknown`; `down` answers 503.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

export interface OcspResponder {
  /** http://127.0.0.1:PORT */
  url: string;
  /** serial (hex, as X509Certificate.serialNumber of x509-lib.ts gives it) → revoked? */
  status: Map<string, boolean>;
  /** the issuer whose certificates it answers for (set before the first request) */
  issuer?: { der: Uint8Array; key: webcrypto.CryptoKey };
  down: boolean;
  requests: number;
  close(): Promise<void>;
}

const DAY = 86_400_000;
const norm = (hex: string): string => BigInt(`0x${hex}`).toString(16);

async function answer(r: OcspResponder, body: Uint8Array): Promise<Buffer> {
  if (!r.issuer) throw new Error('the OCSP responder has no issuer');
  const req = pkijs.OCSPRequest.fromBER(body);
  const now = new Date();
  const responses = req.tbsRequest.requestList.map((one) => {
    const revoked = r.status.get(one.reqCert.serialNumber.toBigInt().toString(16));
    const certStatus = revoked === undefined
      ? new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 2 } }) // unknown: [2] IMPLICIT NULL
      : revoked
        ? new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 1 }, value: [new asn1js.GeneralizedTime({ valueDate: new Date(now.getTime() - 3600_000) })] })
        : new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 } }); // good: [0] IMPLICIT NULL
    return new pkijs.SingleResponse({ certID: one.reqCert, certStatus, thisUpdate: now, nextUpdate: new Date(now.getTime() + DAY) });
  });
  const issuer = pkijs.Certificate.fromBER(r.issuer.der);
  const basic = new pkijs.BasicOCSPResponse({ tbsResponseData: new pkijs.ResponseData({ responderID: issuer.subject, producedAt: now, responses }) });
  await basic.sign(r.issuer.key, 'SHA-256');
  const resp = new pkijs.OCSPResponse({
    responseStatus: new asn1js.Enumerated({ value: 0 }),
    responseBytes: new pkijs.ResponseBytes({ responseType: '1.3.6.1.5.5.7.48.1.1', response: new asn1js.OctetString({ valueHex: basic.toSchema().toBER(false) }) }),
  });
  return Buffer.from(resp.toSchema().toBER(false));
}

export async function startOcspResponder(): Promise<OcspResponder> {
  const r: OcspResponder = {
    url: '', status: new Map(), down: false, requests: 0,
    close: () => new Promise((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => { size += c.length; if (size <= 64 * 1024) chunks.push(c); });
    req.on('end', () => {
      void (async () => {
        r.requests++;
        if (r.down) { res.writeHead(503).end(); return; }
        try {
          const body = req.method === 'GET'
            ? Buffer.from(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname.replace(/^\/+/, '')), 'base64')
            : Buffer.concat(chunks);
          const out = await answer(r, body);
          res.writeHead(200, { 'content-type': 'application/ocsp-response', 'content-length': out.length }).end(out);
        } catch (err) {
          res.writeHead(400).end(String(err));
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return r;
}

/** Sets the status the responder gives a certificate serial (hex). */
export function setOcspStatus(r: OcspResponder, serial: string, revoked: boolean): void {
  r.status.set(norm(serial), revoked);
}
