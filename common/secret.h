/* secret: encryption of stored credentials (agent passwords, TLS keys,
 * cloud secrets) with libsodium's crypto_secretbox (XSalsa20-Poly1305).
 * The 32-byte key lives in a file (--encryption-key-path,
 * PMM_ENCRYPTION_KEY_PATH), created with mode 0600 on first start. A stored
 * value is "enc:" + base64(nonce || ciphertext); a value without the
 * prefix is read as plain text (rows written before encryption). The key
 * is process-wide and read-only after secret_init. */
#ifndef PMM_SECRET_H
#define PMM_SECRET_H

#define SECRET_PREFIX "enc:"

/* Loads the key from path, creating the file (0600, random key) when it
 * does not exist. Call once, after sodium_init, before any other thread
 * uses this module. Returns 0 or -1 (logged, without key material). */
int secret_init(const char *path);

/* secret_init with path, or when it is empty with the suite's default
 * <run_dir>/../pmm-encryption.key (every daemon that reads credentials
 * must agree on it). */
int secret_init_default(const char *path, const char *run_dir);

/* "enc:..." for plain (malloc'd), NULL on ENOMEM or before secret_init. */
char *secret_encrypt(const char *plain);

/* The plain text of stored (malloc'd): stored itself when it has no
 * "enc:" prefix; NULL when it cannot be decrypted (wrong key, damaged). */
char *secret_decrypt(const char *stored);

#endif
