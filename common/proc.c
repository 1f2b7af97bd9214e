/* proc: run a helper program with a time limit and collect its output. */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

extern char **environ;

static int append(proc_result *r, size_t *cap, const char *buf, size_t n, size_t max_out)
{
    if (r->len >= max_out)
        return 0;
    if (n > max_out - r->len)
        n = max_out - r->len;
    if (r->len + n + 1 > *cap) {
        size_t c = *cap ? *cap : 4096;
        while (c < r->len + n + 1)
            c *= 2;
        char *p = realloc(r->out, c);
        if (!p)
            return -1;
        r->out = p;
        *cap = c;
    }
    memcpy(r->out + r->len, buf, n);
    r->len += n;
    r->out[r->len] = '\0';
    return 0;
}

static pid_t spawn(const char *const argv[], int wfd, proc_result *r)
{
    posix_spawn_file_actions_t fa;
    pid_t pid = -1;
    if (posix_spawn_file_actions_init(&fa) != 0) {
        snprintf(r->error, sizeof r->error, "out of memory");
        return -1;
    }
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, wfd, 1);
    posix_spawn_file_actions_adddup2(&fa, wfd, 2);
    /* The child starts with default signal dispositions (SIGPIPE ignored here). */
    posix_spawnattr_t attr;
    sigset_t def;
    sigemptyset(&def);
    sigaddset(&def, SIGPIPE);
    posix_spawnattr_init(&attr);
    posix_spawnattr_setsigdefault(&attr, &def);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
    int err = posix_spawnp(&pid, argv[0], &fa, &attr, (char *const *)argv, environ);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    if (err != 0) {
        snprintf(r->error, sizeof r->error, "exec: \"%s\": %s", argv[0], strerror(err));
        return -1;
    }
    return pid;
}

/* Reads the pipe until EOF or the deadline. 1 on EOF, 0 on timeout, -1 on error. */
static int drain(int fd, long long deadline, size_t max_out, proc_result *r)
{
    size_t cap = 0;
    char buf[8192];
    for (;;) {
        long long left = deadline - clock_mono_ms();
        if (left <= 0)
            return 0;
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int n = poll(&p, 1, left > 1000 ? 1000 : (int)left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            continue;
        ssize_t got = read(fd, buf, sizeof buf);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return -1;
        if (got == 0)
            return 1;
        if (append(r, &cap, buf, (size_t)got, max_out) != 0)
            return -1;
    }
}

int proc_run(const char *const argv[], int timeout_ms, size_t max_out, proc_result *r)
{
    memset(r, 0, sizeof *r);
    r->exit_code = -1;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        snprintf(r->error, sizeof r->error, "pipe: %s", strerror(errno));
        return -1;
    }
    pid_t pid = spawn(argv, fds[1], r);
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        return -1;
    }
    long long deadline = clock_mono_ms() + (timeout_ms > 0 ? timeout_ms : 10000);
    int eof = drain(fds[0], deadline, max_out, r);
    close(fds[0]);
    /* A child may close its output and go on running: wait for it until
     * the deadline too, then it must not outlive the call. */
    int status = 0;
    pid_t got = 0;
    while (eof == 1 && (got = waitpid(pid, &status, WNOHANG)) == 0 && clock_mono_ms() < deadline) {
        struct timespec ts = { 0, 5 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    if (got <= 0) {
        kill(pid, SIGKILL);
        r->timed_out = eof != -1;
        while (waitpid(pid, &status, 0) < 0)
            if (errno != EINTR) {
                snprintf(r->error, sizeof r->error, "wait: %s", strerror(errno));
                return -1;
            }
    }
    if (WIFEXITED(status)) {
        r->exit_code = WEXITSTATUS(status);
        if (r->exit_code != 0)
            snprintf(r->error, sizeof r->error, "exit status %d", r->exit_code);
    } else if (WIFSIGNALED(status)) {
        r->signal = WTERMSIG(status);
        snprintf(r->error, sizeof r->error, "signal: %s", r->signal == SIGKILL ? "killed" : strsignal(r->signal));
    }
    if (r->timed_out)
        snprintf(r->error, sizeof r->error, "%s: no answer within %d ms", argv[0], timeout_ms);
    return r->exit_code == 0 && !r->timed_out ? 0 : -1;
}

void proc_result_clear(proc_result *r)
{
    free(r->out);
    memset(r, 0, sizeof *r);
}
