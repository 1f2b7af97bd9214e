/* status: what `hactl status` shows operators (this node, its role and
 * term, the leader, the members). The daemon writes it as JSON to
 * <run-dir>/hactl.status every second (atomically: a temporary file
 * renamed); the command reads it, so it needs neither the bus nor raft. */
#ifndef HACTL_STATUS_H
#define HACTL_STATUS_H

#include <stdint.h>

#include "node.h"

typedef struct {
    const char *node_id;
    const char *address;
    const node_view *view;
    const char *leader_node_id; /* from the fence, when its term is the view's; may be "" */
    bool leading;               /* what this node announces (fence passed) */
    bool ha_enabled;            /* false: this node leads, the file is written once */
} status_info;

/* <run_dir>/hactl.status into out. */
void status_path(char *out, size_t len, const char *run_dir);
/* 0 or -1 (logged once per failure streak by the caller). */
int status_write(const char *path, const status_info *s);
/* `hactl status`: prints the file readably to stdout; a status older than
 * 5 s says hactl is not running. Exit status: 0, 1 (stale or missing). */
int status_print(const char *path, int json);

#endif
