/* settings_ssh: the SSH key setting of ChangeSettings. Validation as Go's
 * ssh.ParseAuthorizedKey (some line holds a parsable public key blob),
 * and the write to user pmm's authorized_keys, which upstream allows
 * only on the AMI and OVF appliances. */
#ifndef CONFIGD_SETTINGS_SSH_H
#define CONFIGD_SETTINGS_SSH_H

#include <stdbool.h>

#include "rpc.h"

bool settings_ssh_key_valid(const char *key);
/* INTERNAL "SSH key can be set only on AMI and OVF distributions"
 * elsewhere; otherwise writes ~pmm/.ssh/authorized_keys (0600). */
int settings_ssh_write_key(const char *distribution, const char *key, rpc_status *st);

#endif
