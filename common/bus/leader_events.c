/* leader_events: hactl's announcements drive leader.h (see leader_events.h). */
#include "bus/leader_events.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "bus/bus.h"
#include "leader.h"
#include "log.h"

static struct {
    bus_sub *sub;
    pthread_t thread;
    volatile bool stop;
    bool running;
} lf;

static void *run(void *arg)
{
    (void)arg;
    int was = -1;
    int64_t was_term = -1;
    while (!lf.stop) {
        char *topic = NULL;
        uint8_t *payload = NULL;
        size_t len = 0;
        if (bus_sub_recv(lf.sub, 200, &topic, &payload, &len) == 1)
            leader_on_event(topic, payload, len);
        free(topic);
        free(payload);
        /* also notices a lease lapsing while hactl is silent */
        int64_t term = 0;
        int now = leader_current(&term);
        if (now != was || (now && term != was_term))
            log_info("HA: this server is now %s (term %lld)", now ? "the leader" : "a follower", (long long)term);
        was = now;
        was_term = term;
    }
    return NULL;
}

int leader_follow_start(void *zmq_ctx, const char *run_dir)
{
    char ep[600];
    bus_pub_endpoint(ep, sizeof ep, run_dir, "hactl");
    lf.stop = false;
    lf.sub = bus_sub_new(zmq_ctx);
    if (!lf.sub || bus_sub_connect(lf.sub, ep, LEADER_TOPIC) != 0 || bus_sub_connect(lf.sub, ep, FOLLOWER_TOPIC) != 0 ||
        pthread_create(&lf.thread, NULL, run, NULL) != 0) {
        log_error("HA: cannot follow %s", ep);
        bus_sub_destroy(lf.sub);
        lf.sub = NULL;
        return -1;
    }
    lf.running = true;
    return 0;
}

void leader_follow_stop(void)
{
    if (!lf.running)
        return;
    lf.stop = true;
    pthread_join(lf.thread, NULL);
    bus_sub_destroy(lf.sub);
    lf.sub = NULL;
    lf.running = false;
}
