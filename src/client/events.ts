// What the docker trust operations report as they go, as data: the CLI renders docker's exact
// messages (src/cli/render/trust.ts), and a library user can log or ignore them.

export type TrustEvent =
  | { event: 'signer-adding'; signer: string; repository: string }
  | { event: 'signer-added'; signer: string; repository: string }
  | { event: 'signer-removing'; signer: string; repository: string }
  | { event: 'signer-removed'; signer: string; repository: string }
  | { event: 'repository-initializing'; repository: string }
  | { event: 'repository-initialized'; repository: string }
  | { event: 'signing'; reference: string }
  | { event: 'signer-created'; signer: string }
  | { event: 'signing-initialized'; reference: string }
  | { event: 'existing-signatures'; tag: string; digest: string; signers: string[] }
  | { event: 'signed'; repository: string; tag: string }
  | { event: 'revoked'; reference: string }
  | { event: 'key-rotated'; role: string; repository: string }
  /** the user answered no to a confirmation: nothing was changed */
  | { event: 'aborted' };

export type TrustEventSink = (e: TrustEvent) => void;
