/* proc: run a helper program (supervisorctl, vmalert -dryRun, ...) and
 * collect what it prints, as Go's exec.Cmd.CombinedOutput does, with a
 * time limit: the daemons are multi-threaded, so posix_spawn, never a bare
 * fork, and the child is killed when the limit passes. */
#ifndef PMM_PROC_H
#define PMM_PROC_H

#include <stddef.h>

typedef struct {
    char *out;        /* stdout and stderr interleaved, NUL-terminated (malloc'd) */
    size_t len;
    int exit_code;    /* exit status, or -1 when killed by a signal / not run */
    int signal;       /* the signal that ended it, 0 otherwise */
    int timed_out;    /* killed because the time limit passed */
    char error[256];  /* "" on exit status 0; else Go's text: "exit status 3",
                         "signal: killed", or why it could not run */
} proc_result;

/* Runs argv[0] (looked up on PATH when it has no '/') with argv, stdin
 * from /dev/null. Keeps at most max_out bytes of output (the rest is read
 * and dropped). Returns 0 when the program ran and exited 0; -1 otherwise
 * (r->error says why). Always free r with proc_result_clear. */
int proc_run(const char *const argv[], int timeout_ms, size_t max_out, proc_result *r);
void proc_result_clear(proc_result *r);

#endif
