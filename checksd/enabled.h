/* enabled: the settings switches checksd's two APIs answer behind
 * (advisors reference §8, §10): FailedPrecondition with upstream's text
 * when the feature is off. */
#ifndef CHECKSD_ENABLED_H
#define CHECKSD_ENABLED_H

#include "bus/bus.h"

typedef enum { FEATURE_ADVISORS, FEATURE_ALERTING } checksd_feature;

/* RPC_OK when on; the settings' read error, or FAILED_PRECONDITION
 * "Advisor checks are disabled." / "Alerting is disabled" (upstream's
 * services.ErrAlertingDisabled text, FailedPrecondition as its service tests expect) in ctx. */
int checksd_require(rpc_ctx *ctx, checksd_feature f);

/* INTERNAL "out of memory" in ctx. */
int checksd_oom(rpc_ctx *ctx);

#endif
