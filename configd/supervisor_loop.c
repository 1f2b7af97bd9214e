/* supervisor_loop: re-renders program files and syncs vmalert's rules
 * (supervisor_loop.h). */
#include "supervisor_loop.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "bus/bus.h"
#include "log.h"
#include "db/settings.h"
#include "alertmanager.h"

#define RECONCILE_MS 60000   /* programs re-rendered even without an event */
#define RETRY_MS 5000        /* after a failed render or reload */
#define SETTINGS_RETRY_MS 1000 /* the settings row may not exist yet at first start */

struct supervisor_loop {
    const supervisor_loop_config *cfg;
    pthread_t thread;
    volatile sig_atomic_t stop;
};

/* Renders and applies every program. 0 when all are current, -2 when the
 * settings cannot be read, -1 when a program failed. */
static int update_programs(const supervisor_loop_config *cfg, db *d)
{
    settings s;
    rpc_status st = { 0 };
    if (!d || settings_load(d, &s, &st) != RPC_OK) {
        log_debug("supervisord programs: cannot read the settings yet: %s", st.message);
        return -2;
    }
    programs_settings ps = { .data_retention = s.data_retention, .vm_cache_enabled = s.vm_cache_enabled,
                             .pmm_public_address = s.pmm_public_address };
    int failed = 0;
    if (alertmanager_sync(&cfg->alertmanager, &st) < 0) {
        log_error("alertmanager: %s", st.message);
        failed = 1;
    }
    struct {
        const char *name;
        char *content;
    } progs[] = {
        { "victoriametrics", cfg->victoriametrics ? programs_render_victoriametrics(&cfg->programs, &ps) : NULL },
        { "vmalert", programs_render_vmalert(&cfg->programs) },
        { "alertmanager", programs_render_alertmanager(&cfg->programs, &ps) },
    };
    settings_free(&s);
    for (size_t i = 0; i < sizeof progs / sizeof *progs; i++) {
        if (!progs[i].content) {
            if (i == 1 || (i == 0 && cfg->victoriametrics) || (i == 2 && *cfg->alertmanager.url)) {
                log_error("%s: cannot render its program file (check the URLs)", progs[i].name);
                failed = 1;
            }
            continue;
        }
        if (supervisor_save_and_apply(&cfg->sup, progs[i].name, progs[i].content, &st) < 0) {
            log_error("%s: %s", progs[i].name, st.message);
            failed = 1;
        }
        free(progs[i].content);
    }
    return failed ? -1 : 0;
}

static void *run(void *arg)
{
    supervisor_loop *l = arg;
    const supervisor_loop_config *cfg = l->cfg;
    db *d = db_new(cfg->db);
    if (d)
        db_set_application_name(d, "configd-supervisor");
    bus_sub *sub = bus_sub_new(cfg->zmq_ctx);
    char ep[4200];
    bus_pub_endpoint(ep, sizeof ep, cfg->run_dir, "configd");
    if (!sub || bus_sub_connect(sub, ep, "settings.changed") != 0)
        log_warn("cannot subscribe to settings.changed; programs are re-rendered every minute");
    vmalert_state rules = { 0 };
    long long next_programs = 0, next_rules = 0;
    int reload_pending = 0;
    while (!l->stop) {
        long long now = clock_mono_ms();
        if (now >= next_rules) {
            rpc_status st = { 0 };
            if (vmalert_sync_rules(&cfg->vmalert, &rules, &st) > 0)
                reload_pending = 1;
            if (reload_pending) {
                if (vmalert_reload(&cfg->vmalert, &st) == RPC_OK) {
                    log_info("vmalert configuration reloaded");
                    reload_pending = 0;
                } else {
                    log_warn("%s; will retry", st.message);
                }
            }
            next_rules = now + (reload_pending ? RETRY_MS : cfg->rules_interval_ms);
        }
        if (now >= next_programs) {
            int rc = update_programs(cfg, d);
            next_programs = now + (rc == 0 ? RECONCILE_MS : rc == -2 ? SETTINGS_RETRY_MS : RETRY_MS);
        }
        char *topic = NULL;
        uint8_t *payload = NULL;
        size_t len;
        if (sub && bus_sub_recv(sub, 200, &topic, &payload, &len) == 1) {
            log_debug("%s: re-rendering supervisord programs", topic);
            next_programs = 0;
        }
        free(topic);
        free(payload);
        if (!sub) {
            struct timespec ts = { 0, 200 * 1000 * 1000 };
            nanosleep(&ts, NULL);
        }
    }
    vmalert_state_clear(&rules);
    bus_sub_destroy(sub);
    db_destroy(d);
    return NULL;
}

supervisor_loop *supervisor_loop_start(const supervisor_loop_config *cfg)
{
    supervisor_loop *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->cfg = cfg;
    if (pthread_create(&l->thread, NULL, run, l) != 0) {
        free(l);
        return NULL;
    }
    return l;
}

void supervisor_loop_stop(supervisor_loop *l)
{
    if (!l)
        return;
    l->stop = 1;
    pthread_join(l->thread, NULL);
    free(l);
}
