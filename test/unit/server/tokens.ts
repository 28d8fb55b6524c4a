// Token-auth material for the server tests: certificates for the rootcertbundle and ES256 JWTs
// signed as docker/distribution's token server signs them.
import { generateKeyPairSync, webcrypto, randomBytes, type KeyObject } from 'node:crypto';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { SignJWT } from 'jose';
import { START } from './helpers.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export const SERVICE = 'notary-server';
export const ISSUER = 'test-issuer';
export const NOW_S = Math.floor(START.getTime() / 1000);

export interface Cert { pem: string; der: Buffer; key: KeyObject }

export async function makeCert(opts: { cn: string; ca: boolean; issuer?: Cert; notBefore?: Date; notAfter?: Date }): Promise<Cert> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const alg = { name: 'ECDSA', namedCurve: 'P-256' };
  const subtle = webcrypto.subtle;
  const pub = await subtle.importKey('spki', publicKey.export({ format: 'der', type: 'spki' }), alg, true, ['verify']);
  const signKey = opts.issuer?.key ?? privateKey;
  const signing = await subtle.importKey('pkcs8', signKey.export({ format: 'der', type: 'pkcs8' }), alg, false, ['sign']);
  const exts = [new x509.BasicConstraintsExtension(opts.ca, undefined, true), new x509.KeyUsagesExtension(opts.ca ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.digitalSignature : x509.KeyUsageFlags.digitalSignature, true)];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomBytes(8).toString('hex'),
    subject: `CN=${opts.cn}`,
    issuer: opts.issuer ? new x509.X509Certificate(opts.issuer.der).subject : `CN=${opts.cn}`,
    notBefore: opts.notBefore ?? new Date(START.getTime() - 86400_000),
    notAfter: opts.notAfter ?? new Date(START.getTime() + 365 * 86400_000),
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    publicKey: pub as never,
    signingKey: signing as never,
    extensions: exts,
  });
  return { pem: cert.toString('pem'), der: Buffer.from(cert.rawData), key: privateKey };
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

