// Notation plugins on this machine: executables `notation-<name>` in `<config dir>/plugins/<name>/`
// (notaryproject/specifications specs/plugin-extensibility.md, "Plugin installation path"; notation-go
// plugin/manager.go), run one command at a time with the JSON request on stdin. A plugin is code vouch
// does not control: it is run directly (never through a shell), only from a regular file in its own
// directory, its stdout and stderr bounded, its run time bounded (the whole process group is killed
// when it is exceeded), and every answer is validated by the protocol module before use.
import { spawn } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access, lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { VouchError } from '../core/index.js';
import {
  MAX_PLUGIN_OUTPUT_BYTES, PLUGIN_BINARY_PREFIX, parsePluginError, parsePluginMetadata,
  type PluginCommand, type PluginMetadata, type VerificationPluginHost,
} from '../sig/index.js';
import type { Env } from './trustdir.js';

/** How long one plugin command may run unless the caller says otherwise. */
export const DEFAULT_PLUGIN_TIMEOUT_MS = 120_000;
/** At most this many entries of the plugin directory are looked at. */
const MAX_PLUGIN_DIRS = 1000;

export interface PluginRunOptions {
  timeoutMs?: number;
  /** the environment the plugin runs with (its credentials for a KMS come from there) */
  env?: Env;
  /** each of stdout and stderr (default: notation's 64 MiB) */
  maxOutputBytes?: number;
}

export function pluginDirectory(configDir: string): string {
  return join(configDir, 'plugins');
}

/** A plugin name comes from a signature or a key entry: it must name one directory, nothing else. */
function checkPluginName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/.test(name)) {
    throw new VouchError('PLUGIN', `"${name.slice(0, 100).replace(/[^\x20-\x7e]/g, '?')}" is not a plugin name (letters, digits, ".", "_" and "-", starting with a letter or digit)`);
  }
}

/** The names of the plugin directories (sorted; files beside them are ignored, as notation ignores them). */
export async function listPluginNames(configDir: string): Promise<string[]> {
  let entries;
  try { entries = await readdir(pluginDirectory(configDir), { withFileTypes: true }); } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new VouchError('STORAGE', `cannot read the plugin directory ${pluginDirectory(configDir)}: ${(err as Error).message}`, { hint: 'please ensure that the current user has permission to access the plugin directory' });
  }
  return entries.slice(0, MAX_PLUGIN_DIRS).filter((e) => e.isDirectory()).map((e) => e.name).sort();
}

/** Printable, single-line, bounded text from a plugin's stderr for an error message. */
function tail(bytes: Buffer): string {
  return bytes.subarray(-500).toString('utf8').replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').trim();
}

export class NotationPlugin {
  private constructor(readonly name: string, readonly path: string, private readonly opts: PluginRunOptions) {}

  /** The plugin `name` of `configDir`: its executable must be a regular file (no symlink) the user may run. */
  static async open(configDir: string, name: string, opts: PluginRunOptions = {}): Promise<NotationPlugin> {
    checkPluginName(name);
    const path = join(pluginDirectory(configDir), name, `${PLUGIN_BINARY_PREFIX}${name}`);
    let st;
    try { st = await lstat(path); } catch {
      throw new VouchError('PLUGIN', `plugin executable file \`${PLUGIN_BINARY_PREFIX}${name}\` not found. Use \`notation plugin install\` command to install the plugin`, { hint: `the executable is looked for as ${path}` });
    }
    if (!st.isFile()) throw new VouchError('PLUGIN', `plugin executable file ${path} is not a regular file (symlinks are not supported)`);
    try { await access(path, fsConstants.X_OK); } catch {
      throw new VouchError('PLUGIN', `plugin file \`${PLUGIN_BINARY_PREFIX}${name}\` is not executable (${path})`, { hint: `chmod +x ${path}` });
    }
    return new NotationPlugin(name, path, opts);
  }

  /** Runs `notation-<name> <command>` with `request` on stdin; the answer's bytes (stdout) when it exits 0. */
  run(command: PluginCommand, request: unknown): Promise<Buffer> {
    const timeoutMs = this.opts.timeoutMs ?? DEFAULT_PLUGIN_TIMEOUT_MS;
    const max = this.opts.maxOutputBytes ?? MAX_PLUGIN_OUTPUT_BYTES;
    const input = Buffer.from(JSON.stringify(request));
    const what = `the ${command} command for plugin ${this.name}`;
    return new Promise<Buffer>((resolvePromise, reject) => {
      // detached: the plugin leads its own process group, so a timeout kills whatever it started too.
      const child = spawn(this.path, [command], { shell: false, detached: true, stdio: ['pipe', 'pipe', 'pipe'], ...(this.opts.env ? { env: this.opts.env as NodeJS.ProcessEnv } : {}) });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let outBytes = 0;
      let errBytes = 0;
      let failure: VouchError | undefined;
      const kill = (why: VouchError): void => {
        failure ??= why;
        try { if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL'); } catch { child.kill('SIGKILL'); }
      };
      const timer = setTimeout(() => kill(new VouchError('PLUGIN', `${what} did not finish within ${timeoutMs / 1000} s and was stopped`, { hint: 'the plugin hangs, or its service does not answer; try again, or raise --plugin-timeout' })), timeoutMs);
      child.stdout.on('data', (d: Buffer) => {
        outBytes += d.byteLength;
        if (outBytes > max) kill(new VouchError('TOO_LARGE', `${what} wrote more than ${max} bytes to stdout and was stopped`));
        else out.push(d);
      });
      child.stderr.on('data', (d: Buffer) => {
        errBytes += d.byteLength;
        if (errBytes > max) kill(new VouchError('TOO_LARGE', `${what} wrote more than ${max} bytes to stderr and was stopped`));
        else err.push(d);
      });
      // A plugin may exit without reading its request: that is its answer, not a vouch error.
      child.stdin.on('error', () => {});
      child.stdin.end(input);
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(new VouchError('PLUGIN', `failed to execute ${what}: ${e.message}`, { cause: e }));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (failure) { reject(failure); return; }
        const stderr = Buffer.concat(err);
        if (code === 0) { resolvePromise(Buffer.concat(out)); return; }
        if (code === 1) {
          const e = parsePluginError(stderr);
          if (e) { reject(new VouchError('PLUGIN', `failed to execute ${what}: ${e.code}: ${e.message}`, { details: { plugin: this.name, errorCode: e.code } })); return; }
        }
        const status = signal ? `was killed by ${signal}` : `exited with status ${String(code)}`;
        reject(new VouchError('PLUGIN', `${what} ${status}${stderr.byteLength > 0 ? `: ${tail(stderr)}` : ''}`, { hint: 'a plugin reports errors as exit status 1 with a JSON error on stderr' }));
      });
    });
  }

  /** get-plugin-metadata, validated (the name must be the directory's; contract 1.0 supported). */
  async metadata(pluginConfig: Record<string, string> = {}): Promise<PluginMetadata> {
    return parsePluginMetadata(this.name, await this.run('get-plugin-metadata', Object.keys(pluginConfig).length > 0 ? { pluginConfig } : {}));
  }
}

/** Verification plugins from notation's plugin directory, for the verifier. */
export function verificationPluginHost(configDir: string, opts: PluginRunOptions = {}): VerificationPluginHost {
  const opened = new Map<string, Promise<NotationPlugin>>();
  const get = (name: string): Promise<NotationPlugin> => {
    let p = opened.get(name);
    if (!p) { p = NotationPlugin.open(configDir, name, opts); opened.set(name, p); }
    return p;
  };
  return {
    metadata: async (name, pluginConfig) => (await get(name)).metadata(pluginConfig),
    verifySignature: async (name, request) => (await get(name)).run('verify-signature', request),
  };
}
