// vouch notation cert add / list (ls) / show / delete / generate-test: notation's trust stores
// and test keys, as notation v1.3 manages them (notation cmd/notation/cert/*.go,
// cmd/notation/internal/truststore/truststore.go), its messages and prompts; writes in
// notation's layout (keys/notation-config.ts).
import { X509Certificate, generateKeyPairSync, randomBytes } from 'node:crypto';
import { basename, resolve } from 'node:path';
import { EXT_KEY_USAGE, KEY_USAGE, VouchError, isVouchError } from '../../core/index.js';
import { createSelfSignedCertificate, extendedKeyUsageExtension, keyUsageExtension } from '../../keys/cert.js';
import { notationConfigDir } from '../../keys/notation.js';
import {
  addKeySuite, addTrustStoreCertificate, checkStoreName, checkStoreType, isValidNotationName, listTrustStoreCertificates, loadSigningKeys,
  localKeyPaths, readTrustStoreCertificate, removeTrustStoreEntry, saveSigningKeys, trustStoreEntry, writeLocalKeyPair,
} from '../../keys/notation-config.js';
import { goDistinguishedName, parseCertificate } from '../../sig/index.js';
import { tabwrite } from '../../client/textutil.js';
import type { Context } from '../context.js';

export interface StoreOptions { type?: string; store?: string; debug?: boolean; verbose?: boolean }
export interface CertDeleteOptions extends StoreOptions { all?: boolean; yes?: boolean }
export interface GenerateTestOptions { bits: string; default?: boolean }

/** notation cmdutil.AskForConfirmation: `PROMPT [y/N] `, yes on `y`/`yes`, else "Operation cancelled.". */
export async function askForConfirmation(ctx: Context, prompt: string, confirmed: boolean | undefined): Promise<boolean> {
  if (confirmed) return true;
  ctx.io.out(`${prompt} [y/N] `);
  const answer = ctx.io.readLine ? (await ctx.io.readLine()).trim().toLowerCase() : '';
  if (answer === 'y' || answer === 'yes') return true;
  ctx.io.out('Operation cancelled.\n');
  return false;
}

export async function notationCertAdd(ctx: Context, paths: string[], opts: StoreOptions): Promise<void> {
  const type = checkStoreType(opts.type);
  const store = checkStoreName(opts.store);
  const configDir = notationConfigDir(ctx.env);
  const added: string[] = [];
  const failed: string[] = [];
  for (const p of paths) {
    try {
      await addTrustStoreCertificate(configDir, type, store, resolve(ctx.cwd, p));
      added.push(p);
    } catch (err) {
      if (!isVouchError(err)) throw err;
      failed.push(`${p}, with error ${JSON.stringify(err.message)}`);
    }
  }
  if (added.length > 0) ctx.io.out(`Successfully added following certificates to named store ${store} of type ${type}:\n${added.map((p) => `${p}\n`).join('')}`);
  if (failed.length > 0) {
    throw new VouchError('INVALID_CERTIFICATE', `Failed to add following certificates to named store ${store} of type ${type}:\n${failed.join('\n')}`);
  }
}

export async function notationCertList(ctx: Context, opts: StoreOptions): Promise<void> {
  // notation lists nothing (and succeeds) for a type it does not know
  if (opts.type && !['ca', 'signingAuthority', 'tsa'].includes(opts.type)) return;
  if (opts.store !== undefined && !isValidNotationName(opts.store)) return;
  let certs;
  try {
    certs = await listTrustStoreCertificates(notationConfigDir(ctx.env), {
      ...(opts.type ? { type: checkStoreType(opts.type) } : {}), ...(opts.store ? { store: opts.store } : {}),
    });
  } catch (err) {
    // notation's wording: a file that is no certificate stops the listing
    const where = opts.type && opts.store ? `in the named store ${opts.store} of type ${opts.type}` : opts.type ? `of type ${opts.type}` : opts.store ? `in the named store ${opts.store}` : 'in the trust store';
    if (isVouchError(err)) throw new VouchError(err.code, `failed to list all certificates stored ${where}, with error: ${err.message}`, { cause: err, hint: 'remove or replace the file that is not a certificate' });
    throw err;
  }
  if (certs.length === 0) return;
  ctx.io.out(tabwrite(`STORE TYPE\tSTORE NAME\tCERTIFICATE\t\n${certs.map((c) => `${c.type}\t${c.store}\t${c.file}\t\n`).join('')}`, 0, 3));
}

/** Go's time.Time.String() for a UTC time: `2006-01-02 15:04:05 +0000 UTC`. */
function goTimeString(d: Date): string {
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} +0000 UTC`;
}

export async function notationCertShow(ctx: Context, file: string, opts: StoreOptions): Promise<void> {
  const type = checkStoreType(opts.type);
  const store = checkStoreName(opts.store);
  if (file === '') throw new VouchError('INVALID_ARGUMENT', 'certificate fileName cannot be empty');
  let ders: Buffer[];
  try {
    ders = await readTrustStoreCertificate(notationConfigDir(ctx.env), type, store, file);
  } catch (err) {
    if (isVouchError(err) && err.code !== 'INVALID_ARGUMENT') throw new VouchError(err.code, `failed to show details of certificate ${file}, with error: ${err.message}`, { cause: err });
    throw err;
  }
  const rule = '--------------------------------------------------------------------------------\n';
  const blocks = ders.map((der) => {
    const cert = parseCertificate(der, `certificate ${file}`);
    return [
      `Issuer: ${goDistinguishedName(cert.issuerDer)}`,
      `Subject: ${goDistinguishedName(cert.subjectDer)}`,
      `Valid from: ${goTimeString(cert.notBefore)}`,
      `Valid to: ${goTimeString(cert.notAfter)}`,
      `IsCA: ${cert.node.ca}`,
      `SHA256 Thumbprint: ${cert.node.fingerprint256.replace(/:/g, '').toLowerCase()}`,
    ].map((l) => `${l}\n`).join('');
  });
  ctx.io.out(`Certificate details\n${rule}${blocks.join(rule)}`);
}

export async function notationCertDelete(ctx: Context, file: string | undefined, opts: CertDeleteOptions): Promise<void> {
  if (opts.all && file !== undefined) throw new VouchError('INVALID_ARGUMENT', 'cannot delete a single certificate file when --all flag is set. use --help flag for more details');
  if (!opts.all && file === undefined) throw new VouchError('INVALID_ARGUMENT', 'delete requires either the certificate file name that needs to be deleted or --all flag to delete all certificates in the given named trust store');
  const store = checkStoreName(opts.store);
  const type = checkStoreType(opts.type);
  const configDir = notationConfigDir(ctx.env);
  const prompt = opts.all
    ? `Are you sure you want to delete all certificates in ${JSON.stringify(store)} of type ${JSON.stringify(type)}?`
    : `Are you sure you want to delete ${JSON.stringify(file)} in ${JSON.stringify(store)} of type ${JSON.stringify(type)}?`;
  if (!await askForConfirmation(ctx, prompt, opts.yes)) return;
  let path: string;
  try {
    path = await trustStoreEntry(configDir, type, store, opts.all ? undefined : file);
  } catch (err) {
    if (isVouchError(err) && err.code !== 'INVALID_ARGUMENT') throw new VouchError(err.code, `${opts.all ? 'failed to delete the named trust store' : 'failed to delete the certificate file'}: ${err.message}`, { cause: err, ...(err.hint ? { hint: err.hint } : {}) });
    throw err;
  }
  await removeTrustStoreEntry(path);
  ctx.io.out(`Successfully deleted ${opts.all ? path : file as string}\n`);
}

/** RSA sizes a Notation signature can use (notation accepts any --bits and fails later, when signing). */
const TEST_KEY_BITS = [2048, 3072, 4096];
/** notation-core-go testhelper: a non-CA test certificate is valid for one day. */
const TEST_CERT_VALIDITY_MS = 24 * 60 * 60 * 1000;

/**
 * notation cert generate-test: an RSA key and a self-signed code-signing certificate as
 * notation-core-go's testhelper makes it (subject C=US, ST=WA, L=Seattle, O=Notary, CN=NAME;
 * critical keyUsage digitalSignature, extKeyUsage codeSigning, no basicConstraints, one day),
 * written to localkeys/, added to signingkeys.json and to the `ca` trust store NAME.
 */
export async function notationCertGenerateTest(ctx: Context, name: string, opts: GenerateTestOptions): Promise<void> {
  if (!isValidNotationName(name)) throw new VouchError('INVALID_ARGUMENT', 'name needs to follow [a-zA-Z0-9_.-]+ format');
  const bits = Number(opts.bits);
  if (!TEST_KEY_BITS.includes(bits)) throw new VouchError('INVALID_ARGUMENT', `RSA key bits ${opts.bits} is not supported`, { hint: 'Notation signs with RSA 2048, 3072 or 4096 bit keys' });
  const configDir = notationConfigDir(ctx.env);
  // Everything that can refuse is checked before anything is written.
  const keys = await loadSigningKeys(configDir);
  const { keyPath, certPath } = localKeyPaths(configDir, name);
  const updated = addKeySuite(keys, { name, keyPath, certPath }, Boolean(opts.default));
  try {
    await trustStoreEntry(configDir, 'ca', name, basename(certPath));
    throw new VouchError('CONFLICT', 'certificate already exists in the Trust Store', { hint: `remove it with 'vouch notation cert delete --type ca --store ${name} ${basename(certPath)}'` });
  } catch (err) {
    if (!isVouchError(err, 'FILE_NOT_FOUND')) throw err;
  }
  ctx.io.out(`generating RSA Key with ${bits} bits\n`);
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  const certPem = await createSelfSignedCertificate(privateKey, {
    serialNumber: `01${randomBytes(8).toString('hex')}`,
    subject: [{ C: ['US'] }, { ST: ['WA'] }, { L: ['Seattle'] }, { O: ['Notary'] }, { CN: [name] }],
    now: ctx.now(),
    validityMs: TEST_CERT_VALIDITY_MS,
    extensions: [keyUsageExtension(KEY_USAGE.digitalSignature, true), extendedKeyUsageExtension([EXT_KEY_USAGE.codeSigning], false)],
  });
  const notAfter = new Date(new X509Certificate(certPem).validTo);
  ctx.io.out(`generated certificate expiring on ${notAfter.toISOString().replace('.000Z', 'Z')}\n`);
  await writeLocalKeyPair(configDir, name, privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, certPem);
  ctx.io.out(`wrote key: ${keyPath}\nwrote certificate: ${certPath}\n`);
  await saveSigningKeys(configDir, updated);
  await addTrustStoreCertificate(configDir, 'ca', name, certPath);
  ctx.io.out(`Successfully added ${basename(certPath)} to named store ${name} of type ca\n`);
  ctx.io.out(`${name}: added to the key list\n`);
  if (opts.default) ctx.io.out(`${name}: mark as default signing key\n`);
}
