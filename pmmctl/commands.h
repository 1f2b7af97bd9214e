/* commands: pmmctl's user and token subcommands. */
#ifndef PMMCTL_COMMANDS_H
#define PMMCTL_COMMANDS_H

#include "db/db.h"

/* args: the positional words after "pmmctl" ("user", "add", "alice").
 * role: --role. Returns the process exit status. */
int commands_run(db *d, int argc, char **argv, const char *role);

extern const char commands_usage[];

#endif
