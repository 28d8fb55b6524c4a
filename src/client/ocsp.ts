// Sending OCSP requests for the revocation check, as notation-core-go
// revocation/internal/ocsp/ocsp.go executeOCSPCheck does: GET with the base64 request in the path
// when that stays under 255 characters, else POST application/ocsp-request; status 200; at most
// 20 KiB back; through vouch's HTTP client (its deadlines). The answer is checked by sig.
import { VouchError } from '../core/index.js';
import type { HttpTransport } from '../http/index.js';
import { MAX_OCSP_RESPONSE_BYTES, type OcspQuery } from '../sig/index.js';

export function ocspQuery(transport: HttpTransport): OcspQuery {
  return async (url, request) => {
    const encoded = encodeURIComponent(Buffer.from(request).toString('base64'));
    const res = encoded.length < 255
      ? await transport.request('GET', `${url.replace(/\/+$/, '')}/${encoded}`, { maxBytes: MAX_OCSP_RESPONSE_BYTES - 1 })
      : await transport.request('POST', url, { headers: { 'content-type': 'application/ocsp-request' }, body: Buffer.from(request), maxBytes: MAX_OCSP_RESPONSE_BYTES - 1 });
    if (res.status !== 200) throw new VouchError('NETWORK', `failed to retrieve OCSP: response had status code ${res.status}`);
    return res.body;
  };
}
