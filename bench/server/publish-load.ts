// Publish load for one trust server: each worker owns one repository (created by the real notary
// client, snapshot key moved to the server) and publishes new targets versions back to back; the
// server signs a snapshot and a timestamp for each. The same code drives both servers.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { NotaryRemote } from '../../src/client/remote.js';
import { HttpTransport } from '../../src/http/index.js';
import { TrustDir, fixedPassphrase } from '../../src/keys/index.js';
import { addTargets, dockerTarget, newVersion, parseTargets, signMetadata } from '../../src/tuf/index.js';

export interface PublishLoadOptions {
  server: string;
  ca: string;
  guns: string[];
  trustDir: string;
  passphrase: string;
  seconds: number;
}

export interface PublishLoadResult { publishes: number; perSecond: number; failures: number; firstError?: string }

export async function publishLoad(opts: PublishLoadOptions): Promise<PublishLoadResult> {
  const transport = new HttpTransport({ tls: { ca: [readFileSync(opts.ca)] }, retries: 0 });
  const dir = new TrustDir(opts.trustDir, { passphrases: fixedPassphrase(opts.passphrase) });
  // Prepare every worker before the clock starts: keys decrypted, current targets fetched.
  const workers = await Promise.all(opts.guns.map(async (gun) => {
    const remote = new NotaryRemote({ server: opts.server, gun, transport });
    const key = (await dir.loadKeyFor('targets', gun)).key;
    const bytes = await remote.getRole('targets');
    if (!bytes) throw new Error(`${gun}: no targets on ${opts.server}`);
    return { remote, signer: key.signer(), targets: parseTargets(bytes) };
  }));
  let publishes = 0;
  let failures = 0;
  let firstError: string | undefined;
  const start = Date.now();
  const deadline = start + opts.seconds * 1000;
  await Promise.all(workers.map(async (w) => {
    while (Date.now() < deadline) {
      const next = addTargets(newVersion(w.targets, new Date()), { latest: dockerTarget(randomBytes(32), 1234) });
      const signed = await signMetadata(next, [w.signer]);
      try {
        await w.remote.publish(new Map([['targets', signed.toBytes()]]));
        w.targets = signed;
        publishes++;
      } catch (err) {
        failures++;
        firstError ??= (err as Error).message;
      }
    }
  }));
  const elapsed = (Date.now() - start) / 1000;
  await transport.close();
  return { publishes, perSecond: publishes / elapsed, failures, ...(firstError ? { firstError } : {}) };
}
