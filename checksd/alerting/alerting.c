/* alerting: see alerting.h. */
#include "alerting.h"

#include <stdlib.h>

struct alerting {
    alerting_config cfg;
};

alerting *alerting_start(const alerting_config *cfg, db *d)
{
    (void)d;
    alerting *a = calloc(1, sizeof *a);
    if (a)
        a->cfg = *cfg;
    return a;
}

void alerting_stop(alerting *a)
{
    free(a);
}

const rpc_method alerting_methods[] = { { NULL, NULL, NULL } };
const size_t alerting_methods_count = 0;
