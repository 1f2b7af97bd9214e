/* uievents: see uievents.h. */
#include "uievents.h"

#include <stdatomic.h>

#include "google/protobuf/empty.pb-c.h"
#include "pbutil.h"
#include "uievents/v1/server.pb-c.h"

/* StoreRequest's repeated fields, in field order. */
static const char *const kinds[] = { "notifications", "fetching", "dashboard_usage", "user_flow_events" };
#define N_KINDS (sizeof kinds / sizeof *kinds)

static atomic_long stores;
static atomic_long events[N_KINDS];

static int store(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Uievents__V1__StoreRequest *r = (const Uievents__V1__StoreRequest *)in;
    const size_t n[N_KINDS] = { r->n_notifications, r->n_fetching, r->n_dashboard_usage, r->n_user_flow_events };
    *out = pb_new(&google__protobuf__empty__descriptor);
    if (!*out)
        return rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
    atomic_fetch_add(&stores, 1);
    for (size_t i = 0; i < N_KINDS; i++)
        atomic_fetch_add(&events[i], (long)n[i]);
    return RPC_OK;
}

void uievents_metrics(FILE *f)
{
    fprintf(f,
            "# HELP pmm_managed_ui_events_store_requests_total UI event batches accepted (uievents.v1 Store).\n"
            "# TYPE pmm_managed_ui_events_store_requests_total counter\n"
            "pmm_managed_ui_events_store_requests_total %ld\n"
            "# HELP pmm_managed_ui_events_total UI events accepted, by kind.\n"
            "# TYPE pmm_managed_ui_events_total counter\n",
            atomic_load(&stores));
    for (size_t i = 0; i < N_KINDS; i++)
        fprintf(f, "pmm_managed_ui_events_total{kind=\"%s\"} %ld\n", kinds[i], atomic_load(&events[i]));
}

const rpc_method uievents_methods[] = {
    { "/uievents.v1.UIEventsService/Store", &uievents__v1__store_request__descriptor, store },
};
const size_t uievents_methods_count = sizeof uievents_methods / sizeof *uievents_methods;
