// The OCI distribution grammar of repository names and tags, the one home for it (the client, the
// embedded registry and the layouts all check names with these):
// https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-manifests

/** A path component: lowercase alphanumerics separated by `.`, `_`, `__` or runs of `-`. */
export const OCI_NAME_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
/** A repository name: components joined by `/`. */
export const OCI_REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
/** A tag: a word character, then up to 127 word characters, `.` or `-`. */
export const OCI_TAG = /^\w[\w.-]{0,127}$/;
/** The longest repository name accepted (the distribution registry's limit). */
export const MAX_REPOSITORY_NAME = 255;

export const isRepositoryName = (name: string): boolean => name.length <= MAX_REPOSITORY_NAME && OCI_REPOSITORY.test(name);
export const isTag = (tag: string): boolean => OCI_TAG.test(tag);
