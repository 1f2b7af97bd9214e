/* pmmctl: the operators' tool for users and service tokens. Wires flags,
 * the database (migrated, as any daemon would) and the subcommands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "commands.h"
#include "config.h"
#include "db/daemon_db.h"
#include "log.h"

int main(int argc, char **argv)
{
    db_params p = { 0 };
    char *level = NULL, *role = NULL;
    const cfg_option opts[] = {
        { "role", NULL, CFG_STRING, "viewer", "role of a new user or token: viewer, editor or admin", &role },
        { "log-level", "PMM_LOG_LEVEL", CFG_STRING, "warn", "trace, debug, info, warn, error or fatal", &level },
        DB_CFG_OPTIONS(&p),
        { NULL },
    };
    /* Words are commands; --name=value are flags. */
    char *flags[argc + 1], *words[argc + 1];
    int nflags = 0, nwords = 0;
    flags[nflags++] = argv[0];
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "--", 2) == 0)
            flags[nflags++] = argv[i];
        else
            words[nwords++] = argv[i];
    }
    flags[nflags] = NULL;
    int rc = daemon_init(opts, nflags, flags, "pmmctl", "Manage users and service tokens.\n\n"
                         "Usage: pmmctl COMMAND [--flag=value ...]", &level);
    if (rc >= 0) {
        if (rc == 0 && nflags > 1 && strcmp(flags[1], "--help") == 0)
            printf("\n%s", commands_usage);
        return rc;
    }
    if (sodium_init() < 0) {
        cfg_free(opts);
        return 1;
    }
    db *d = db_new(&p);
    rc = !d || db_migrate(d) != 0 ? 1 : commands_run(d, nwords, words, role);
    db_destroy(d);
    cfg_free(opts);
    return rc;
}
