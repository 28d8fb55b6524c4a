// Shared reading of the recorded key fixtures (test/fixtures/keys, see NOTES.md there).
import { readdirSync, readFileSync } from 'node:fs';
import { fixture } from '../../support/paths.js';

export const dir = (...p: string[]): string => fixture('keys', ...p);
export const read = (...p: string[]): string => readFileSync(dir(...p), 'utf8');

export const NOTARY_PASS: Record<string, string> = {
  root: 'notary-root-pass',
  targets: 'notary-targets-pass',
  snapshot: 'notary-snapshot-pass',
};
export const notaryPassFor = (role: string): string => NOTARY_PASS[role] ?? 'notary-delegation-pass';
export const DOCKER_PASS = 'docker-fixture-pass';
export const OPENSSL_PASS = 'openssl-fixture-pass';

export interface ListedKey { role: string; gun: string | undefined; id: string }

/** Rows of `notary key list` as recorded in notary-0.7.0/key-list.txt. */
export function notaryKeyList(text = read('notary-0.7.0', 'key-list.txt')): ListedKey[] {
  const rows: ListedKey[] = [];
  for (const line of text.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 3 || cols[0] === 'ROLE' || cols[0]?.startsWith('-')) continue;
    // GUN is empty for root and delegation keys, so there are 3 or 4 columns.
    if (cols.length >= 4 && /^[0-9a-f]{64}$/.test(cols[2] ?? '')) rows.push({ role: cols[0]!, gun: cols[1], id: cols[2]! });
    else if (/^[0-9a-f]{64}$/.test(cols[1] ?? '')) rows.push({ role: cols[0]!, gun: undefined, id: cols[1]! });
  }
  return rows;
}

export function keyFiles(sub: string): string[] {
  return readdirSync(dir(sub)).filter((f) => f.endsWith('.key')).sort();
}
