/* settings_ssh: SSH key validation and writing (see settings_ssh.h). */
#include "settings_ssh.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

/* Reads one SSH wire string (uint32 length + bytes) from *p. */
static bool wire_string(const unsigned char **p, const unsigned char *end, const unsigned char **s, size_t *n)
{
    if (end - *p < 4)
        return false;
    uint32_t len = (uint32_t)(*p)[0] << 24 | (uint32_t)(*p)[1] << 16 | (uint32_t)(*p)[2] << 8 | (*p)[3];
    if ((size_t)(end - *p - 4) < len)
        return false;
    *s = *p + 4;
    *n = len;
    *p += 4 + len;
    return true;
}

/* How many wire strings follow the algorithm name in a plain public key
 * of each type (ssh.ParsePublicKey); certificates are only recognised. */
static int key_fields(const unsigned char *name, size_t n)
{
    static const struct {
        const char *name;
        int fields;
    } algos[] = {
        { "ssh-rsa", 2 },
        { "ssh-dss", 4 },
        { "ecdsa-sha2-nistp256", 2 },
        { "ecdsa-sha2-nistp384", 2 },
        { "ecdsa-sha2-nistp521", 2 },
        { "ssh-ed25519", 1 },
        { "sk-ecdsa-sha2-nistp256@openssh.com", 3 },
        { "sk-ssh-ed25519@openssh.com", 2 },
    };
    for (size_t i = 0; i < sizeof algos / sizeof *algos; i++)
        if (strlen(algos[i].name) == n && memcmp(algos[i].name, name, n) == 0)
            return algos[i].fields;
    static const char cert[] = "-cert-v01@openssh.com";
    if (n > sizeof cert - 1 && memcmp(name + n - (sizeof cert - 1), cert, sizeof cert - 1) == 0)
        return -1;
    return 0;
}

static bool blob_valid(const unsigned char *b, size_t len)
{
    const unsigned char *p = b, *end = b + len, *s;
    size_t n;
    if (!wire_string(&p, end, &s, &n))
        return false;
    int fields = key_fields(s, n);
    if (fields < 0)
        return true;
    bool ed = n >= 11 && memcmp(s, "ssh-ed25519", 11) == 0;
    for (int i = 0; i < fields; i++) {
        if (!wire_string(&p, end, &s, &n))
            return false;
        if (ed && i == 0 && n != 32)
            return false;
    }
    return fields > 0 && p == end;
}

static bool base64_key_valid(const char *tok, size_t len)
{
    size_t cap = len / 4 * 3 + 3, out_len;
    unsigned char *bin = malloc(cap);
    bool ok = bin && sodium_base642bin(bin, cap, tok, len, NULL, &out_len, NULL, sodium_base64_VARIANT_ORIGINAL) == 0 &&
              blob_valid(bin, out_len);
    free(bin);
    return ok;
}

/* A line's whitespace-separated tokens [i]; false when there are fewer. */
static bool token(const char *line, size_t line_len, int i, const char **tok, size_t *len)
{
    size_t pos = 0;
    for (int k = 0;; k++) {
        while (pos < line_len && (line[pos] == ' ' || line[pos] == '\t'))
            pos++;
        if (pos == line_len)
            return false;
        size_t start = pos;
        while (pos < line_len && line[pos] != ' ' && line[pos] != '\t')
            pos++;
        if (k == i) {
            *tok = line + start;
            *len = pos - start;
            return true;
        }
    }
}

/* "type base64 [comment]" or "options type base64 [comment]". */
static bool line_valid(const char *line, size_t len)
{
    const char *tok;
    size_t n;
    for (int i = 1; i <= 2; i++)
        if (token(line, len, i, &tok, &n) && base64_key_valid(tok, n))
            return true;
    return false;
}

bool settings_ssh_key_valid(const char *key)
{
    for (const char *p = key; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        while (len && (*p == ' ' || *p == '\t'))
            p++, len--;
        if (len && *p != '#' && line_valid(p, len))
            return true;
        p += len;
        if (*p == '\n')
            p++;
    }
    return false;
}

int settings_ssh_write_key(const char *distribution, const char *key, rpc_status *st)
{
    if (!distribution || (strcasecmp(distribution, "ami") != 0 && strcasecmp(distribution, "ovf") != 0))
        return rpc_fail(st, RPC_INTERNAL, "SSH key can be set only on AMI and OVF distributions");
    struct passwd *pw = getpwnam("pmm");
    if (!pw)
        return rpc_fail(st, RPC_INTERNAL, "user: unknown user pmm");
    char dir[4096], path[4200];
    snprintf(dir, sizeof dir, "%s/.ssh", pw->pw_dir);
    snprintf(path, sizeof path, "%s/authorized_keys", dir);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return rpc_fail(st, RPC_INTERNAL, "mkdir %s: %s", dir, strerror(errno));
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return rpc_fail(st, RPC_INTERNAL, "open %s: %s", path, strerror(errno));
    size_t n = strlen(key);
    bool ok = write(fd, key, n) == (ssize_t)n;
    ok = close(fd) == 0 && ok;
    return ok ? RPC_OK : rpc_fail(st, RPC_INTERNAL, "write %s: failed", path);
}
