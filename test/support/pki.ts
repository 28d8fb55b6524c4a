// A throwaway PKI made with openssl: a CA, a server certificate for 127.0.0.1 and a client
// certificate (for mutual TLS), all as PEM files in `dir`.
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface Pki {
  dir: string;
  /** ca.crt, ca.key, server.crt, server.key, client.crt, client.key */
  read(file: string): Promise<Buffer>;
}

export async function makePki(dir: string): Promise<Pki> {
  const ossl = (args: string[]): void => { execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' }); };
  ossl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key']);
  ossl(['req', '-x509', '-new', '-key', 'ca.key', '-sha256', '-days', '30', '-out', 'ca.crt', '-subj', '/CN=TLS Test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  for (const [name, ext] of [['server', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n'], ['client', 'extendedKeyUsage=clientAuth\n']] as const) {
    ossl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.ec`]);
    ossl(['pkcs8', '-topk8', '-nocrypt', '-in', `${name}.ec`, '-out', `${name}.key`]);
    ossl(['req', '-new', '-key', `${name}.key`, '-subj', `/CN=${name}`, '-out', `${name}.csr`]);
    await writeFile(join(dir, `${name}.ext`), `basicConstraints=critical,CA:FALSE\n${ext}`);
    ossl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '30', '-sha256', '-extfile', `${name}.ext`, '-out', `${name}.crt`]);
  }
  return { dir, read: (f) => readFile(join(dir, f)) };
}
