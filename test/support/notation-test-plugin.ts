// A Notation plugin the tests build from the protocol specification alone
// (notaryproject/specifications specs/plugin-extensibility.md, contract 1.0), independent of
// vouch's code: it signs with its own key (node:crypto), as SIGNATURE_GENERATOR.RAW
// (describe-key, generate-signature) or SIGNATURE_GENERATOR.ENVELOPE (generate-envelope: a JWS
// naming itself as the critical verification plugin), and answers verify-signature as
// SIGNATURE_VERIFIER.TRUSTED_IDENTITY and .REVOCATION_CHECK. It is installed by
// installTestPlugin() (test/support/notation.ts) with a config.json beside it; the pluginConfig
// entry `behaviour` makes it answer like a broken or hostile plugin, for the refusal tests.
// Every request it gets is appended to requests.jsonl beside it.
import { createPrivateKey, sign } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface TestPluginConfig {
  name: string;
  version: string;
  capabilities: string[];
  keyId: string;
  /** PKCS#8 PEM */
  keyFile: string;
  /** PEM chain, leaf first */
  chainFile: string;
  keySpec: string;
  /** generate-envelope: the verificationPluginMinVersion it writes */
  minVersion?: string;
}

type Json = Record<string, unknown>;

const HASH: Record<string, string> = { 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };
const SPEC: Record<string, { alg: string; signing: string; hash: string }> = {
  'RSA-2048': { alg: 'PS256', signing: 'RSASSA-PSS-SHA-256', hash: 'SHA-256' },
  'RSA-3072': { alg: 'PS384', signing: 'RSASSA-PSS-SHA-384', hash: 'SHA-384' },
  'RSA-4096': { alg: 'PS512', signing: 'RSASSA-PSS-SHA-512', hash: 'SHA-512' },
  'EC-256': { alg: 'ES256', signing: 'ECDSA-SHA-256', hash: 'SHA-256' },
  'EC-384': { alg: 'ES384', signing: 'ECDSA-SHA-384', hash: 'SHA-384' },
  'EC-521': { alg: 'ES512', signing: 'ECDSA-SHA-512', hash: 'SHA-512' },
};

function pemCertificates(pem: string): string[] {
  return [...pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)].map((m) => (m[1] as string).replace(/\s+/g, ''));
}

function fail(code: string, message: string): never {
  process.stderr.write(JSON.stringify({ errorCode: code, errorMessage: message }));
  process.exit(1);
}

function rawSign(cfg: TestPluginConfig, hashName: string, data: Buffer): Buffer {
  const key = createPrivateKey(readFileSync(cfg.keyFile));
  const hash = HASH[hashName] ?? fail('VALIDATION_ERROR', `unsupported hash ${hashName}`);
  return key.asymmetricKeyType === 'rsa'
    ? sign(hash, data, { key, padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: -1 /* digest length */ })
    : sign(hash, data, { key, dsaEncoding: 'ieee-p1363' });
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

function main(): void {
  const here = dirname(process.argv[1] as string);
  const cfg = JSON.parse(readFileSync(join(here, 'config.json'), 'utf8')) as TestPluginConfig;
  const command = process.argv[2] ?? '';
  const req = JSON.parse(readFileSync(0, 'utf8') || '{}') as Json;
  appendFileSync(join(here, 'requests.jsonl'), `${JSON.stringify({ command, request: req })}\n`);
  const config = (req.pluginConfig ?? {}) as Record<string, string>;
  const behaviour = config.behaviour ?? '';
  const hostileNow = config.on === undefined || config.on === command;
  if (hostileNow) {
    switch (behaviour) {
      case 'oversize': {
        const chunk = Buffer.alloc(1024 * 1024, 0x20);
        for (let i = 0; i < 65; i++) process.stdout.write(chunk);
        return;
      }
      case 'hang': setInterval(() => {}, 1000); return;
      case 'bad-json': process.stdout.write('{"keyId": "k", not json'); return;
      case 'crash': process.stderr.write('panic: runtime error: invalid memory address\n'); process.exit(2);
      case 'error': fail('ACCESS_DENIED', 'the key vault refused access to the key');
      default: break;
    }
  }
  const out = (v: Json): void => { process.stdout.write(JSON.stringify(v)); };
  const chain = pemCertificates(readFileSync(cfg.chainFile, 'utf8'));
  switch (command) {
    case 'get-plugin-metadata':
      out({ name: cfg.name, description: 'vouch test plugin', version: cfg.version, url: 'https://example.com/vouch-test-plugin', supportedContractVersions: ['1.0'], capabilities: cfg.capabilities });
      return;
    case 'describe-key':
      if (req.keyId !== cfg.keyId) fail('VALIDATION_ERROR', `unknown key ${String(req.keyId)}`);
      out({ keyId: cfg.keyId, keySpec: behaviour === 'wrong-keyspec' ? 'EC-384' : cfg.keySpec });
      return;
    case 'generate-signature': {
      if (req.keyId !== cfg.keyId) fail('VALIDATION_ERROR', `unknown key ${String(req.keyId)}`);
      const spec = SPEC[req.keySpec as string] ?? fail('VALIDATION_ERROR', `unsupported key spec ${String(req.keySpec)}`);
      let signature = rawSign(cfg, req.hashAlgorithm as string, Buffer.from(req.payload as string, 'base64'));
      if (behaviour === 'bad-signature') signature = Buffer.from(signature.map((b, i) => (i === 10 ? b ^ 1 : b)));
      out({ keyId: cfg.keyId, signature: signature.toString('base64'), signingAlgorithm: spec.signing, certificateChain: behaviour === 'bad-chain' ? chain.slice(0, 1) : chain });
      return;
    }
    case 'generate-envelope': {
      if (req.keyId !== cfg.keyId) fail('VALIDATION_ERROR', `unknown key ${String(req.keyId)}`);
      if (req.signatureEnvelopeType !== 'application/jose+json') fail('VALIDATION_ERROR', `unsupported envelope type ${String(req.signatureEnvelopeType)}`);
      const spec = SPEC[cfg.keySpec] as { alg: string; signing: string; hash: string };
      let payload = Buffer.from(req.payload as string, 'base64');
      if (behaviour === 'other-digest') {
        const p = JSON.parse(payload.toString()) as { targetArtifact: { digest: string } };
        p.targetArtifact.digest = `sha256:${'0'.repeat(64)}`;
        payload = Buffer.from(JSON.stringify(p));
      }
      const now = new Date(Math.floor(Date.now() / 1000) * 1000);
      const seconds = Number(req.expiryDurationInSeconds ?? 0);
      const header: Json = {
        alg: spec.alg, cty: 'application/vnd.cncf.notary.payload.v1+json',
        'io.cncf.notary.signingScheme': 'notary.x509', 'io.cncf.notary.signingTime': now.toISOString().replace('.000Z', 'Z'),
        'io.cncf.notary.verificationPlugin': cfg.name,
        crit: ['io.cncf.notary.signingScheme', 'io.cncf.notary.verificationPlugin'],
      };
      if (cfg.minVersion) { header['io.cncf.notary.verificationPluginMinVersion'] = cfg.minVersion; (header.crit as string[]).push('io.cncf.notary.verificationPluginMinVersion'); }
      if (seconds > 0) { header['io.cncf.notary.expiry'] = new Date(now.getTime() + seconds * 1000).toISOString().replace('.000Z', 'Z'); (header.crit as string[]).push('io.cncf.notary.expiry'); }
      const input = `${b64url(JSON.stringify(header))}.${b64url(payload)}`;
      let signature = rawSign(cfg, spec.hash, Buffer.from(input));
      if (behaviour === 'bad-signature') signature = Buffer.from(signature.map((b, i) => (i === 10 ? b ^ 1 : b)));
      const envelope = { payload: b64url(payload), protected: b64url(JSON.stringify(header)), header: { x5c: chain, 'io.cncf.notary.signingAgent': `vouch-test-plugin/${cfg.version}` }, signature: b64url(signature) };
      out({ signatureEnvelope: Buffer.from(JSON.stringify(envelope)).toString('base64'), signatureEnvelopeType: 'application/jose+json', annotations: { 'com.example.test-plugin.key': cfg.keyId } });
      return;
    }
    case 'verify-signature': {
      const asked = ((req.trustPolicy as Json | undefined)?.signatureVerification ?? []) as string[];
      const results: Json = {};
      for (const cap of asked) {
        const deny = (cap === 'SIGNATURE_VERIFIER.TRUSTED_IDENTITY' && behaviour === 'deny-identity') || (cap === 'SIGNATURE_VERIFIER.REVOCATION_CHECK' && behaviour === 'revoked');
        results[cap] = deny ? { success: false, reason: cap.endsWith('IDENTITY') ? 'the signer is not on the allow list' : 'the signing key was revoked' } : { success: true };
      }
      if (behaviour === 'extra-result') results['SIGNATURE_VERIFIER.SOMETHING'] = { success: true };
      const unprocessed = ((req.signature as Json | undefined)?.unprocessedAttributes ?? []) as string[];
      out({ verificationResults: results, processedAttributes: behaviour === 'skip-attributes' ? [] : unprocessed });
      return;
    }
    default:
      fail('VALIDATION_ERROR', `unknown command ${command}`);
  }
}

main();
