// Types of `vouch pin`: the image references found in deployment files, what the caller tells
// us about each one, and what pinning or checking made of it. Plain data, like types.ts.

/** Which kind of file a reference was found in. */
export type PinFileKind = 'kubernetes' | 'compose' | 'dockerfile';

/** How a file is read: as YAML (Kubernetes manifests, Compose files) or as a Dockerfile. */
export type PinSyntax = 'yaml' | 'dockerfile';

/** A reference as a scanner reports it, before positions are turned into lines and columns. */
export interface RawReference {
  kind: PinFileKind;
  /** UTF-16 offset of the reference's first character in the source (-1 if unknown). */
  offset: number;
  /** Length of the range to replace when pinning; 0 for unresolvable references. */
  length: number;
  /** The reference exactly as written. */
  reference: string;
  /** Human description of what holds it, e.g. `Deployment web, container app`. */
  where: string;
  /** The object holding it: `Deployment/web`, `service web`, `stage build`. */
  object?: string;
  /** YAML only: the key path in its document, e.g. `spec.template.spec.containers[0].image`. */
  path?: string;
  /** YAML only: the document's index in the file (from 0). */
  document?: number;
  /** Set when the reference cannot be pinned as written (build arguments, template variables): why. */
  unresolvable?: string;
}

/** One image reference in a file. */
export interface ImageFinding {
  file: string;
  kind: PinFileKind;
  where: string;
  object?: string;
  path?: string;
  document?: number;
  /** 1-based position of the reference's first character (for YAML: inside the quotes, if quoted). */
  line: number;
  column: number;
  /** UTF-16 range of the reference text in the file's source; `length` is 0 when it cannot be replaced. */
  offset: number;
  length: number;
  reference: string;
  /** The reference already carries a digest (`@sha256:…`). */
  pinned: boolean;
  unresolvable?: string;
}

/**
 * What the caller learnt about one reference, from verified trust data.
 * `parsed` is the reference as written, parsed by the caller: `parseReference` in src/oci returns
 * a value of this shape, so the CLI passes its result as is and reference parsing stays in one place.
 */
export interface PinTarget {
  parsed: { tag?: string; digest?: string };
  /**
   * The digest (`sha256:<hex>`) that verified trust data binds to the tag `pinTag(parsed)` names.
   * May be omitted only when `pinTag(parsed)` is undefined (a digest without a tag): such a
   * reference cannot be checked against signed data and is reported as `no-tag`.
   */
  signed?: string;
}

/** The reference could not be resolved: invalid, not signed, trust data unavailable, denied by policy. */
export interface PinFailure {
  error: string;
}

export type PinResolution = PinTarget | PinFailure;

/** Per reference text (as written): a map built beforehand (lookups are async), or a function. */
export type PinResolver = ReadonlyMap<string, PinResolution> | ((reference: string) => PinResolution | undefined);

/**
 * `ok`: pinned to the signed digest. `unpinned`: no digest. `stale`: pinned to a digest that is not
 * the signed one. `no-tag`: a digest without a tag, nothing to check it against. `unresolvable`:
 * not a literal reference (variables). `unresolved`: the resolver reported an error.
 */
export type PinStatus = 'ok' | 'unpinned' | 'stale' | 'no-tag' | 'unresolvable' | 'unresolved';

export interface PinOutcome extends ImageFinding {
  status: PinStatus;
  /** The signed digest, when the resolver gave one. */
  signed?: string;
  /** The pinned reference (`IMAGE:TAG@sha256:…`), for `unpinned` and `stale` references. */
  replacement?: string;
  /** The replacement was written into the new text. */
  rewritten: boolean;
  /** One line for humans. */
  message: string;
}

/** Something `vouch pin` could not fix, or (in check mode) anything that is not `ok`. */
export interface PinProblem {
  code: Exclude<PinStatus, 'ok'>;
  file: string;
  line: number;
  column: number;
  reference: string;
  where: string;
  message: string;
}

export interface PinResult {
  file: string;
  syntax: PinSyntax;
  /** The new file content: the source with only the rewritten references changed. */
  text: string;
  changed: boolean;
  outcomes: PinOutcome[];
  /** Outcomes that were not fixed: `stale` (without `update`), `no-tag`, `unresolvable`, `unresolved`. */
  problems: PinProblem[];
}

export interface PinCheck {
  file: string;
  syntax: PinSyntax;
  outcomes: PinOutcome[];
  /** Every outcome that is not `ok`. Empty means the file passes `vouch pin --check`. */
  problems: PinProblem[];
}
