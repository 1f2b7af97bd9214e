/* auth_revoke: credentials.changed -> auth_cache_forget (auth_revoke.h). */
#include "auth_revoke.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth_cache.h"
#include "bus/bus.h"
#include "bus/credential_events.h"
#include "log.h"

static struct {
    bus_sub *sub;
    pthread_t thread;
    bool started;
    atomic_int stop;
} R;

static void on_hint(const uint8_t *payload, size_t len)
{
    char kind[16], name[256];
    if (credential_events_parse(payload, len, kind, sizeof kind, name, sizeof name) != 0) {
        log_warn("ignoring a malformed %s hint", CREDENTIAL_EVENTS_TOPIC);
        return;
    }
    if (strcmp(kind, "all") == 0)
        auth_cache_clear();
    else
        auth_cache_forget(name);
    log_debug("credentials changed (%s %s): cached answers forgotten", kind, name);
}

static void *revoke_main(void *arg)
{
    (void)arg;
    while (!atomic_load(&R.stop)) {
        char *topic = NULL;
        uint8_t *payload = NULL;
        size_t len = 0;
        int rc = bus_sub_recv(R.sub, 200, &topic, &payload, &len);
        if (rc < 0) {
            struct timespec pause = { 0, 100 * 1000 * 1000 };
            nanosleep(&pause, NULL);
        } else if (rc == 1) {
            if (strcmp(topic, CREDENTIAL_EVENTS_TOPIC) == 0)
                on_hint(payload, len);
            free(topic);
            free(payload);
        }
    }
    return NULL;
}

int auth_revoke_start(void *zmq_ctx, const char *run_dir)
{
    char ep[600];
    bus_pub_endpoint(ep, sizeof ep, run_dir, "inventoryd");
    R.sub = bus_sub_new(zmq_ctx);
    if (!R.sub || bus_sub_connect(R.sub, ep, CREDENTIAL_EVENTS_TOPIC) != 0) {
        log_error("cannot subscribe to %s on %s", CREDENTIAL_EVENTS_TOPIC, ep);
        return -1;
    }
    atomic_store(&R.stop, 0);
    if (pthread_create(&R.thread, NULL, revoke_main, NULL) != 0)
        return -1;
    R.started = true;
    return 0;
}

void auth_revoke_stop(void)
{
    if (R.started) {
        atomic_store(&R.stop, 1);
        pthread_join(R.thread, NULL);
        R.started = false;
    }
    bus_sub_destroy(R.sub);
    R.sub = NULL;
}
