// The DER reader in tuf/x509.ts against asn1js (which it replaced) on certificates openssl makes:
// UTCTime and GeneralizedTime validity, string types of the CN, several or no CNs, EC, RSA and
// RSA-PSS signatures, SHA-1.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import { certificateDetails } from '../../../src/tuf/x509.js';
import { removeTempDirs, tempDir } from '../client/helpers.js';

after(removeTempDirs);

const HASHES: Record<string, string> = {
  '1.2.840.10045.4.3.2': 'SHA-256', '1.2.840.10045.4.3.3': 'SHA-384', '1.2.840.113549.1.1.11': 'SHA-256', '1.2.840.113549.1.1.5': 'SHA-1', '1.2.840.113549.1.1.13': 'SHA-512',
};

/** What the asn1js-based code read: dates, the single CN, the digest (PSS: from its parameters). */
function reference(cert: X509Certificate): { notBefore: number; notAfter: number; cn: string | undefined; hash: string | undefined } {
  const parsed = asn1js.fromBER(new Uint8Array(cert.raw));
  const items = (n: unknown): asn1js.AsnType[] => (n as asn1js.Sequence).valueBlock.value;
  const [tbs, sigAlg] = items(parsed.result);
  const fields = items(tbs);
  const i = fields[0]?.idBlock.tagClass === 3 ? 1 : 0;
  const [nb, na] = items(fields[i + 3]) as [asn1js.UTCTime, asn1js.UTCTime];
  const cns: string[] = [];
  for (const rdn of items(fields[i + 4])) {
    for (const atv of items(rdn)) {
      const [type, value] = items(atv);
      if ((type as asn1js.ObjectIdentifier).valueBlock.toString() !== '2.5.4.3') continue;
      const v = (value as { valueBlock?: { value?: unknown } }).valueBlock?.value;
      if (typeof v === 'string') cns.push(v);
    }
  }
  const oid = (items(sigAlg)[0] as asn1js.ObjectIdentifier).valueBlock.toString();
  let hash = HASHES[oid];
  if (oid === '1.2.840.113549.1.1.10') {
    const params = items(items(sigAlg)[1]);
    const tagged = params.find((p) => p.idBlock.tagClass === 3 && p.idBlock.tagNumber === 0) as asn1js.Constructed;
    hash = (items(tagged.valueBlock.value[0])[0] as asn1js.ObjectIdentifier).valueBlock.toString() === '2.16.840.1.101.3.4.2.1' ? 'SHA-256' : 'other';
  }
  return { notBefore: nb.toDate().getTime(), notAfter: na.toDate().getTime(), cn: cns.length === 1 ? cns[0] : undefined, hash };
}

test('certificate details read by the DER reader are those asn1js read', async () => {
  const dir = await tempDir();
  const ossl = (args: string[]): void => { execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' }); };
  ossl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ec.key']);
  ossl(['genrsa', '-out', 'rsa.key', '2048']);
  const cases: [string, string[]][] = [
    ['utc', ['-key', 'ec.key', '-sha256', '-days', '30', '-subj', '/CN=registry.example.com\\/team\\/app']],
    ['generalized', ['-key', 'ec.key', '-sha384', '-days', '20000', '-subj', '/O=x/CN=docker.io\\/library\\/*']],
    ['utf8', ['-key', 'rsa.key', '-sha512', '-days', '10', '-utf8', '-subj', '/CN=dépôt\\/app', '-utf8']],
    ['printable', ['-key', 'rsa.key', '-sha256', '-days', '10', '-subj', '/CN=plain', '-multivalue-rdn']],
    ['two cns', ['-key', 'ec.key', '-sha256', '-days', '10', '-subj', '/CN=a/CN=b']],
    ['no cn', ['-key', 'ec.key', '-sha256', '-days', '10', '-subj', '/O=only']],
    ['sha1', ['-key', 'rsa.key', '-sha1', '-days', '10', '-subj', '/CN=weak']],
    ['pss', ['-key', 'rsa.key', '-sha256', '-sigopt', 'rsa_padding_mode:pss', '-days', '10', '-subj', '/CN=pss']],
  ];
  for (const [name, args] of cases) {
    ossl(['req', '-x509', '-new', ...args, '-out', `${name}.crt`]);
    const cert = new X509Certificate(readFileSync(join(dir, `${name}.crt`)));
    const got = certificateDetails(cert);
    const want = reference(cert);
    assert.deepEqual({ notBefore: got.notBefore.getTime(), notAfter: got.notAfter.getTime(), cn: got.cn, hash: got.hash }, want, name);
    assert.ok(Math.abs(got.notAfter.getTime() - new Date(cert.validTo).getTime()) < 1000, `${name}: ${cert.validTo}`);
  }
});
