/* sftp: one file up over SFTP with libcurl (see sftp.h). */
#include "sftp.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static size_t on_read(char *buf, size_t size, size_t n, void *ud)
{
    return fread(buf, size, n, (FILE *)ud) * size;
}

int sftp_upload(const char *address, const char *user, const char *password, const char *directory,
                const char *remote_name, const char *local_path, long timeout_ms, char *err, size_t errlen)
{
    FILE *f = fopen(local_path, "rb");
    struct stat sb;
    if (!f || fstat(fileno(f), &sb) != 0) {
        snprintf(err, errlen, "cannot read %s", local_path);
        if (f)
            fclose(f);
        return -1;
    }
    CURL *h = curl_easy_init();
    char *dir = NULL, *name = NULL, *url = NULL;
    char errbuf[CURL_ERROR_SIZE] = "";
    int rc = -1;
    if (!h || !(name = curl_easy_escape(h, remote_name, 0))) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    /* the directory keeps its slashes; an absolute one gets sftp's "/~"-less root */
    const char *d = directory ? directory : "";
    bool absolute = *d == '/';
    while (*d == '/')
        d++;
    size_t dl = strlen(d);
    while (dl && d[dl - 1] == '/')
        dl--;
    if (asprintf(&dir, "%.*s", (int)dl, d) < 0 ||
        asprintf(&url, "sftp://%s/%s%s%s%s", address, absolute ? "" : "~/", dir, *dir ? "/" : "", name) < 0) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "sftp");
    curl_easy_setopt(h, CURLOPT_USERNAME, user);
    curl_easy_setopt(h, CURLOPT_PASSWORD, password);
    curl_easy_setopt(h, CURLOPT_SSH_AUTH_TYPES, (long)(CURLSSH_AUTH_PASSWORD | CURLSSH_AUTH_KEYBOARD));
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(h, CURLOPT_READDATA, f);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)sb.st_size);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_FTP_CREATE_MISSING_DIRS, (long)CURLFTP_CREATE_DIR);
    if (timeout_ms > 0)
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    CURLcode cc = curl_easy_perform(h);
    if (cc == CURLE_OK)
        rc = 0;
    else
        snprintf(err, errlen, "sftp upload to %s failed: %s", address, *errbuf ? errbuf : curl_easy_strerror(cc));
out:
    curl_free(name);
    free(dir);
    free(url);
    if (h)
        curl_easy_cleanup(h);
    fclose(f);
    return rc;
}
