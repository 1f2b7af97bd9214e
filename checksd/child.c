/* child: see child.h. */
#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <seccomp.h>

#include "clock.h"
#include "log.h"
#include "script.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

/* Largest request or answer a child takes or gives. */
#define MAX_MESSAGE (256u << 20)

/* What the zygote gets with each run's socket. */
typedef struct {
    uint32_t magic;
    int32_t mode;
    int32_t cpu_seconds;
    int32_t wall_ms;
    uint64_t data_bytes;
} run_header;
#define MAGIC 0x636b7364u

static int zygote_ctl = -1; /* our end of the zygote's control socket */
static pid_t zygote_pid = -1;
static pthread_mutex_t ctl_lock = PTHREAD_MUTEX_INITIALIZER;
static __thread long last_cpu_us;

long child_last_cpu_us(void)
{
    return last_cpu_us;
}

/* ---- plain I/O ------------------------------------------------------------------------- */

static int write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

static int read_all(int fd, void *p, size_t n)
{
    char *c = p;
    while (n) {
        ssize_t r = read(fd, c, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        c += r;
        n -= (size_t)r;
    }
    return 0;
}

/* ---- inside the child ------------------------------------------------------------------ */

/* The filter: the evaluator reads its request from fd, allocates, writes
 * its answer to fd (and may report on stderr), and exits. */
static int sandbox(int fd)
{
    scmp_filter_ctx f = seccomp_init(SCMP_ACT_KILL_PROCESS);
    if (!f)
        return -1;
    static const int plain[] = {
        SCMP_SYS(brk),          SCMP_SYS(mmap),         SCMP_SYS(munmap),    SCMP_SYS(mremap),
        SCMP_SYS(madvise),      SCMP_SYS(mprotect),     SCMP_SYS(exit),      SCMP_SYS(exit_group),
        SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask), SCMP_SYS(futex),   SCMP_SYS(clock_gettime),
        SCMP_SYS(gettimeofday), SCMP_SYS(getrusage),    SCMP_SYS(getpid),    SCMP_SYS(gettid),
        SCMP_SYS(sched_yield),  SCMP_SYS(close),
    };
    int rc = 0;
    for (size_t i = 0; i < sizeof plain / sizeof *plain && rc == 0; i++)
        rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, plain[i], 0);
    if (rc == 0)
        rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(read), 1, SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)fd));
    if (rc == 0)
        rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(write), 1, SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)fd));
    if (rc == 0)
        rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(write), 1, SCMP_A0(SCMP_CMP_EQ, 2));
    if (rc == 0)
        rc = seccomp_load(f);
    seccomp_release(f);
    return rc;
}

static void limits(const run_header *h)
{
    struct rlimit cpu = { (rlim_t)h->cpu_seconds, (rlim_t)h->cpu_seconds + 1 };
    struct rlimit none = { 0, 0 };
    setrlimit(RLIMIT_CPU, &cpu);
    setrlimit(RLIMIT_CORE, &none); /* SIGXCPU would dump core */
    if (!UNDER_ASAN) {
        struct rlimit data = { (rlim_t)h->data_bytes, (rlim_t)h->data_bytes };
        setrlimit(RLIMIT_DATA, &data);
    }
    struct itimerval wall = { .it_value = { h->wall_ms / 1000, (h->wall_ms % 1000) * 1000 } };
    signal(SIGALRM, SIG_DFL);
    setitimer(ITIMER_REAL, &wall, NULL);
}

static void test_misbehave(int mode, int fd)
{
    volatile unsigned long spin = 0;
    char c;
    switch (mode) {
    case CHILD_TEST_CRASH: abort();
    case CHILD_TEST_SYSCALL: (void)open("/etc/hostname", O_RDONLY); break;
    case CHILD_TEST_SPIN:
        for (;;)
            spin++;
    case CHILD_TEST_SLEEP: (void)read(fd, &c, 1); break;
    default: break;
    }
}

static __attribute__((noreturn)) void child_main(int fd, const run_header *h)
{
    limits(h);
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (sandbox(fd) != 0)
        _exit(3);
    uint64_t len = 0;
    if (read_all(fd, &len, sizeof len) != 0 || len > MAX_MESSAGE)
        _exit(4);
    test_misbehave(h->mode, fd);
    char *req = malloc(len ? len : 1);
    if (!req || read_all(fd, req, len) != 0)
        _exit(4);
    msgpack_sbuffer out;
    msgpack_sbuffer_init(&out);
    script_limits sl = { .max_memory = h->data_bytes };
    if (script_run(req, len, &sl, &out) != 0)
        _exit(5);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    uint64_t cpu = (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000u +
                   (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
    uint64_t olen = out.size;
    if (write_all(fd, &olen, sizeof olen) != 0 || write_all(fd, out.data, out.size) != 0 ||
        write_all(fd, &cpu, sizeof cpu) != 0)
        _exit(6);
    /* no atexit handlers, no leak report: the process is thrown away */
    _exit(0);
}

/* ---- the zygote ------------------------------------------------------------------------ */

static __attribute__((noreturn)) void zygote_main(int ctl)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    prctl(PR_SET_NAME, "checksd-zygote", 0, 0, 0);
    struct sigaction sa = { .sa_handler = SIG_IGN, .sa_flags = SA_NOCLDWAIT };
    sigaction(SIGCHLD, &sa, NULL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_IGN); /* Ctrl-C reaches the whole group: checksd decides */
    for (;;) {
        run_header h;
        char cbuf[CMSG_SPACE(sizeof(int))];
        struct iovec iov = { &h, sizeof h };
        struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
        ssize_t r = recvmsg(ctl, &m, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            _exit(0); /* checksd closed its end */
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        if (r != sizeof h || h.magic != MAGIC || !c || c->cmsg_type != SCM_RIGHTS)
            continue;
        int fd;
        memcpy(&fd, CMSG_DATA(c), sizeof fd);
        pid_t pid = fork();
        if (pid == 0) {
            close(ctl);
            child_main(fd, &h);
        }
        close(fd);
    }
}

int child_init(void)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(sv[0]);
        close(sv[1]);
        return -1;
    }
    if (pid == 0) {
        close(sv[0]);
        zygote_main(sv[1]);
    }
    close(sv[1]);
    zygote_ctl = sv[0];
    zygote_pid = pid;
    return 0;
}

void child_shutdown(void)
{
    if (zygote_ctl >= 0) {
        close(zygote_ctl);
        zygote_ctl = -1;
    }
    if (zygote_pid > 0) {
        waitpid(zygote_pid, NULL, 0);
        zygote_pid = -1;
    }
}

/* ---- the caller's side ------------------------------------------------------------------ */

/* Reads n bytes from fd before deadline (monotonic ms). 0, -1 (closed),
 * -2 (deadline). */
static int read_until(int fd, void *p, size_t n, int64_t deadline)
{
    char *c = p;
    while (n) {
        int64_t left = deadline - clock_mono_ms();
        if (left <= 0)
            return -2;
        struct pollfd pfd = { fd, POLLIN, 0 };
        int pr = poll(&pfd, 1, (int)(left > 1000 ? 1000 : left));
        if (pr < 0 && errno != EINTR)
            return -1;
        if (pr <= 0)
            continue;
        ssize_t r = read(fd, c, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        c += r;
        n -= (size_t)r;
    }
    return 0;
}

int child_run(const char *req, size_t len, const child_limits *lim, child_mode mode, msgpack_sbuffer *out,
              char *err, size_t errlen)
{
    last_cpu_us = 0;
    if (zygote_ctl < 0) {
        snprintf(err, errlen, "the script runner is not started");
        return -1;
    }
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        snprintf(err, errlen, "socketpair: %s", strerror(errno));
        return -1;
    }
    run_header h = { .magic = MAGIC, .mode = mode, .cpu_seconds = lim->cpu_seconds, .wall_ms = lim->wall_ms,
                     .data_bytes = lim->data_bytes };
    char cbuf[CMSG_SPACE(sizeof(int))];
    memset(cbuf, 0, sizeof cbuf);
    struct iovec iov = { &h, sizeof h };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &sv[1], sizeof(int));
    pthread_mutex_lock(&ctl_lock);
    ssize_t sent = sendmsg(zygote_ctl, &m, MSG_NOSIGNAL);
    pthread_mutex_unlock(&ctl_lock);
    close(sv[1]);
    if (sent != (ssize_t)sizeof h) {
        close(sv[0]);
        snprintf(err, errlen, "the script runner is gone: %s", strerror(errno));
        return -1;
    }
    int fd = sv[0];
    /* the child's own timer ends it; one more second covers its start */
    int64_t deadline = clock_mono_ms() + lim->wall_ms + 1000;
    uint64_t n = len, olen = 0, cpu = 0;
    int rc = -1;
    /* A child that dies while we write would raise SIGPIPE: MSG_NOSIGNAL. */
    if (send(fd, &n, sizeof n, MSG_NOSIGNAL) != (ssize_t)sizeof n) {
        snprintf(err, errlen, "the script process ended before it took its request");
        goto out;
    }
    for (size_t off = 0; off < len;) {
        ssize_t w = send(fd, req + off, len - off, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            snprintf(err, errlen, "the script process ended before it took its request");
            goto out;
        }
        off += (size_t)w;
    }
    int r = read_until(fd, &olen, sizeof olen, deadline);
    char *buf = NULL;
    if (r == 0 && olen > MAX_MESSAGE)
        r = -1;
    if (r == 0 && !(buf = malloc(olen ? olen : 1)))
        r = -1;
    if (r == 0)
        r = read_until(fd, buf, olen, deadline);
    if (r == 0)
        r = read_until(fd, &cpu, sizeof cpu, deadline);
    if (r == 0) {
        msgpack_sbuffer_write(out, buf, olen);
        last_cpu_us = (long)cpu;
        rc = 0;
    } else if (r == -2) {
        snprintf(err, errlen, "the script did not finish within %d ms", lim->wall_ms);
    } else {
        snprintf(err, errlen, "the script process was killed (CPU time, memory, a forbidden system call or a crash)");
    }
    free(buf);
out:
    close(fd); /* a child still running: its timer ends it */
    return rc;
}
