/* cred_watch: LISTEN for credential changes, publish them (cred_watch.h). */
#include "cred_watch.h"

#include <stdio.h>
#include <string.h>

#include "bus/credential_events.h"
#include "db/credentials.h"
#include "db/listen.h"

static struct {
    bus_pub *pub;
    pg_listen *l;
} W;

/* "user:alice" -> kind "user", name "alice". */
static void relay(void *arg, const char *payload)
{
    (void)arg;
    const char *colon = strchr(payload, ':');
    if (!colon || colon == payload) {
        credential_events_changed(W.pub, "all", "");
        return;
    }
    char kind[16];
    snprintf(kind, sizeof kind, "%.*s", (int)(colon - payload), payload);
    credential_events_changed(W.pub, kind, colon + 1);
}

/* (re)connected: what was changed meanwhile is unknown */
static void missed(void *arg)
{
    (void)arg;
    credential_events_changed(W.pub, "all", "");
}

int cred_watch_start(const db_params *p, bus_pub *pub)
{
    W.pub = pub;
    pg_listen_config c = { .db = p, .app_name = "inventoryd", .channel = CRED_CHANNEL, .on_notify = relay,
                           .on_listen = missed };
    W.l = pg_listen_start(&c);
    return W.l ? 0 : -1;
}

void cred_watch_stop(void)
{
    pg_listen_stop(W.l);
    W.l = NULL;
}
