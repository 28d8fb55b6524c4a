// `vouch status` as text: per repository, what breaks first, every expiry soonest first (with
// who renews it), signed tags per signer, and the keys.
import type { ExpiryItem, RepoStatus } from '../../client/status.js';
import { SIGNATURE_LIMITS } from '../../client/signatures.js';
import { tabwrite } from '../../client/textutil.js';

const DAY_MS = 86_400_000;

/** `in 18d`, `in 5h`, `3d ago` */
function relative(iso: string, now: Date): string {
  const ms = new Date(iso).getTime() - now.getTime();
  const abs = Math.abs(ms);
  const text = abs >= 2 * DAY_MS ? `${Math.floor(abs / DAY_MS)}d` : abs >= 3_600_000 ? `${Math.floor(abs / 3_600_000)}h` : `${Math.max(1, Math.floor(abs / 60_000))}m`;
  return ms >= 0 ? `in ${text}` : `${text} ago`;
}

const renewer = (i: ExpiryItem): string =>
  i.renewedBy === 'server' ? 'trust server' : i.renewedBy === 'signer' ? `${i.signatureKind ?? 'image'} signer` : i.kind === 'certificate' ? 'root key holder' : 'key holder';

function breaksFirst(st: RepoStatus, now: Date): string {
  const f = st.firstToBreak;
  if (f === undefined) return '';
  if (f.expires === '') {
    return f.kind === 'signature'
      ? `  broken: ${f.name} does not verify (${f.note ?? 'not verifiable'}); its ${renewer(f)} must sign again\n`
      : `  broken: ${f.name} is skipped by every client (${f.note ?? 'not verifiable'})\n`;
  }
  const verb = f.state === 'expired' ? 'expired' : 'expires';
  const remedy = f.renewedBy === 'signer' && f.kind === 'certificate' ? 'renew the certificate and sign again' : 're-sign it';
  return `  first to break: ${f.name} ${verb} ${f.expires} (${relative(f.expires, now)}); its ${renewer(f)} must ${remedy}\n`;
}

/** Per image: its OCI signatures, each with its signer, its own expiry and every certificate of its chain. */
function signatures(st: RepoStatus, now: Date): string {
  let out = '';
  for (const img of st.images) {
    const label = `${img.tags.length > 0 ? `${img.tags.join(', ')} ` : ''}${img.digest ?? ''}`.trim() || img.name;
    if (img.error !== undefined) {
      out += `\n  ${img.name}${img.digest !== undefined ? `@${img.digest}` : ''}: signatures not checked, inconclusive: ${img.error.code}: ${img.error.message}\n`;
      continue;
    }
    if (img.signatures.length === 0) continue;
    out += `\n  ${label}: ${img.signatures.length} signature${img.signatures.length === 1 ? '' : 's'}${img.more ? ' (more are attached; only these were read)' : ''}\n`;
    for (const sig of img.signatures) {
      // a key-signed cosign signature: without the key only its payload can be checked
      const keySigned = sig.verifies && sig.certificates.length === 0 && sig.unverified !== undefined;
      const verdict = !sig.verifies ? `does not verify: ${sig.problem ?? ''}` : keySigned ? `signs this image (payload checked), ${sig.state}` : `verifies structurally, ${sig.state}`;
      let table = `    ${sig.kind} ${sig.digest}: ${verdict}\n`;
      if (sig.signer !== undefined) table += `      signer: ${sig.signer}${sig.unverified !== undefined ? ' (unverified)' : ''}\n`;
      if (sig.verifies && sig.unverified !== undefined) table += `      not checked: ${sig.unverified}\n`;
      if (sig.timeSource !== undefined) table += `      certificates checked at the ${sig.timeSource} time the signature carries${sig.signingTime !== undefined ? ` (${sig.signingTime})` : ''}: their expiry does not break it\n`;
      let rows = '';
      if (sig.verifies) rows += `      expires\t${sig.expires === undefined ? 'never (no expiry set)' : `${sig.expires} (${relative(sig.expires, now)})`}\n`;
      const ts = sig.timestamp;
      if (ts !== undefined && ts.problem === undefined) {
        rows += `      timestamp\t${ts.time ?? ''}\tby ${ts.authority ?? 'its TSA'}: verifies after its certificates expire where the trust policy has a tsa trust store trusting this TSA${sig.untimestampedUntil !== undefined ? `; without one, until ${sig.untimestampedUntil} (${relative(sig.untimestampedUntil, now)})` : ''}\n`;
      } else if (ts !== undefined) {
        rows += `      timestamp\tdoes not count: ${ts.problem ?? ''}\n`;
      }
      for (const c of sig.certificates) rows += `      ${c.position}\t${c.notAfter} (${relative(c.notAfter, now)})\t${c.subject}\n`;
      table += rows === '' ? '' : tabwrite(rows, 4, 2);
      out += table;
    }
  }
  const unsigned = st.images.filter((i) => i.error === undefined && i.signatures.length === 0).length;
  if (unsigned > 0) out += `\n  ${unsigned} image${unsigned === 1 ? '' : 's'} without Notation or cosign signatures\n`;
  if (st.imagesNotChecked !== undefined) out += `  ${st.imagesNotChecked} more image${st.imagesNotChecked === 1 ? '' : 's'} not checked (at most ${SIGNATURE_LIMITS.imagesPerRepository} a repository)\n`;
  return out;
}

export function renderStatus(statuses: readonly RepoStatus[], now: Date, horizonMs: number): string {
  const days = Math.round(horizonMs / DAY_MS);
  let out = '';
  for (const st of statuses) {
    out += `${out === '' ? '' : '\n'}${st.repository}: ${st.state}${st.state === 'expiring' ? ` (within ${days}d)` : ''}\n`;
    if (st.error !== undefined) { out += `  ${st.error.code}: ${st.error.message}\n`; continue; }
    for (const img of st.images) if (img.error !== undefined) out += `  inconclusive: the signatures in ${img.name} could not be read (${img.error.code}); see below\n`;
    out += breaksFirst(st, now);
    let table = '  EXPIRES\tIN\tWHAT\tVERSION\tRENEWED BY\tSTATE\n';
    for (const i of st.items) {
      table += i.expires === ''
        ? `  -\t-\t${i.name}\t-\t${renewer(i)}\t${i.state}: ${i.note ?? ''}\n`
        : `  ${i.expires}\t${relative(i.expires, now)}\t${i.name}\t${i.version ?? '-'}\t${renewer(i)}\t${i.state}\n`;
    }
    out += `\n${tabwrite(table, 4, 2)}`;
    if (st.signers.length > 0) {
      let signers = '  KIND\tSIGNER\tSIGNED TAGS\n';
      for (const s of st.signers) signers += `  ${s.kind}\t${s.name}\t${s.tags}\n`;
      out += `\n${tabwrite(signers, 4, 2)}`;
    }
    out += signatures(st, now);
    if (st.keys.length === 0) continue;
    let keys = '  ROLE\tKEY ID\tTYPE\tISSUED\n';
    for (const k of st.keys) keys += `  ${k.role}\t${k.keyId.slice(0, 12)}\t${k.keyType}\t${k.notBefore ?? '-'}\n`;
    out += `\n${tabwrite(keys, 4, 2)}`;
  }
  return out;
}
