/* commands: pmmctl user add|set|remove|unlock|locks, token create|remove. Passwords come
 * from $PMMCTL_PASSWORD or the first line of standard input, never from the
 * command line (it shows in ps). */
#include "commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "db/credentials.h"

const char commands_usage[] =
    "Commands:\n"
    "  user add LOGIN --role=viewer|editor|admin   create a user (password from $PMMCTL_PASSWORD or stdin)\n"
    "  user set LOGIN --role=...                   set a user's password and role\n"
    "  user remove LOGIN\n"
    "  user unlock LOGIN                           lift a user's lock after failed logins\n"
    "  user locks                                  users locked or with failed logins\n"
    "  token create NAME --role=...                create a service token and print it once\n"
    "  token remove NAME\n";

static int read_password(char *buf, size_t len)
{
    const char *env = getenv("PMMCTL_PASSWORD");
    if (env) {
        snprintf(buf, len, "%s", env);
        return *buf ? 0 : -1;
    }
    if (!fgets(buf, (int)len, stdin))
        return -1;
    buf[strcspn(buf, "\r\n")] = '\0';
    return *buf ? 0 : -1;
}

static int done(int code, const rpc_status *st)
{
    if (code == RPC_OK)
        return 0;
    fprintf(stderr, "pmmctl: %s\n", st->message);
    return 1;
}

static int user_command(db *d, const char *verb, const char *login, const char *role)
{
    rpc_status st;
    if (strcmp(verb, "remove") == 0)
        return done(cred_user_remove(d, login, &st), &st);
    if (strcmp(verb, "unlock") == 0)
        return done(cred_user_unlock(d, login, &st), &st);
    if (strcmp(verb, "add") != 0 && strcmp(verb, "set") != 0)
        return -1;
    char password[1024];
    if (read_password(password, sizeof password) != 0) {
        fprintf(stderr, "pmmctl: no password ($PMMCTL_PASSWORD or a line on stdin)\n");
        return 1;
    }
    int code = cred_user_put(d, login, password, role, strcmp(verb, "set") == 0, &st);
    sodium_memzero(password, sizeof password);
    return done(code, &st);
}

static int token_command(db *d, const char *verb, const char *name, const char *role)
{
    rpc_status st;
    if (strcmp(verb, "remove") == 0)
        return done(cred_token_remove(d, name, &st), &st);
    if (strcmp(verb, "create") != 0)
        return -1;
    char token[CRED_TOKEN_MAX];
    int code = cred_token_create(d, name, role, NULL, token, &st);
    if (code == RPC_OK) {
        printf("%s\n", token);
        sodium_memzero(token, sizeof token);
    }
    return done(code, &st);
}

/* One line per user: login, failures counted, locked until (or "-"). */
static int user_locks(db *d)
{
    enum { MAX = 1000 };
    rpc_status st;
    cred_lock *locks = calloc(MAX, sizeof *locks);
    int n = 0;
    if (!locks) {
        fprintf(stderr, "pmmctl: out of memory\n");
        return 1;
    }
    int code = cred_user_locks(d, locks, MAX, &n, &st);
    for (int i = 0; code == RPC_OK && i < n; i++) {
        char until[32] = "-";
        time_t t = (time_t)locks[i].locked_until_s;
        struct tm tm;
        if (t && gmtime_r(&t, &tm))
            strftime(until, sizeof until, "locked until %Y-%m-%dT%H:%M:%SZ", &tm);
        printf("%s\t%d failed\t%s\n", locks[i].login, locks[i].failed_logins, until);
    }
    free(locks);
    return done(code, &st);
}

int commands_run(db *d, int argc, char **argv, const char *role)
{
    int rc = -1;
    if (argc == 2 && strcmp(argv[0], "user") == 0 && strcmp(argv[1], "locks") == 0)
        rc = user_locks(d);
    else if (argc == 3 && strcmp(argv[0], "user") == 0)
        rc = user_command(d, argv[1], argv[2], role);
    else if (argc == 3 && strcmp(argv[0], "token") == 0)
        rc = token_command(d, argv[1], argv[2], role);
    if (rc < 0) {
        fprintf(stderr, "pmmctl: unknown command (see --help)\n%s", commands_usage);
        return 2;
    }
    return rc;
}
