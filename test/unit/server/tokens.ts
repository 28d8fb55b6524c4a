// Token-auth material for the server tests: certificates for the rootcertbundle and ES256 JWTs
// signed as docker/distribution's token server signs them.
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { KEY_USAGE } from '../../../src/core/index.js';
import { basicConstraintsExtension, createCertificate, keyUsageExtension } from '../../../src/keys/cert.js';
import { X509Certificate } from '../../support/x509-lib.js';
import { START } from './helpers.js';

export const SERVICE = 'notary-server';
export const ISSUER = 'test-issuer';
export const NOW_S = Math.floor(START.getTime() / 1000);

export interface Cert { pem: string; der: Buffer; key: KeyObject }

export async function makeCert(opts: { cn: string; ca: boolean; issuer?: Cert; notBefore?: Date; notAfter?: Date }): Promise<Cert> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const der = await createCertificate({
    serialNumber: randomBytes(8).toString('hex'),
    subject: [{ CN: [opts.cn] }],
    ...(opts.issuer ? { issuer: new X509Certificate(opts.issuer.der).subjectDer } : {}),
    notBefore: opts.notBefore ?? new Date(START.getTime() - 86400_000),
    notAfter: opts.notAfter ?? new Date(START.getTime() + 365 * 86400_000),
    publicKey,
    signingKey: opts.issuer?.key ?? privateKey,
    extensions: [basicConstraintsExtension(opts.ca, undefined, true), keyUsageExtension(opts.ca ? KEY_USAGE.keyCertSign | KEY_USAGE.digitalSignature : KEY_USAGE.digitalSignature, true)],
  });
  const cert = new X509Certificate(der);
  return { pem: cert.toString('pem'), der, key: privateKey };
}

export type Claims = Record<string, unknown>;

/** A token for `access` (default: pull and push on `gun`), valid at START; `claims` override any field (undefined removes it). */
export async function token(gun: string, signer: Cert, claims: Claims = {}, header: Record<string, unknown> | 'x5c' = 'x5c', chain: Cert[] = [signer]): Promise<string> {
  const body: Claims = {
    iss: ISSUER, aud: SERVICE, sub: 'alice', exp: NOW_S + 300, nbf: NOW_S - 10, iat: NOW_S, jti: randomBytes(8).toString('hex'),
    access: [{ type: 'repository', name: gun, actions: ['pull', 'push'] }],
    ...claims,
  };
  for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];
  const h = header === 'x5c' ? { alg: 'ES256', typ: 'JWT', x5c: chain.map((c) => c.der.toString('base64')) } : { alg: 'ES256', typ: 'JWT', ...header };
  return new SignJWT(body).setProtectedHeader(h as { alg: string }).sign(signer.key);
}

