/* credentials: what users and service tokens are made of (see credentials.h);
 * their statements are in db/store/users.c and db/store/service_tokens.c. */
#include "db/credentials.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


int cred_hash_password(const char *password, char out[crypto_pwhash_STRBYTES])
{
    return crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                             crypto_pwhash_MEMLIMIT_INTERACTIVE);
}

void cred_token_hash(const char *token, char out[CRED_TOKEN_HEX])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
    sodium_bin2hex(out, CRED_TOKEN_HEX, h, sizeof h);
}

bool cred_role_valid(const char *role)
{
    return role && (strcmp(role, "viewer") == 0 || strcmp(role, "editor") == 0 || strcmp(role, "admin") == 0);
}

char *cred_basic_auth(const char *user, const char *pass)
{
    size_t ul = strlen(user), pl = strlen(pass), n = ul + 1 + pl;
    size_t b64 = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
    unsigned char *raw = malloc(n);
    char *out = malloc(6 + b64);
    if (!raw || !out) {
        free(raw);
        free(out);
        return NULL;
    }
    memcpy(raw, user, ul);
    raw[ul] = ':';
    memcpy(raw + ul + 1, pass, pl);
    memcpy(out, "Basic ", 6);
    sodium_bin2base64(out + 6, b64, raw, n, sodium_base64_VARIANT_ORIGINAL);
    sodium_memzero(raw, n);
    free(raw);
    return out;
}
