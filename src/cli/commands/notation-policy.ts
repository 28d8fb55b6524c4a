// vouch notation policy import / show: the OCI trust policy in notation's config directory, as
// notation v1.3 manages it (notation cmd/notation/policy/import.go, show.go): validated with
// notation's rules before it is written, the bytes kept as given, its messages and prompt.
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { VouchError } from '../../core/index.js';
import { notationConfigDir } from '../../keys/notation.js';
import { currentTrustPolicyFile, importTrustPolicy, showTrustPolicy } from '../../keys/notation-config.js';
import type { Context } from '../context.js';
import { askForConfirmation } from './notation-cert.js';

const MAX_POLICY_BYTES = 1024 * 1024;

export async function notationPolicyImport(ctx: Context, file: string, opts: { force?: boolean }): Promise<void> {
  const path = resolve(ctx.cwd, file);
  let bytes: Buffer;
  try {
    const st = await stat(path);
    if (st.size > MAX_POLICY_BYTES) throw new VouchError('TOO_LARGE', `${path} is ${st.size} bytes, over the limit of ${MAX_POLICY_BYTES}`);
    bytes = await readFile(path);
  } catch (err) {
    if (err instanceof VouchError) throw err;
    throw new VouchError('FILE_NOT_FOUND', `failed to read trust policy file: ${(err as Error).message}`, { cause: err });
  }
  const configDir = notationConfigDir(ctx.env);
  if (opts.force) {
    ctx.io.err('Warning: existing trust policy configuration file will be overwritten\n');
  } else if (await currentTrustPolicyFile(configDir) !== undefined) {
    if (!await askForConfirmation(ctx, 'The trust policy file already exists, do you want to overwrite it?', false)) return;
  }
  const written = await importTrustPolicy(configDir, bytes, path);
  if (written.length > 1) ctx.io.err(`Wrote the trust policy to ${written.join(' and ')}\n`);
  ctx.io.out('Trust policy configuration imported successfully.\n');
}

export async function notationPolicyShow(ctx: Context): Promise<void> {
  const shown = await showTrustPolicy(notationConfigDir(ctx.env));
  if (shown === undefined) {
    throw new VouchError('FILE_NOT_FOUND', 'failed to show trust policy as the trust policy file does not exist.\nYou can import one using `notation policy import <path-to-policy.json>`');
  }
  if (shown.error !== undefined) {
    ctx.io.err(`Error: ${shown.error}\nExisting trust policy configuration is invalid, you may update or create a new one via \`notation policy import <path-to-policy.json>\`\n`);
  }
  ctx.io.out(shown.bytes.toString('utf8'));
}
