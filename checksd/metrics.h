/* metrics: checksd's counters as upstream's (namespace pmm_managed,
 * subsystem advisor; advisors reference §7), served as
 * internal.v1.MetricsService/Metrics for the gateway's /debug/metrics:
 *   pmm_managed_advisor_checks_executed_total{service_type, advisor, check_name, status="ok"|"error"}
 *   pmm_managed_advisor_checks_available{service_type, advisor, check_name} (the enabled checks)
 *   pmm_managed_advisor_check_execution_time_seconds{service_type, advisor, check_name} (a summary)
 *   pmm_managed_advisor_check_insights{service_type, advisor, check_name} (stored results)
 * plus pmm_managed_advisor_script_cpu_seconds_total, the CPU the script
 * processes used. Thread-safe. */
#ifndef CHECKSD_METRICS_H
#define CHECKSD_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "bus/bus.h"
#include "model.h"

/* One execution of a check on one target. */
void metrics_executed(const char *service_type, const char *advisor, const char *check_name, bool ok,
                      double seconds, long script_cpu_us);
/* The checks that are loaded and enabled now (replaces the last set). */
void metrics_available(const check_set *s, const char *const *disabled, size_t n_disabled);
/* The Prometheus text (malloc'd). */
char *metrics_text(void);

extern const rpc_method metrics_methods[];
extern const size_t metrics_methods_count;

#endif
