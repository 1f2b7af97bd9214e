/* params: PMM_HA_* with PMM_TEST_HA_* fallbacks, the peer list (see params.h). */
#include "params.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void params_env_fallbacks(void)
{
    static const char *const names[] = { "ENABLE", "BOOTSTRAP", "NODE_ID", "ADVERTISE_ADDRESS", "PEERS",
                                         "RAFT_PORT", "GOSSIP_PORT", "GRAFANA_GOSSIP_PORT" };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char ha[64], test[64];
        snprintf(ha, sizeof ha, "PMM_HA_%s", names[i]);
        snprintf(test, sizeof test, "PMM_TEST_HA_%s", names[i]);
        const char *v = getenv(ha), *t = getenv(test);
        if ((!v || !*v) && t && *t)
            setenv(ha, t, 1);
    }
}

void params_peers_free(char **peers, int n)
{
    for (int i = 0; i < n; i++)
        free(peers[i]);
    free(peers);
}

int params_peers(const char *list, int default_port, const char *self, char ***out, char *err, size_t err_len)
{
    *out = NULL;
    int n = 0;
    char **v = calloc(strlen(list ? list : "") / 2 + 2, sizeof *v);
    char *copy = strdup(list ? list : "");
    if (!v || !copy) {
        free(v);
        free(copy);
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    char *save = NULL;
    for (char *item = strtok_r(copy, ", \t", &save); item; item = strtok_r(NULL, ", \t", &save)) {
        char addr[256];
        const char *colon = strrchr(item, ':');
        if (colon) {
            char *end;
            long port = strtol(colon + 1, &end, 10);
            if (colon == item || *end || port < 1 || port > 65535) {
                snprintf(err, err_len, "invalid peer %s: want host:port", item);
                params_peers_free(v, n);
                free(copy);
                return -1;
            }
            snprintf(addr, sizeof addr, "%s", item);
        } else {
            snprintf(addr, sizeof addr, "%s:%d", item, default_port);
        }
        bool dup = self && strcmp(addr, self) == 0;
        for (int i = 0; !dup && i < n; i++)
            dup = strcmp(v[i], addr) == 0;
        if (!dup)
            v[n++] = strdup(addr);
    }
    free(copy);
    *out = v;
    return n;
}
