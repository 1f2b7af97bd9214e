/* child: each check script runs in a child process of its own, with
 * upstream's limits (RLIMIT_CPU 4 s, RLIMIT_DATA 1 GiB; a 5 s wall clock)
 * and a seccomp filter that lets it do no more than the evaluator needs
 * (read its request, allocate, write its answer, exit). A script that
 * loops, allocates without bound or crashes the evaluator loses its own
 * result; checksd goes on.
 *
 * Forking a multithreaded daemon is unsafe (another thread may hold the
 * allocator's lock), so child_init forks a small single-threaded "zygote"
 * before checksd starts any thread; each run sends the zygote one end of
 * a fresh socket pair, the zygote forks a child that inherits it, and the
 * caller talks to the child directly. The zygote dies with checksd
 * (PR_SET_PDEATHSIG, and the end of its control socket).
 *
 * Under AddressSanitizer RLIMIT_DATA is not set (the sanitizer's shadow
 * mappings alone exceed it); the interpreter's own memory budget
 * (data_bytes as well) bounds the script there, and everywhere. */
#ifndef CHECKSD_CHILD_H
#define CHECKSD_CHILD_H

#include <stddef.h>

#include <msgpack.h>

typedef struct {
    int cpu_seconds;   /* RLIMIT_CPU soft limit (hard: one more) */
    size_t data_bytes; /* RLIMIT_DATA and the interpreter's memory budget */
    int wall_ms;       /* the child's own timer, and the caller's wait */
} child_limits;

/* Upstream's: 4 s of CPU, 1 GiB, 5 s. */
#define CHILD_LIMITS_DEFAULT ((child_limits){ .cpu_seconds = 4, .data_bytes = 1u << 30, .wall_ms = 5000 })

/* What a run does besides the script: tests make the sandboxed child
 * misbehave in ways no script can. */
typedef enum {
    CHILD_RUN_SCRIPT = 0,
    CHILD_TEST_CRASH,   /* abort() inside the sandbox */
    CHILD_TEST_SYSCALL, /* open() a file: the filter kills the child */
    CHILD_TEST_SPIN,    /* loop in C: the CPU limit or the timer kills it */
    CHILD_TEST_SLEEP,   /* block in read(): the wall timer kills it */
} child_mode;

/* Forks the zygote. Call once, before any thread exists. 0 or -1. */
int child_init(void);
/* Closes the zygote's control socket (it exits). */
void child_shutdown(void);

/* Runs a script request (script.h) in a sandboxed child and puts its
 * answer into out. 0, or -1 with the reason in err: the child was
 * killed (limits, filter, crash) or did not answer in time. */
int child_run(const char *req, size_t len, const child_limits *lim, child_mode mode, msgpack_sbuffer *out,
              char *err, size_t errlen);

/* CPU time (user + system) of the last finished child run of the calling
 * thread, in microseconds, as the child measured it (0 when unknown). */
long child_last_cpu_us(void);

#endif
