// vouch quickstart: the whole story on embedded defaults — a trust server on SQLite and a
// registry, both on loopback in a temporary directory; a signed push, a verified pull, and the
// attacks content trust exists to stop. Touches nothing outside its temporary directory.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isVouchError } from '../../core/index.js';
import { sign } from '../../client/sign.js';
import { signerAdd } from '../../client/signers.js';
import { pull, push } from '../../client/image.js';
import { Session } from '../../client/session.js';
import { readPublicKeyFile } from '../../keys/index.js';
import { parseReference } from '../../oci/reference.js';
import { runRegistry } from '../../registry/index.js';
import { loadServerConfig, runServer } from '../../server/index.js';
import { createContext, type Context } from '../context.js';
import { writeDemoImage } from '../demoimage.js';
import { writeInspect } from '../render/inspect.js';
import { printTrustEvents } from '../render/trust.js';

export async function quickstartCommand(ctx: Context, opts: { keep?: boolean }): Promise<void> {
  const out = (t: string): void => ctx.io.out(t);
  const step = (n: number, text: string): void => out(`\n[${n}/7] ${text}\n`);
  const dir = await mkdtemp(join(tmpdir(), 'vouch-quickstart-'));
  out(`vouch quickstart: content trust end to end, on loopback, in ${dir}\n`);

  step(1, 'Starting the trust server (Notary v1 API, SQLite storage) and the registry');
  const server = await runServer(loadServerConfig({
    cwd: dir,
    env: {},
    readFile: () => '',
    overrides: { addr: '127.0.0.1:0', storage: `sqlite:${join(dir, 'server', 'trust.db')}`, dataDir: join(dir, 'server'), logLevel: 'silent' },
  }), { handleSignals: false, logger: false });
  const registry = await runRegistry({ addr: '127.0.0.1:0', root: join(dir, 'registry') });
  out(`  trust server ${server.url}\n  registry     ${registry.url}\n`);

  // A private docker config: the demo's keys and trust data never mix with the user's.
  const env = {
    HOME: dir,
    DOCKER_CONFIG: join(dir, 'docker'),
    DOCKER_CONTENT_TRUST_SERVER: server.url,
    DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: 'quickstart-root-passphrase',
    DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'quickstart-repository-passphrase',
  };
  const demo = createContext(ctx.io, env, dir);
  const session = (): Session => new Session({ env, trustDir: demo.trustDir, now: demo.now, warn: (m) => out(`  WARN: ${m}\n`) });
  const image = `${registry.host}/demo/hello`;
  const indent = (t: string): void => out(t.replace(/^(?=.)/gm, '  '));
  let s = session();
  try {
    step(2, 'Building two small images as OCI layouts');
    const v1 = await writeDemoImage(join(dir, 'image-v1'), '1.0', 'hello from vouch, v1\n');
    const v2 = await writeDemoImage(join(dir, 'image-v2'), '1.0', 'hello from vouch, v2 (never signed)\n');
    out(`  v1 ${v1.manifest.digest}\n  v2 ${v2.manifest.digest}\n`);

    step(3, `Pushing ${image}:1.0 with content trust: upload, then sign tag -> digest`);
    await push(s, `${image}:1.0`, {
      from: `oci:${join(dir, 'image-v1')}`, sign: true, onTrustEvent: printTrustEvents(indent),
      onEvent: (e) => { if (e.event === 'pushed') indent(`1.0: digest: ${e.digest} size: ${e.size}\n`); },
    });

    step(4, 'Adding a signer "alice" with her own key, and signing 1.0 as alice too');
    await demo.trustDir.generateNamedKey('alice', dir);
    const aliceKey = await readPublicKeyFile(join(dir, 'alice.pub'));
    await signerAdd(s, printTrustEvents(indent), 'alice', [aliceKey], [parseReference(image)]);
    await sign(s, printTrustEvents(indent), `${image}:1.0`, parseReference(`${image}:1.0`));

    step(5, 'Pulling with verification: tag -> signed digest -> manifest by digest -> every blob checked');
    const pulled = await pull(s, `${image}:1.0`, { trust: true, to: join(dir, 'pulled') });
    out(`  verified ${pulled.digest} (signed in ${pulled.resolved?.role})\n  written to ${join(dir, 'pulled')}\n`);

    step(6, 'Attacks that must be refused');
    const refused = async (what: string, attempt: () => Promise<unknown>): Promise<void> => {
      try {
        await attempt();
        throw new Error(`${what}: was NOT refused`);
      } catch (err) {
        if (!isVouchError(err)) throw err;
        out(`  refused: ${what}\n    ${err.code}: ${err.message}\n`);
      }
    };
    await push(s, `${image}:1.0`, { from: `oci:${join(dir, 'image-v2')}`, sign: false });
    await refused('the tag was moved to unsigned content', () => pull(s, `${image}:1.0`, { trust: true, to: join(dir, 'moved') }));
    // Put v1 back under the tag, then corrupt its layer inside the registry's storage.
    await push(s, `${image}:1.0`, { from: `oci:${join(dir, 'image-v1')}`, sign: false });
    const layer = join(dir, 'registry', 'blobs', 'sha256', v1.layer.digest.slice('sha256:'.length));
    const original = await readFile(layer);
    const tampered = Buffer.from(original);
    tampered[tampered.length - 10] = (tampered[tampered.length - 10] as number) ^ 0xff;
    await writeFile(layer, tampered);
    s = session(); // a fresh client: nothing cached in memory
    await refused('a layer was tampered with in the registry', () => pull(s, `${image}:1.0`, { trust: true, to: join(dir, 'tampered') }));
    await writeFile(layer, original);
    await push(s, `${registry.host}/demo/unsigned:1.0`, { from: `oci:${join(dir, 'image-v1')}`, sign: false });
    await refused('the repository has no trust data', () => pull(s, `${registry.host}/demo/unsigned:1.0`, { trust: true, to: join(dir, 'unsigned') }));

    step(7, `vouch trust inspect --pretty ${image}`);
    await writeInspect(s, [{ input: image, ref: parseReference(image) }], true, indent);
    out(`\nDone: signed push, verified pull, and three attacks refused.\n`);
  } finally {
    await s.close();
    await registry.close();
    await server.close();
    if (opts.keep) out(`Kept ${dir}\n`);
    else await rm(dir, { recursive: true, force: true });
  }
}
