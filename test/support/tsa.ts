// A local RFC 3161 timestamping authority for the tests, usable by vouch and by the real notation:
// a small node:http server on 127.0.0.1 that answers each application/timestamp-query POST with
// `openssl ts -reply` (the TSA's certificates made with openssl: a root CA and a TSA leaf with
// a critical timeStamping EKU, as notation requires). `mode` makes it answer badly, for the
// signing side's checks.
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const openssl = async (dir: string, args: string[]): Promise<Buffer> => (await run('openssl', args, { cwd: dir, encoding: 'buffer', maxBuffer: 4 * 1024 * 1024 })).stdout;

/** How the TSA answers: properly, or in one of the ways a signer must refuse. */
export type TsaMode =
  | 'ok'
  | 'rejection' // a granted-less status (openssl's answer to a request for an unknown policy)
  | 'wrong-content-type'
  | 'http-500'
  | 'oversize' // a body over tspclient-go's 1 MiB
  | 'other-imprint' // a valid token for other content
  | 'untrusted'; // signed by a TSA whose root is not the one the signer was given

export interface TsaOptions {
  /** extension lines for the TSA leaf, e.g. a CRL distribution point */
  leafExtensions?: string[];
  /** the TSA leaf's EKU line (default critical timeStamping) */
  eku?: string;
}

export interface Tsa {
  url: string;
  /** the TSA's root certificate (PEM), for --timestamp-root-cert and the `tsa` trust store */
  rootCert: string;
  /** the TSA's leaf certificate (PEM) */
  leafCert: string;
  dir: string;
  mode: TsaMode;
  /** requests answered */
  requests: number;
  close(): Promise<void>;
}

async function makeTsaPki(dir: string, name: string, opts: TsaOptions): Promise<void> {
  await mkdir(dir, { recursive: true });
  await openssl(dir, ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', `${name}-root.key`]);
  await openssl(dir, ['req', '-x509', '-new', '-key', `${name}-root.key`, '-sha256', '-days', '30', '-subj', `/C=US/O=Vouch Test/CN=${name} TSA Root`, '-out', `${name}-root.crt`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  await openssl(dir, ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', `${name}.key`]);
  await openssl(dir, ['req', '-new', '-key', `${name}.key`, '-subj', `/C=US/O=Vouch Test/CN=${name} TSA`, '-out', `${name}.csr`]);
  await writeFile(join(dir, `${name}.ext`), ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature', opts.eku ?? 'extendedKeyUsage=critical,timeStamping', ...(opts.leafExtensions ?? []), ''].join('\n'));
  await openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${name}-root.crt`, '-CAkey', `${name}-root.key`, '-CAcreateserial', '-days', '20', '-sha256', '-extfile', `${name}.ext`, '-out', `${name}.crt`]);
  await writeFile(join(dir, `${name}.cnf`), [
    '[ tsa ]', 'default_tsa = tsa_config', '[ tsa_config ]', `serial = ${join(dir, `${name}.serial`)}`, 'crypto_device = builtin',
    'signer_digest = sha256', 'default_policy = 1.2.3.4.1', 'digests = sha256, sha384, sha512',
    'accuracy = secs:1', 'ordering = no', 'tsa_name = yes', 'ess_cert_id_chain = no', 'ess_cert_id_alg = sha256', '',
  ].join('\n'));
  await writeFile(join(dir, `${name}.serial`), '01\n');
}

/** Starts a TSA in `dir` (its PKI made there on first use). */
export async function startTsa(dir: string, opts: TsaOptions = {}): Promise<Tsa> {
  await makeTsaPki(dir, 'tsa', opts);
  let untrustedMade = false;
  let seq = 0;
  const reply = async (query: Buffer, signer: string): Promise<Buffer> => {
    const n = ++seq;
    const q = join(dir, `q${n}.tsq`);
    const out = join(dir, `r${n}.tsr`);
    await writeFile(q, query);
    try {
      await openssl(dir, ['ts', '-reply', '-config', join(dir, 'tsa.cnf'), '-queryfile', q, '-signer', `${signer}.crt`, '-inkey', `${signer}.key`, '-out', out]);
      return await readFile(out);
    } finally {
      await rm(q, { force: true });
      await rm(out, { force: true });
    }
  };
  const tsa: Tsa = {
    url: '', rootCert: join(dir, 'tsa-root.crt'), leafCert: join(dir, 'tsa.crt'), dir, mode: 'ok', requests: 0,
    close: () => new Promise((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 64 * 1024) { res.writeHead(413).end(); req.destroy(); return; }
      chunks.push(c);
    });
    req.on('end', () => {
      void (async () => {
        tsa.requests++;
        try {
          if (req.method !== 'POST' || req.headers['content-type'] !== 'application/timestamp-query') { res.writeHead(400).end(); return; }
          const mode = tsa.mode;
          if (mode === 'http-500') { res.writeHead(500).end('no'); return; }
          let query: Buffer = Buffer.concat(chunks);
          if (mode === 'other-imprint') {
            const other = join(dir, 'other.txt');
            await writeFile(other, `other content ${Date.now()}`);
            query = await openssl(dir, ['ts', '-query', '-data', other, '-sha256', '-cert']);
          }
          if (mode === 'rejection') {
            const other = join(dir, 'other.txt');
            await writeFile(other, 'rejected');
            query = await openssl(dir, ['ts', '-query', '-data', other, '-sha256', '-cert', '-tspolicy', '1.9.9.9']);
          }
          let signer = 'tsa';
          if (mode === 'untrusted') {
            if (!untrustedMade) { await makeTsaPki(join(dir, 'untrusted'), 'tsa', {}); untrustedMade = true; }
            signer = join(dir, 'untrusted', 'tsa');
          }
          const body = mode === 'oversize' ? Buffer.alloc(1024 * 1024 + 10, 0x30) : await reply(query, signer);
          res.writeHead(200, { 'content-type': mode === 'wrong-content-type' ? 'application/octet-stream' : 'application/timestamp-reply', 'content-length': body.length });
          res.end(body);
        } catch (err) {
          res.writeHead(500).end(String(err));
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  tsa.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tsa`;
  return tsa;
}
