// The webhook process: one client Session (keep-alive connections to trust servers and registries,
// reused by every review), the policy, the handler on src/httpd's HTTPS server, and a close that
// turns /readyz off first so the Service stops sending reviews before the server stops.
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { Session } from '../client/session.js';
import type { Env } from '../client/dockerenv.js';
import type { TrustDir } from '../keys/index.js';
import type { TrustPinning } from '../tuf/index.js';
import type { Policy } from '../policy/index.js';
import type { PolicyCheckOptions } from '../client/policy.js';
import { makeLogger, parseListenAddress, serve, type LoggerSetting } from '../httpd/index.js';
import { VouchError } from '../core/index.js';
import { SharedRepoLoads, checkImage } from './check.js';
import { createAdmissionWebhook, type AdmissionWebhook, type AdmissionWebhookOptions } from './webhook.js';

/**
 * Network deadlines of the checks (seconds, as VOUCH_TIMEOUT_* take them) when the environment does
 * not set them: a verification that outlives a review's deadline (8 s by default) would only hold a slot.
 */
export const ADMISSION_NETWORK_DEADLINES: Readonly<Record<string, string>> = Object.freeze({
  VOUCH_TIMEOUT_CONNECT: '3', VOUCH_TIMEOUT_FIRST_BYTE: '5', VOUCH_TIMEOUT_BODY: '7', VOUCH_TIMEOUT_STALL: '5',
});

export interface RunAdmissionOptions extends Omit<AdmissionWebhookOptions, 'check' | 'policyHash' | 'logger'> {
  addr: string;
  tls?: { cert: Buffer | string; key: Buffer | string };
  policy: Policy;
  /** what the policy's Notation signers need (revocation sources, plugins, notation's config directory) */
  policyOptions?: PolicyCheckOptions;
  env: Env;
  trustDir: TrustDir;
  pinning?: TrustPinning;
  now?: () => number;
  logger?: LoggerSetting;
}

export interface RunningAdmission {
  url: string;
  webhook: AdmissionWebhook;
  close(): Promise<void>;
}

/** A stable hash of the policy in force, for the verdict cache's keys. */
export function policyHash(policy: Policy): string {
  return createHash('sha256').update(JSON.stringify(policy)).digest('hex').slice(0, 32);
}

export async function runAdmission(o: RunAdmissionOptions): Promise<RunningAdmission> {
  const { host, port } = parseListenAddress(o.addr, 'admission --addr');
  const now = o.now ?? Date.now;
  const log: Logger = makeLogger(o.logger);
  const session = new Session({
    env: { ...ADMISSION_NETWORK_DEADLINES, ...o.env }, trustDir: o.trustDir, now: () => new Date(now()),
    warn: (m) => { log.warn({ warning: m }, 'trust client warning'); },
    ...(o.pinning !== undefined ? { pinning: o.pinning } : {}),
  });
  const loads = new SharedRepoLoads(session);
  const webhook = createAdmissionWebhook({ ...o, check: (ref) => checkImage(session, ref, o.policy, loads, o.policyOptions), policyHash: policyHash(o.policy), logger: log, now });
  const server = serve(webhook.handle, {
    ...(o.tls !== undefined ? { tls: o.tls } : {}),
    closing: () => ({ status: 503, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'shutting down\n' }),
    onError: (err) => { log.error({ err }, 'unhandled error'); },
  });
  // A client that sends headers and then nothing is cut off by Node well before its default 5 minutes.
  server.server.requestTimeout = 30_000;
  server.server.headersTimeout = 10_000;
  try {
    await server.listen({ host, port });
  } catch (err) {
    await session.close();
    throw new VouchError('CONFIG', `cannot listen on ${o.addr}: ${(err as Error).message}`, { cause: err });
  }
  const a = server.address();
  const url = `${o.tls !== undefined ? 'https' : 'http'}://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
  log.info({ url, audit: o.audit === true, failurePolicy: o.failurePolicy ?? 'fail' }, 'vouch admission listening');
  let closed: Promise<void> | undefined;
  return {
    url, webhook,
    close: () => {
      closed ??= (async () => {
        webhook.stopReady();
        await server.close();
        await session.close();
      })();
      return closed;
    },
  };
}
