/* secret: stored credentials sealed with crypto_secretbox (see secret.h). */
#include "secret.h"

#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "fdio.h"
#include "log.h"

static unsigned char key[crypto_secretbox_KEYBYTES];
static bool have_key;

static int read_key(int fd, const char *path)
{
    unsigned char buf[crypto_secretbox_KEYBYTES + 1];
    size_t got = 0;
    while (got < sizeof buf) {
        ssize_t n = read(fd, buf + got, sizeof buf - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    if (got != crypto_secretbox_KEYBYTES) {
        log_error("encryption key file %s must hold exactly %d bytes", path, crypto_secretbox_KEYBYTES);
        sodium_memzero(buf, sizeof buf);
        return -1;
    }
    memcpy(key, buf, sizeof key);
    sodium_memzero(buf, sizeof buf);
    return 0;
}

/* The key is written to a temporary file and linked into place: the file
 * appears whole or not at all, so a daemon starting at the same moment
 * never reads a half-written key; link fails with EEXIST for the loser,
 * which reads the winner's file. */
static int create_key(const char *path)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.XXXXXX", path) >= (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = mkostemp(tmp, O_CLOEXEC); /* mode 0600 */
    if (fd < 0)
        return -1;
    crypto_secretbox_keygen(key);
    int rc = fd_write_all(fd, key, sizeof key);
    if (fsync(fd) != 0)
        rc = -1;
    if (close(fd) != 0)
        rc = -1;
    if (rc != 0) {
        int err = errno;
        unlink(tmp);
        log_error("cannot write encryption key file %s: %s", path, strerror(err));
        errno = err;
        return -1;
    }
    if (link(tmp, path) != 0) {
        int err = errno;
        unlink(tmp);
        errno = err;
        return err == EEXIST ? 1 : -1;
    }
    unlink(tmp);
    log_info("created encryption key file %s", path);
    return 0;
}

int secret_init(const char *path)
{
    if (!path || !*path) {
        log_error("no encryption key path");
        return -1;
    }
    int rc = create_key(path);
    if (rc < 0) {
        log_error("cannot create encryption key file %s: %s", path, strerror(errno));
        return -1;
    }
    if (rc == 1) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            log_error("cannot open encryption key file %s: %s", path, strerror(errno));
            return -1;
        }
        struct stat sb;
        if (fstat(fd, &sb) == 0 && (sb.st_mode & 077))
            log_warn("encryption key file %s is readable by others (mode %o)", path, (unsigned)(sb.st_mode & 0777));
        rc = read_key(fd, path);
        close(fd);
        if (rc != 0)
            return -1;
    }
    have_key = true;
    return 0;
}

char *secret_encrypt(const char *plain)
{
    if (!have_key || !plain)
        return NULL;
    size_t plen = strlen(plain);
    size_t blen = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plen;
    unsigned char *box = malloc(blen);
    if (!box)
        return NULL;
    randombytes_buf(box, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, (const unsigned char *)plain, plen, box, key);
    size_t b64len = sodium_base64_ENCODED_LEN(blen, sodium_base64_VARIANT_ORIGINAL);
    char *out = malloc(sizeof SECRET_PREFIX - 1 + b64len);
    if (out) {
        memcpy(out, SECRET_PREFIX, sizeof SECRET_PREFIX - 1);
        sodium_bin2base64(out + sizeof SECRET_PREFIX - 1, b64len, box, blen, sodium_base64_VARIANT_ORIGINAL);
    }
    free(box);
    return out;
}

char *secret_decrypt(const char *stored)
{
    if (!stored)
        return NULL;
    if (strncmp(stored, SECRET_PREFIX, sizeof SECRET_PREFIX - 1) != 0)
        return strdup(stored);
    if (!have_key)
        return NULL;
    const char *b64 = stored + sizeof SECRET_PREFIX - 1;
    size_t b64len = strlen(b64);
    size_t cap = b64len / 4 * 3 + 3;
    unsigned char *box = malloc(cap);
    if (!box)
        return NULL;
    size_t blen = 0;
    char *out = NULL;
    if (sodium_base642bin(box, cap, b64, b64len, NULL, &blen, NULL, sodium_base64_VARIANT_ORIGINAL) == 0 &&
        blen >= crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
        size_t plen = blen - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
        out = malloc(plen + 1);
        if (out && crypto_secretbox_open_easy((unsigned char *)out, box + crypto_secretbox_NONCEBYTES,
                                              blen - crypto_secretbox_NONCEBYTES, box, key) == 0 &&
            memchr(out, 0, plen) == NULL) {
            out[plen] = 0;
        } else {
            free(out);
            out = NULL;
        }
    }
    free(box);
    return out;
}

int secret_init_default(const char *path, const char *run_dir)
{
    char def[4096];
    if (path && *path)
        return secret_init(path);
    snprintf(def, sizeof def, "%s/../pmm-encryption.key", run_dir);
    return secret_init(def);
}
