/* params: upstream's HAParams from the PMM_HA_* flags and variables
 * (config-rendering §2, §8.4), with the PMM_TEST_HA_* names of one v3
 * main.go as fallbacks. --ha-peers lists the other members' raft
 * addresses (host:port, or host for the raft port); there is no gossip
 * layer here (membership is raft's configuration, reconciled with the
 * peers: members.h), so the gossip ports are accepted and unused. */
#ifndef HACTL_PARAMS_H
#define HACTL_PARAMS_H

#include <stdbool.h>
#include <stddef.h>

/* Copies each set PMM_TEST_HA_X into an unset PMM_HA_X; before the flags
 * are parsed. */
void params_env_fallbacks(void);

/* Splits a comma-separated peer list into malloc'd "host:port" strings
 * (default_port added when absent), dropping empty items and self.
 * Returns the count, or -1 with a message in err for a bad item. */
int params_peers(const char *list, int default_port, const char *self, char ***out, char *err, size_t err_len);
void params_peers_free(char **peers, int n);

#endif
