// docker trust's messages, word for word (docker/cli cli/command/trust/sign.go, revoke.go,
// signer_add.go, signer_remove.go; notary cmd/notary/keys.go for key rotation), rendered from the
// events the client reports.
import type { TrustEvent, TrustEventSink } from '../../client/events.js';

/** A sink that prints each event as docker would. */
export const printTrustEvents = (out: (text: string) => void): TrustEventSink => (e) => out(renderTrustEvent(e));

export function renderTrustEvent(e: TrustEvent): string {
  switch (e.event) {
    case 'signer-adding': return `Adding signer "${e.signer}" to ${e.repository}...\n`;
    case 'repository-initializing': return `Initializing signed repository for ${e.repository}...\n`;
    case 'repository-initialized': return `Successfully initialized "${e.repository}"\n`;
    case 'signer-added': return `Successfully added signer: ${e.signer} to ${e.repository}\n\n`;
    case 'signer-removing': return `Removing signer "${e.signer}" from ${e.repository}...\n`;
    case 'signer-removed': return `Successfully removed ${e.signer} from ${e.repository}\n\n`;
    case 'signing': return `Signing and pushing trust metadata for ${e.reference}\n`;
    case 'signer-created': return `Created signer: ${e.signer}\n`;
    case 'signing-initialized': return `Finished initializing signed repository for ${e.reference}\n`;
    case 'existing-signatures': return `Existing signatures for tag ${e.tag} digest ${e.digest} from:\n${e.signers.join(', ')}\n`;
    case 'signed': return `Successfully signed ${e.repository}:${e.tag}\n`;
    case 'revoked': return `Successfully deleted signature for ${e.reference}\n`;
    case 'key-rotated': return `Successfully rotated ${e.role} key for repository ${e.repository}\n`;
    case 'aborted': return '\nAborting action.\n';
  }
}
