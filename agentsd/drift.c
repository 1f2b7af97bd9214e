/* drift: ping arithmetic and version syntax (see drift.h). */
#include "drift.h"

#include <ctype.h>
#include <string.h>

void drift_compute(int64_t sent_us, int64_t received_us, int64_t agent_us, int64_t *rtt_us,
                   int64_t *drift_us)
{
    int64_t rtt = received_us - sent_us;
    if (rtt < 0)
        rtt = 0; /* the wall clock stepped back during the ping */
    int64_t d = agent_us - sent_us - rtt / 2;
    *rtt_us = rtt;
    *drift_us = d < 0 ? -d : d;
}

static const char *digits(const char *p)
{
    if (!isdigit((unsigned char)*p))
        return NULL;
    while (isdigit((unsigned char)*p))
        p++;
    return p;
}

bool agent_version_valid(const char *v)
{
    if (!v)
        return false;
    if (*v == 'v')
        v++;
    for (int part = 0; part < 3; part++) {
        v = digits(v);
        if (!v)
            return false;
        if (part < 2) {
            if (*v != '.')
                return false;
            v++;
        }
    }
    return *v == '\0' || (*v == '-' && v[1] != '\0');
}
