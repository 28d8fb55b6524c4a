// `vouch status` as text: per repository, what breaks first, every expiry soonest first (with
// who renews it), signed tags per signer, and the keys.
import type { ExpiryItem, RepoStatus } from '../../client/status.js';
import { tabwrite } from '../../client/textutil.js';

const DAY_MS = 86_400_000;

/** `in 18d`, `in 5h`, `3d ago` */
function relative(iso: string, now: Date): string {
  const ms = new Date(iso).getTime() - now.getTime();
  const abs = Math.abs(ms);
  const text = abs >= 2 * DAY_MS ? `${Math.floor(abs / DAY_MS)}d` : abs >= 3_600_000 ? `${Math.floor(abs / 3_600_000)}h` : `${Math.max(1, Math.floor(abs / 60_000))}m`;
  return ms >= 0 ? `in ${text}` : `${text} ago`;
}

const renewer = (i: ExpiryItem): string => (i.renewedBy === 'server' ? 'trust server' : i.kind === 'certificate' ? 'root key holder' : 'key holder');

function breaksFirst(st: RepoStatus, now: Date): string {
  const f = st.firstToBreak;
  if (f === undefined) return '';
  if (f.expires === '') return `  broken: ${f.name} is skipped by every client (${f.note ?? 'not verifiable'})\n`;
  const verb = f.state === 'expired' ? 'expired' : 'expires';
  return `  first to break: ${f.name} ${verb} ${f.expires} (${relative(f.expires, now)}); its ${renewer(f)} must re-sign it\n`;
}

export function renderStatus(statuses: readonly RepoStatus[], now: Date, horizonMs: number): string {
  const days = Math.round(horizonMs / DAY_MS);
  let out = '';
  for (const st of statuses) {
    out += `${out === '' ? '' : '\n'}${st.repository}: ${st.state}${st.state === 'expiring' ? ` (within ${days}d)` : ''}\n`;
    if (st.error !== undefined) { out += `  ${st.error.code}: ${st.error.message}\n`; continue; }
    out += breaksFirst(st, now);
    let table = '  EXPIRES\tIN\tWHAT\tVERSION\tRENEWED BY\tSTATE\n';
    for (const i of st.items) {
      table += i.expires === ''
        ? `  -\t-\t${i.name}\t-\t${renewer(i)}\t${i.state}: ${i.note ?? ''}\n`
        : `  ${i.expires}\t${relative(i.expires, now)}\t${i.name}\t${i.version ?? '-'}\t${renewer(i)}\t${i.state}\n`;
    }
    out += `\n${tabwrite(table, 4, 2)}`;
    if (st.signers.length > 0) {
      let signers = '  SIGNER\tSIGNED TAGS\n';
      for (const s of st.signers) signers += `  ${s.name}\t${s.tags}\n`;
      out += `\n${tabwrite(signers, 4, 2)}`;
    }
    let keys = '  ROLE\tKEY ID\tTYPE\tISSUED\n';
    for (const k of st.keys) keys += `  ${k.role}\t${k.keyId.slice(0, 12)}\t${k.keyType}\t${k.notBefore ?? '-'}\n`;
    out += `\n${tabwrite(keys, 4, 2)}`;
  }
  return out;
}
