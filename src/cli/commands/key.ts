// vouch trust key generate|load — docker trust key semantics (docker/cli cli/command/trust/).
import { isAbsolute, resolve } from 'node:path';
import type { Context } from '../context.js';

export async function keyGenerate(ctx: Context, name: string, opts: { dir?: string; json?: boolean }): Promise<void> {
  const dir = resolve(ctx.cwd, opts.dir ?? '.');
  if (!opts.json) ctx.io.out(`Generating key for ${name}...\n`);
  const { info, publicKeyPath } = await ctx.trustDir.generateNamedKey(name, dir);
  if (opts.json) {
    ctx.io.out(JSON.stringify({ name, keyId: info.keyId, role: info.role, publicKey: publicKeyPath }) + '\n');
    return;
  }
  ctx.io.out(`Successfully generated and loaded private key. Corresponding public key available: ${publicKeyPath}\n`);
}

export async function keyLoad(ctx: Context, file: string, opts: { name?: string; json?: boolean }): Promise<void> {
  const path = isAbsolute(file) ? file : resolve(ctx.cwd, file);
  if (!opts.json) ctx.io.out(`Loading key from "${file}"...\n`);
  const stored = await ctx.trustDir.importKey(path, opts.name === undefined ? {} : { name: opts.name });
  if (opts.json) {
    ctx.io.out(JSON.stringify({ name: stored.info.role, keyId: stored.info.keyId, file: path }) + '\n');
    return;
  }
  ctx.io.out(`Successfully imported key from ${file}\n`);
}
