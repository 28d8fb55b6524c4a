// Throw-away PKIs made with openssl for the tests: a CA and leaf certificates signed by it, as PEM
// files (keys in unencrypted PKCS#8, which Go, Node and openssl all read).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface Pki {
  dir: string;
  /** ca.crt, ca.key, server.crt, server.key, client.crt, client.key */
  read(file: string): Promise<Buffer>;
}

const openssl = (dir: string, args: string[]): void => { execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' }); };

/** `dir/ca.key` and a self-signed `dir/ca.crt` (ECDSA P-256), unless they exist already. */
export async function makeCa(dir: string, subject: string, days: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  if (existsSync(join(dir, 'ca.crt'))) return;
  openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key']);
  openssl(dir, ['req', '-x509', '-new', '-key', 'ca.key', '-sha256', '-days', String(days), '-out', 'ca.crt', '-subj', `/CN=${subject}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
}

/** `dir/NAME.key` and `dir/NAME.crt` signed by the CA in `dir`, with the given X.509 v3 extension lines. */
export async function issueLeaf(dir: string, name: string, extensions: string[], days: number): Promise<void> {
  if (existsSync(join(dir, `${name}.crt`))) return;
  openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.ec`]);
  openssl(dir, ['pkcs8', '-topk8', '-nocrypt', '-in', `${name}.ec`, '-out', `${name}.key`]);
  openssl(dir, ['req', '-new', '-key', `${name}.key`, '-subj', `/CN=${name}`, '-out', `${name}.csr`]);
  await writeFile(join(dir, `${name}.ext`), ['basicConstraints=critical,CA:FALSE', ...extensions, ''].join('\n'));
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', String(days), '-sha256',
    '-extfile', `${name}.ext`, '-out', `${name}.crt`]);
  await Promise.all(['ec', 'csr', 'ext'].map((e) => rm(join(dir, `${name}.${e}`), { force: true })));
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate (for mutual TLS) in `dir`. */
export async function makePki(dir: string): Promise<Pki> {
  await makeCa(dir, 'TLS Test CA', 30);
  await issueLeaf(dir, 'server', ['subjectAltName=IP:127.0.0.1', 'extendedKeyUsage=serverAuth'], 30);
  await issueLeaf(dir, 'client', ['extendedKeyUsage=clientAuth'], 30);
  return { dir, read: (f) => readFile(join(dir, f)) };
}

/** Names of the peers' certificates (each `NAME.crt` + `NAME.key` in `certs/`). */
export const PEER_CERTS = ['notary-server', 'notary-signer', 'registry', 'token'] as const;

/**
 * The peers' certificates in `dir/certs`: a CA and one leaf per peer, valid for localhost, 127.0.0.1
 * and ::1, usable for server and client auth (notary-server is notary-signer's mutual-TLS client;
 * `token` signs the token server's JWTs). Idempotent. Returns the CA path.
 */
export async function makePeerCerts(dir: string): Promise<string> {
  const certs = join(dir, 'certs');
  await makeCa(certs, 'vouch test peers CA', 3650);
  for (const name of PEER_CERTS) {
    await issueLeaf(certs, name, ['keyUsage=critical,digitalSignature', 'extendedKeyUsage=serverAuth,clientAuth',
      `subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1,DNS:${name}`], 825);
  }
  return join(certs, 'ca.crt');
}
