// `vouch docker install`: puts `docker trust` back on docker v29+ as a docker CLI plugin (dockerplugin.ts).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { installPlugin } from '../dockerplugin.js';
import { dockerCliVersionOutput } from '../../client/dockerenv.js';
import { DOCKER_WITHOUT_CONTENT_TRUST, parseDockerVersion } from '../../client/dockerhub.js';
import type { Context } from '../context.js';

export interface DockerInstallOptions { name: string; dir?: string; force?: boolean; json?: boolean }

/** bin/vouch.js of this copy of vouch: from dist/src/cli/commands (built) or src/cli/commands (tsx). */
function launcher(): string {
  for (const rel of ['../../../../bin/vouch.js', '../../../bin/vouch.js']) {
    const path = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(path)) return path;
  }
  return fileURLToPath(new URL('../../../../bin/vouch.js', import.meta.url));
}

export async function dockerInstallCommand(ctx: Context, opts: DockerInstallOptions): Promise<void> {
  const result = await installPlugin({
    env: ctx.env, name: opts.name, ...(opts.dir !== undefined ? { dir: opts.dir } : {}), ...(opts.force ? { force: true } : {}),
    node: process.execPath, vouchBin: launcher(),
  });
  const output = dockerCliVersionOutput(ctx.env);
  const docker = output === undefined ? undefined : parseDockerVersion(output);
  // A built-in command wins over a plugin of the same name, so before v29 `docker trust` stays docker's own.
  const shadowed = opts.name === 'trust' && docker !== undefined && docker.major < DOCKER_WITHOUT_CONTENT_TRUST;
  if (opts.json) {
    ctx.io.out(JSON.stringify({ ...result, docker: docker?.text ?? null, shadowedByBuiltin: shadowed }) + '\n');
    return;
  }
  ctx.io.out(`${result.replaced ? 'Replaced' : 'Installed'} ${result.path}: \`docker ${result.name} …\` now runs \`vouch trust …\`.\n`);
  if (docker === undefined) ctx.io.err('WARN: no docker CLI answered on PATH; the plugin works once one is installed.\n');
  else if (shadowed) ctx.io.err(`WARN: docker ${docker.text} still has its own \`docker trust\`, which wins over a plugin of that name; the plugin takes over on docker v29 and newer (or install it under another name with --name).\n`);
}
