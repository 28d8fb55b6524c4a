// Certificate names as vouch prints them in messages (dn.ts nameText) and reads them for
// x509.subject identities (certificateSubjectDn): the strings @peculiar/x509 made before vouch moved
// to pkijs (test/fixtures/x509/names.json, written by it; see NOTES.md there), for escapes,
// multi-valued RDNs, string types and values that are no strings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { certificateSubjectDn, goDistinguishedName, nameText, parseCertificates, type Certificate } from '../../../src/sig/index.js';
import { fixture } from '../../support/paths.js';
import { LEAF_SUBJECT, makeChain } from '../../support/x509.js';

interface RecordedName { der: string; text: string; json: Record<string, string[]>[] }
const names = JSON.parse(readFileSync(fixture('x509', 'names.json'), 'utf8')) as RecordedName[];

test('names print as @peculiar/x509 printed them: RFC 4514 escapes, `+` within an RDN, dotted OIDs, `#hex` for non-strings', () => {
  assert.equal(names.length, 6);
  for (const n of names) assert.equal(nameText(Buffer.from(n.der, 'hex')), n.text, n.text);
  // spelled out, so a reader sees what the recorded strings are
  assert.deepEqual(names.map((n) => n.text), [
    'C=US+O=Acme\\, Inc., CN=a\\+b+OU=x\\"y',
    'CN=\\#lead and trail\\ , O=\\ space\\\\back\\<lt\\>gt\\;semi',
    'CN=cr\\0Dlf\nand\ttab\t',
    'E=a@b.example, 1.2.3.4.5=other, 2.5.4.5=#12053132333435',
    'CN=bmp ü, O=univ 日本, L=tele',
    'CN=one+CN=two, C=US',
  ]);
});

test('Go prints the same names its own way (pkix.Name.String): known types in its order, one RDN each, unknown types as OID=#hex of Go\'s own encoding', () => {
  assert.deepEqual(names.map((n) => goDistinguishedName(Buffer.from(n.der, 'hex'))), [
    'CN=a\\+b,OU=x\\"y,O=Acme\\, Inc.,C=US',
    'CN=\\#lead and trail\\ ,O=\\ space\\\\back\\<lt\\>gt\\;semi',
    'CN=cr\rlf\nand\ttab\t',
    'SERIALNUMBER=12345,1.2.3.4.5=#13056f74686572,1.2.840.113549.1.9.1=#0c0b6140622e6578616d706c65',
    'CN=bmp ü,O=univ 日本,L=tele',
    'CN=two,C=US',
  ]);
});

test('a subject for identities: Go names only, one value each; an emailAddress or a repeated type cannot be matched', async () => {
  const chain = await makeChain('ec-256');
  const [leaf] = await parseCertificates([Buffer.from(chain.leaf.rawData)]);
  assert.equal(leaf?.subject, LEAF_SUBJECT);
  assert.deepEqual(certificateSubjectDn(leaf as Certificate), { C: 'US', ST: 'WA', L: 'Seattle', O: 'Vouch Test', CN: 'signer' });
  const withName = (der: string): Certificate => ({ ...(leaf as Certificate), subjectDer: Buffer.from(der, 'hex'), subject: nameText(Buffer.from(der, 'hex')) });
  assert.throws(() => certificateSubjectDn(withName((names[3] as RecordedName).der)), /attribute 1\.2\.840\.113549\.1\.9\.1 of "E=a@b\.example, 1\.2\.3\.4\.5=other, 2\.5\.4\.5=#12053132333435" is not supported/);
  assert.throws(() => certificateSubjectDn(withName((names[5] as RecordedName).der)), /"CN=one\+CN=two, C=US" has more than one CN/);
  assert.deepEqual(certificateSubjectDn(withName((names[0] as RecordedName).der)), { C: 'US', O: 'Acme, Inc.', CN: 'a+b', OU: 'x"y' });
  assert.deepEqual(certificateSubjectDn(withName((names[4] as RecordedName).der)), { CN: 'bmp ü', O: 'univ 日本', L: 'tele' });
});

test('a name that is not DER names what is wrong', () => {
  assert.throws(() => nameText(Buffer.from('3103020100', 'hex')), /not a DER sequence/);
  assert.throws(() => nameText(Buffer.from('30053003020100', 'hex')), /relative name that is not a set/);
  assert.throws(() => nameText(Buffer.from('300531033001ff', 'hex')), /malformed attribute|not a DER/);
});
