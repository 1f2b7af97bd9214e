/* hints: inventory and settings change hints to the stream loop (see hints.h). */
#include "hints.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus/bus.h"
#include "log.h"
#include "loop.h"
#include "sched.h"

static struct {
    bus_sub *sub;
    pthread_t thread;
    int started;
    atomic_int stop;
} H;

static void on_inventory(void *arg)
{
    (void)arg;
    sched_inventory_changed();
}

static void on_settings(void *arg)
{
    (void)arg;
    sched_all();
}

void hints_inventory_changed(void)
{
    loop_post(on_inventory, NULL);
}

static void *hints_main(void *arg)
{
    (void)arg;
    while (!atomic_load(&H.stop)) {
        char *topic = NULL;
        uint8_t *payload = NULL;
        size_t len = 0;
        int rc = bus_sub_recv(H.sub, 200, &topic, &payload, &len);
        if (rc < 0) {
            struct timespec pause = { 0, 100 * 1000 * 1000 };
            nanosleep(&pause, NULL);
        } else if (rc == 1) {
            if (strcmp(topic, "inventory.changed") == 0)
                loop_post(on_inventory, NULL);
            else if (strcmp(topic, "settings.changed") == 0)
                loop_post(on_settings, NULL);
            free(topic);
            free(payload);
        }
    }
    return NULL;
}

int hints_start(void *zmq_ctx, const char *run_dir)
{
    char inv[600], cfg[600];
    bus_pub_endpoint(inv, sizeof inv, run_dir, "inventoryd");
    bus_pub_endpoint(cfg, sizeof cfg, run_dir, "configd");
    H.sub = bus_sub_new(zmq_ctx);
    /* one subscription per topic: ZeroMQ applies each to every endpoint */
    if (!H.sub || bus_sub_connect(H.sub, inv, "inventory.changed") != 0 ||
        bus_sub_connect(H.sub, cfg, "settings.changed") != 0) {
        log_error("cannot subscribe to the inventory and settings hints");
        return -1;
    }
    if (pthread_create(&H.thread, NULL, hints_main, NULL) != 0)
        return -1;
    H.started = 1;
    return 0;
}

void hints_stop(void)
{
    if (H.started) {
        atomic_store(&H.stop, 1);
        pthread_join(H.thread, NULL);
        H.started = 0;
    }
    bus_sub_destroy(H.sub);
    H.sub = NULL;
}
