// What every command gets from the environment: the process env, the docker config and trust
// directories, a passphrase source (variables, else a prompt when there is a terminal) and a clock.
// Not the keys barrel: it loads the key file, certificate and DER code that most commands never use.
import { TrustDir } from '../keys/trustdir.js';
import { createPassphraseSource, type PassphraseSource } from '../keys/passphrase.js';
import { ttyPrompt } from '../keys/prompt.js';
import { dockerConfigDir, trustDirOf, type Env } from '../client/dockerenv.js';
import type { Io } from './output.js';

export interface Context {
  io: Io;
  env: Env;
  cwd: string;
  now: () => Date;
  dockerConfig: string;
  trustDir: TrustDir;
  passphrases: PassphraseSource;
}

export function createContext(io: Io, env: Env = process.env, cwd: string = process.cwd()): Context {
  const prompt = io.stdinIsTTY ? ttyPrompt() : undefined;
  const passphrases = createPassphraseSource({ env, ...(prompt ? { prompt } : {}) });
  return {
    io,
    env,
    cwd,
    now: () => new Date(),
    dockerConfig: dockerConfigDir(env),
    trustDir: new TrustDir(trustDirOf(env), { passphrases }),
    passphrases,
  };
}
