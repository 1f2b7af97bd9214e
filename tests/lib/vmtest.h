/* vmtest: a throwaway VictoriaMetrics (/usr/bin/victoria-metrics) for
 * integration tests: started on a free 127.0.0.1 port with its data in a
 * temporary directory and the suite's path prefix /prometheus, samples
 * imported in the Prometheus text format, stopped by pid. */
#ifndef PMM_VMTEST_H
#define PMM_VMTEST_H

#include <sys/types.h>

typedef struct {
    pid_t pid;
    int port;
    char dir[256];
    char url[128]; /* http://127.0.0.1:PORT/prometheus/, what --victoriametrics-url takes */
} vmtest;

/* Starts it and waits until it answers /health. Returns 0, or -1 with a
 * message on stderr (the binary missing, no start within 20 s). */
int vmtest_start(vmtest *v);

/* Imports lines ("up{job=\"x_hr\",node_id=\"n\"} 1\n...", stamped now) and
 * waits until queries see them (about a second). Returns 0 or -1 (stderr). */
int vmtest_import(const vmtest *v, const char *lines);

/* Stops it (SIGTERM, then SIGKILL after 10 s) and removes its data. */
void vmtest_stop(vmtest *v);

/* A 127.0.0.1 port nothing listens on right now (bound and closed). */
int vmtest_free_port(void);

#endif
