/* sftp: uploads a file to an SFTP server with libcurl (Debian's libcurl
 * has libssh2's sftp), for UploadDump. Password authentication, as the API
 * gives it; the server's host key is not checked (pmm-dump's upload does
 * not either). */
#ifndef BACKUPD_SFTP_H
#define BACKUPD_SFTP_H

#include <stddef.h>

/* address "host[:port]" (port 22 by default), the remote directory ("" =
 * the login directory), the remote file name. 0, or -1 with err. */
int sftp_upload(const char *address, const char *user, const char *password, const char *directory,
                const char *remote_name, const char *local_path, long timeout_ms, char *err, size_t errlen);

#endif
