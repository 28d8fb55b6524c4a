// keys: the client key store (docker/notary trust directory), private key files in notary's
// encrypted PKCS#8 format, public key files, root certificates and passphrase sources.
export { PrivateKey, generateKey, publicKeyData, algorithmOf, KEY_ALGORITHMS, DEFAULT_RSA_BITS, type KeyAlgorithm, type GenerateOptions } from './key.js';
export { generateRootKey, createRootCertificate, ROOT_CERT_VALIDITY_MS, type RootKeyOptions, type RootCertOptions } from './cert.js';
export {
  encodePrivateKeyFile, decodePrivateKeyFile, readPrivateKeyFile, keyFileAttributes, roleHasGun,
  ENCRYPTED_PRIVATE_KEY, PRIVATE_KEY, type KeyFileOptions, type KeyFileAttributes, type ReadKeyFileOptions,
} from './keyfile.js';
export { toNotaryPkcs8, fromPkcs8, encryptPkcs8, decryptPkcs8, NOTARY_PBKDF2_ITERATIONS } from './pkcs8.js';
export { encodePem, decodePem, decodePemBlocks, type PemBlock } from './pem.js';
export { encodePublicKeyFile, decodePublicKeyFile, readPublicKeyFile, type DecodePublicKeyOptions } from './pubfile.js';
export {
  createPassphraseSource, fixedPassphrase, withPassphrase, passphraseVariables,
  DOCKER_ROOT_VAR, DOCKER_REPOSITORY_VAR, NOTARY_VARS, MAX_PASSPHRASE_ATTEMPTS,
  type PassphraseSource, type PassphraseRequest, type Passphrase, type PromptFunction, type PassphraseNames, type PassphraseSourceOptions,
} from './passphrase.js';
export { ttyPrompt, terminalPassphraseSource, readHidden, MIN_NEW_PASSPHRASE_LENGTH, type TtyPromptOptions, type TtyInput } from './prompt.js';
export { TrustDir, dockerTrustDir, notaryTrustDir, checkGun, KEY_NAME, type KeyInfo, type StoredKey, type TrustDirOptions, type Env } from './trustdir.js';
export { writePrivateFile, readFileIfExists, ensurePrivateDir } from './fsutil.js';
export { notationConfigDir, readNotationTrustPolicy, readNotationTrustStores, readSigningKeyFiles, resolveNotationSigningKey, TRUST_POLICY_FILES, type NotationSigningKey } from './notation.js';
export { NotationPlugin, listPluginNames, pluginDirectory, verificationPluginHost, DEFAULT_PLUGIN_TIMEOUT_MS, type PluginRunOptions } from './notation-plugin.js';
