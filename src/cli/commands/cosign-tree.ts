// vouch cosign triangulate | tree: where cosign keeps an image's signatures, attestations and
// SBOMs, and what is there, printed byte for byte as cosign v2.6.5 / v3.1.3 print it
// (cmd/cosign/cli/triangulate/triangulate.go, cmd/cosign/cli/tree.go).
import { VouchError } from '../../core/index.js';
import { parseReference } from '../../oci/reference.js';
import { ATTACHMENT_TYPES, readCosignTree, triangulate, type AttachmentType } from '../../client/cosign-tree.js';
import type { Context } from '../context.js';
import { withSession } from './trust-common.js';

/** cosign's warning for `--type sbom` (cmd/cosign/cli/options/deprecate.go SBOMAttachmentDeprecation). */
const SBOM_DEPRECATION = 'WARNING: SBOM attachments are deprecated and support will be removed in a Cosign release soon after 2024-02-22 (see https://github.com/sigstore/cosign/issues/2755). Instead, please use SBOM attestations.';

export interface CosignTriangulateOptions { type: string }

export async function cosignTriangulate(ctx: Context, image: string, opts: CosignTriangulateOptions): Promise<void> {
  if (!(ATTACHMENT_TYPES as readonly string[]).includes(opts.type)) {
    throw new VouchError('INVALID_ARGUMENT', `unknown attachment type ${opts.type}`, { hint: `--type is one of ${ATTACHMENT_TYPES.join(', ')}` });
  }
  const ref = parseReference(image);
  if (opts.type === 'sbom') ctx.io.err(`${SBOM_DEPRECATION}\n`);
  await withSession(ctx, {}, async (s) => {
    ctx.io.out(`${await triangulate(s, ref, opts.type as AttachmentType)}\n`);
  });
}

export interface CosignTreeOptions { experimentalOci11?: boolean; registryReferrersMode?: string }

const BRANCH_HEADS = {
  signatures: '🔐 Signatures for an image tag:',
  attestations: '💾 Attestations for an image tag:',
  sboms: '📦 SBOMs for an image tag:',
} as const;

export async function cosignTree(ctx: Context, image: string, opts: CosignTreeOptions): Promise<void> {
  if (opts.registryReferrersMode !== undefined && opts.registryReferrersMode !== 'legacy' && opts.registryReferrersMode !== 'oci-1-1') {
    throw new VouchError('INVALID_ARGUMENT', `--registry-referrers-mode ${opts.registryReferrersMode}: expected legacy or oci-1-1`);
  }
  const ref = parseReference(image);
  // cosign v3 lists referrers by default; v2 only with --experimental-oci11 or --registry-referrers-mode=oci-1-1.
  const referrers = opts.experimentalOci11 !== false || opts.registryReferrersMode === 'oci-1-1';
  await withSession(ctx, {}, async (s) => {
    ctx.io.out(`📦 Supply Chain Security Related artifacts for an image: ${image}\n`);
    const tree = await readCosignTree(s, ref, { referrers });
    for (const w of tree.warnings) ctx.io.err(`${w}\n`);
    if (tree.branches.length === 0) {
      // cosign's own text, without a final newline
      ctx.io.out(`No Supply Chain Security Related Artifacts found for image ${image},\n start creating one with simply running$ cosign sign <img>`);
      return;
    }
    const lines: string[] = [];
    for (const b of tree.branches) {
      lines.push(b.kind === 'referrer' ? `└── 🔗 ${b.artifactType} artifacts via OCI referrer: ${b.name}` : `└── ${BRANCH_HEADS[b.kind]} ${b.name}`);
      b.layers.forEach((d, i) => lines.push(`   ${i === b.layers.length - 1 ? '└──' : '├──'} 🍒 ${d}`));
    }
    ctx.io.out(`${lines.join('\n')}\n`);
  });
}
