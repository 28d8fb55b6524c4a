// vouch notation key add / list (ls) / update (set) / delete (rm): notation's signing key list,
// signingkeys.json, as notation v1.3 manages it (notation cmd/notation/key.go, notation-go
// config/keys.go): the same checks, messages and output; written in notation's layout.
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { VouchError } from '../../core/index.js';
import { notationConfigDir } from '../../keys/notation.js';
import { addKeySuite, isValidNotationName, loadSigningKeys, removeKeySuites, saveSigningKeys, setDefaultKey } from '../../keys/notation-config.js';
import { tabwrite } from '../../client/textutil.js';
import type { Context } from '../context.js';
import { parseFlagMap } from './notation.js';

export interface KeyAddOptions { plugin?: string; id?: string; pluginConfig?: string[]; default?: boolean; debug?: boolean; verbose?: boolean }
export interface KeyUpdateOptions { default?: boolean; debug?: boolean; verbose?: boolean }

/**
 * The plugin executable notation-go's CLIManager.Get looks for: plugins/NAME/notation-NAME under
 * the config directory, a regular file. Like notation, it is not run here.
 */
async function checkPluginInstalled(configDir: string, name: string): Promise<void> {
  if (!isValidNotationName(name)) throw new VouchError('INVALID_ARGUMENT', `plugin name ${JSON.stringify(name)} needs to follow [a-zA-Z0-9_.-]+ format`);
  const path = join(configDir, 'plugins', name, `notation-${name}`);
  let st;
  try { st = await lstat(path); } catch (err) {
    throw new VouchError('FILE_NOT_FOUND', `plugin executable file is either not found or inaccessible: ${(err as Error).message}`, { hint: `install the plugin as ${path}` });
  }
  if (!st.isFile()) throw new VouchError('CONFIG', 'plugin executable file is not a regular file', { hint: `${path} must be the plugin itself, not a link or a directory` });
}

export async function notationKeyAdd(ctx: Context, name: string, opts: KeyAddOptions): Promise<void> {
  const pluginConfig = parseFlagMap(opts.pluginConfig, 'plugin-config');
  if (name === '') throw new VouchError('INVALID_ARGUMENT', 'key name cannot be empty');
  if (!opts.id) throw new VouchError('INVALID_ARGUMENT', 'missing key id', { hint: 'give the key id of the plugin with --id' });
  if (!opts.plugin) throw new VouchError('INVALID_ARGUMENT', 'plugin name cannot be empty');
  const configDir = notationConfigDir(ctx.env);
  await checkPluginInstalled(configDir, opts.plugin);
  const keys = addKeySuite(await loadSigningKeys(configDir), {
    name, id: opts.id, pluginName: opts.plugin, ...(Object.keys(pluginConfig).length > 0 ? { pluginConfig } : {}),
  }, Boolean(opts.default));
  await saveSigningKeys(configDir, keys);
  ctx.io.out(opts.default ? `${name}: marked as default\n` : `${name}\n`);
}

export async function notationKeyList(ctx: Context): Promise<void> {
  const keys = await loadSigningKeys(notationConfigDir(ctx.env));
  const rows = keys.keys.map((k) => `${k.name === keys.default ? `* ${k.name}` : k.name}\t${k.keyPath ?? ''}\t${k.certPath ?? ''}\t${k.id ?? ''}\t${k.pluginName ?? ''}\t\n`);
  ctx.io.out(tabwrite(`NAME\tKEY PATH\tCERTIFICATE PATH\tID\tPLUGIN NAME\t\n${rows.join('')}`, 0, 3));
}

export async function notationKeyUpdate(ctx: Context, name: string, opts: KeyUpdateOptions): Promise<void> {
  if (!opts.default) {
    ctx.io.err('Warning: --default flag is not set, command did not take effect\n');
    return;
  }
  const configDir = notationConfigDir(ctx.env);
  await saveSigningKeys(configDir, setDefaultKey(await loadSigningKeys(configDir), name));
  ctx.io.out(`${name}: marked as default\n`);
}

export async function notationKeyDelete(ctx: Context, names: string[]): Promise<void> {
  const configDir = notationConfigDir(ctx.env);
  const keys = await loadSigningKeys(configDir);
  await saveSigningKeys(configDir, removeKeySuites(keys, names));
  if (names.length === 1) {
    const name = names[0] as string;
    ctx.io.out(name === keys.default
      ? `Removed default key ${name} from Notation signing key list. The source key still exists.\n`
      : `Removed ${name} from Notation signing key list. The source key still exists.\n`);
  } else {
    ctx.io.out(`Removed the following keys from Notation signing key list. The source keys still exist.\n${names.map((n) => (n === keys.default ? `${n} (default)\n` : `${n}\n`)).join('')}`);
  }
}
