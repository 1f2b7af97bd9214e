/* result_alerts: advisor results as Alertmanager alerts, the way PMM 2
 * surfaced failed checks (its checks service posted them to Alertmanager;
 * v3 keeps them in memory only, which this suite does too, and also
 * posts them, so failed checks reach the same Alertmanager as alert
 * rules). Each stored result is one alert: labels = the script's, then
 * the target's, then alertname (the check), severity, stt_check=1,
 * interval_group and alert_id; annotations summary, description and
 * read_more_url. Every result is re-sent every 30 s, and at once after a
 * run, with endsAt 90 s ahead: a result a run removed resolves within
 * 90 s. Only the leader sends. */
#ifndef CHECKSD_RESULT_ALERTS_H
#define CHECKSD_RESULT_ALERTS_H

#include <stdint.h>

typedef struct result_alerts result_alerts;

/* Starts the sender for Alertmanager at url ("http://host:port/"). NULL
 * on failure. */
result_alerts *result_alerts_start(const char *url);
void result_alerts_stop(result_alerts *a);

/* The body of POST /api/v2/alerts for the stored results (malloc'd JSON
 * array; "[]" when none), times in Unix ms. */
char *result_alerts_body(int64_t now_ms, int64_t ends_ms);

#endif
