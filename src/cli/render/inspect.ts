// `docker trust inspect` output, byte for byte as docker ≤ v28 prints it (docker/cli
// cli/command/trust/inspect.go, inspect_pretty.go): JSON, and the --pretty tables.
import { inspectRepos, signerKeys, trustRepo, type InspectSource, type TrustRepo } from '../../client/inspect.js';
import type { Session } from '../../client/session.js';
import type { ImageReference } from '../../oci/reference.js';
import { tabwrite } from '../../client/textutil.js';
import { REPO_ADMIN, naturalCompare, signedTagRows } from '../../tuf/index.js';

/** docker prints the list with Go's json.MarshalIndent(…, "", "    ") and a newline. */
export function formatInspectJson(repos: TrustRepo[]): string {
  return JSON.stringify(repos, null, 4).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) + '\n';
}

const MINWIDTH = 10;
const PADDING = 3;

/** The --pretty text for one repository. */
export function formatInspectPretty(name: string, src: InspectSource, onlyTag?: string): string {
  let out = '';
  const rows = signedTagRows(src.targets, onlyTag);
  if (rows.length > 0) {
    out += `\nSignatures for ${name}\n\n`;
    let table = 'SIGNED TAG\tDIGEST\tSIGNERS\n';
    for (const r of rows) {
      const signers = r.signers.length ? [...r.signers].sort().join(', ') : `(${REPO_ADMIN})`;
      table += `${r.tag}\t${r.digest}\t${signers}\n`;
    }
    out += tabwrite(table, MINWIDTH, PADDING);
  } else {
    out += `\nNo signatures for ${name}\n\n`;
  }
  const signers = signerKeys(src.delegations);
  if (signers.size > 0) {
    out += `\nList of signers and their keys for ${name}\n\n`;
    let table = 'SIGNER\tKEYS\n';
    for (const s of [...signers.keys()].sort(naturalCompare)) {
      const ids = (signers.get(s) ?? []).map((id) => id.slice(0, 12)).sort();
      table += `${s}\t${ids.join(', ')}\n`;
    }
    out += tabwrite(table, MINWIDTH, PADDING);
  }
  out += `\nAdministrative keys for ${name}\n\n`;
  out += `  Repository Key:\t${[...src.targetsKeyIds].sort().join(', ')}\n`;
  out += `  Root Key:\t${[...src.rootKeyIds].sort().join(', ')}\n`;
  return out;
}

/**
 * docker trust inspect for `inputs`: --pretty prints each repository as it is read and stops at
 * the first that cannot be read; JSON prints the list once, then raises the error naming every
 * argument that could not be read.
 */
export async function writeInspect(s: Session, inputs: { input: string; ref: ImageReference }[], pretty: boolean, out: (text: string) => void): Promise<void> {
  const repos: TrustRepo[] = [];
  let first = true;
  const missing = await inspectRepos(s, inputs, (r) => {
    if (!pretty) { repos.push(trustRepo(r.input, r.source, r.tag)); return; }
    // docker separates the pretty output of consecutive images with two newlines
    out((first ? '' : '\n\n') + formatInspectPretty(r.input, r.source, r.tag));
    first = false;
  }, { stopAtMissing: pretty });
  if (!pretty) out(formatInspectJson(repos));
  if (missing !== undefined) throw missing;
}
