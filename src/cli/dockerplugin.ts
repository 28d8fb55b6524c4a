// `docker trust` back on docker v29+, which removed it: a docker CLI plugin (docker/cli
// docs/extend/cli_plugins.md) whose executable `docker-<name>` runs `vouch docker-cli-plugin <name> …`.
// docker runs a plugin as `docker-<name> docker-cli-plugin-metadata` (print the metadata JSON) or as
// `docker-<name> [GLOBAL OPTIONS] <name> [ARGS]`; vouch reads the global options that matter to it
// (`--config`) and runs `vouch trust ARGS`, whose output is docker's.
import { constants } from 'node:fs';
import { access, lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { VouchError } from '../core/index.js';
import { writeFileAtomic } from '../files/index.js';
import { dockerConfigDir, type Env } from '../client/dockerenv.js';

/** The hidden first argument the installed executable passes to vouch. */
export const PLUGIN_ENTRY = 'docker-cli-plugin';
const METADATA_COMMAND = 'docker-cli-plugin-metadata';
/** docker/cli cli-plugins/manager/metadata.go: the only schema version there is. */
const SCHEMA_VERSION = '0.1.0';
/** A line the installed executable carries, so `install` knows a file is its own before replacing it. */
const MARKER = '# written by `vouch docker install`';
/** docker/cli cli-plugins/manager/candidate.go: plugin names are lower-case letters and digits. */
const PLUGIN_NAME = /^[a-z][a-z0-9]*$/;

/** docker's global options that take a value (docker/cli cli/flags/options.go); the rest are switches. */
const VALUE_OPTIONS = new Set(['--config', '-c', '--context', '-H', '--host', '-l', '--log-level', '--tlscacert', '--tlscert', '--tlskey']);
const SWITCH_OPTIONS = new Set(['-D', '--debug', '--tls', '--tlsverify']);

export type PluginInvocation =
  | { kind: 'metadata' }
  | { kind: 'run'; args: string[]; config?: string };

/** What docker asked the plugin `name` to do, from the arguments after the executable's own name. */
export function parsePluginInvocation(name: string, args: readonly string[]): PluginInvocation {
  if (args[0] === METADATA_COMMAND) return { kind: 'metadata' };
  let config: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === name) return { kind: 'run', args: args.slice(i + 1), ...(config !== undefined ? { config } : {}) };
    const eq = arg.indexOf('=');
    const option = eq > 0 ? arg.slice(0, eq) : arg;
    if (VALUE_OPTIONS.has(option)) {
      const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
      if (value === undefined) throw new VouchError('INVALID_ARGUMENT', `docker option ${option} has no value`);
      if (option === '--config') config = value;
      continue;
    }
    if (SWITCH_OPTIONS.has(option)) continue;
    throw new VouchError('INVALID_ARGUMENT', `docker-${name}: unexpected argument '${arg}' before the command name '${name}'`, {
      hint: `the docker CLI runs this plugin as: docker-${name} [GLOBAL OPTIONS] ${name} [ARGS]; run it as \`docker ${name} …\``,
    });
  }
  throw new VouchError('INVALID_ARGUMENT', `docker-${name}: the command name '${name}' is missing`, {
    hint: `run it as \`docker ${name} …\`, or \`docker-${name} ${METADATA_COMMAND}\``,
  });
}

export function pluginMetadata(version: string): Record<string, string> {
  return {
    SchemaVersion: SCHEMA_VERSION,
    Vendor: 'vouch',
    Version: version,
    ShortDescription: 'Manage trust on images (docker trust, run by vouch)',
  };
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** The executable docker finds in cli-plugins/: a shell script that hands every argument to vouch. */
export function pluginScript(name: string, node: string, vouchBin: string): string {
  return [
    '#!/bin/sh',
    `${MARKER}: \`docker ${name} …\` runs \`vouch trust …\`.`,
    `exec ${shellQuote(node)} ${shellQuote(vouchBin)} ${PLUGIN_ENTRY} ${shellQuote(name)} "$@"`,
    '',
  ].join('\n');
}

export interface InstallResult { path: string; name: string; replaced: boolean }

/** Writes `docker-<name>` into `dir` (default $DOCKER_CONFIG/cli-plugins), mode 0755, atomically. */
export async function installPlugin(opts: { env: Env; name: string; dir?: string; force?: boolean; node: string; vouchBin: string }): Promise<InstallResult> {
  if (!PLUGIN_NAME.test(opts.name)) {
    throw new VouchError('INVALID_ARGUMENT', `'${opts.name}' is not a docker CLI plugin name`, { hint: 'lower-case letters and digits, starting with a letter (docker/cli cli-plugins)' });
  }
  await access(opts.vouchBin, constants.R_OK).catch(() => {
    throw new VouchError('CONFIG', `vouch's launcher ${opts.vouchBin} cannot be read`, { hint: 'run `vouch docker install` from an installed copy of vouch (npm ci, then npx vouch docker install)' });
  });
  const dir = opts.dir ?? join(dockerConfigDir(opts.env), 'cli-plugins');
  const path = join(dir, `docker-${opts.name}`);
  let replaced = false;
  const existing = await lstat(path).catch(() => undefined);
  if (existing !== undefined) {
    const ours = existing.isFile() && existing.size < 4096 && (await readFile(path, 'utf8')).includes(MARKER);
    if (!ours && opts.force !== true) {
      throw new VouchError('CONFLICT', `${path} exists and was not written by vouch`, { hint: 'remove it, or pass --force to replace it' });
    }
    replaced = true;
  }
  await writeFileAtomic(path, pluginScript(opts.name, opts.node, opts.vouchBin), { mode: 0o755 });
  return { path, name: opts.name, replaced };
}
