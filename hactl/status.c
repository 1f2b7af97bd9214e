/* status: the operators' view of this member (see status.h). */
#include "status.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"

#define STALE_MS 5000

static const char *role_name(node_role r)
{
    switch (r) {
    case NODE_LEADER: return "leader";
    case NODE_FOLLOWER: return "follower";
    case NODE_CANDIDATE: return "candidate";
    default: return "unavailable";
    }
}

void status_path(char *out, size_t len, const char *run_dir)
{
    snprintf(out, len, "%s/hactl.status", run_dir);
}

int status_write(const char *path, const status_info *s)
{
    const node_view *v = s->view;
    json_t *members = json_array();
    for (size_t i = 0; i < v->n_members; i++)
        json_array_append_new(members, json_pack("{s:s, s:s, s:b}", "address", v->members[i].address, "role",
                                                 v->members[i].voter ? "voter" : "nonvoter", "leader",
                                                 *v->leader_address && !strcmp(v->leader_address, v->members[i].address)));
    json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:b, s:{s:s, s:s}, s:o, s:I}", "node_id", s->node_id, "address",
                          s->address, "role", role_name(v->role), "term", (json_int_t)v->term, "leading", s->leading,
                          "leader", "address", v->leader_address, "node_id",
                          s->leader_node_id ? s->leader_node_id : "", "members", members, "updated_at_ms",
                          (json_int_t)clock_wall_ms());
    if (o)
        json_object_set_new(o, "ha_enabled", json_boolean(s->ha_enabled));
    if (!o)
        return -1;
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int rc = json_dump_file(o, tmp, JSON_INDENT(2)) == 0 && rename(tmp, path) == 0 ? 0 : -1;
    json_decref(o);
    if (rc)
        unlink(tmp);
    return rc;
}

int status_print(const char *path, int as_json)
{
    json_error_t err;
    json_t *o = json_load_file(path, 0, &err);
    if (!o) {
        fprintf(stderr, "hactl status: no status in %s: is hactl running? (%s)\n", path, err.text);
        return 1;
    }
    json_int_t at = json_integer_value(json_object_get(o, "updated_at_ms"));
    /* with HA off the file is written once, at start */
    int ha = json_is_true(json_object_get(o, "ha_enabled"));
    int stale = ha && clock_wall_ms() - at > STALE_MS;
    if (as_json) {
        json_object_set_new(o, "stale", json_boolean(stale));
        json_dumpf(o, stdout, JSON_INDENT(2));
        putchar('\n');
    } else if (!ha) {
        printf("HA disabled: node %s is the leader; every leader-only service runs here\n",
               json_string_value(json_object_get(o, "node_id")));
    } else {
        json_t *leader = json_object_get(o, "leader");
        const char *laddr = json_string_value(json_object_get(leader, "address"));
        const char *lnode = json_string_value(json_object_get(leader, "node_id"));
        printf("node:    %s (%s)\n", json_string_value(json_object_get(o, "node_id")),
               json_string_value(json_object_get(o, "address")));
        printf("role:    %s%s\n", json_string_value(json_object_get(o, "role")),
               json_is_true(json_object_get(o, "leading")) ? " (leader-only work runs here)" : "");
        printf("term:    %lld\n", (long long)json_integer_value(json_object_get(o, "term")));
        printf("leader:  %s%s%s%s\n", laddr && *laddr ? laddr : "(none known)", lnode && *lnode ? " (node " : "",
               lnode && *lnode ? lnode : "", lnode && *lnode ? ")" : "");
        printf("members:\n");
        size_t i;
        json_t *m;
        json_array_foreach(json_object_get(o, "members"), i, m)
            printf("  %s %s%s\n", json_string_value(json_object_get(m, "address")),
                   json_string_value(json_object_get(m, "role")),
                   json_is_true(json_object_get(m, "leader")) ? " leader" : "");
        if (stale)
            printf("STALE: hactl has not updated this for %lld s; it is not running\n",
                   (long long)(clock_wall_ms() - at) / 1000);
    }
    json_decref(o);
    return stale ? 1 : 0;
}
