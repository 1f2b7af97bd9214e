/* settings_change: upstream's ValidateSettings and UpdateSettings over the
 * settings model (see settings.h), and Go's duration text. */
#include "db/settings.h"
#include "db/settings_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- validation and change ----------------------------------------------- */

/* validators.validateDuration: at least min_ns, a multiple of multiple_ns.
 * 0 ok, 1 below the minimum, 2 not a multiple. */
static int check_duration(int64_t d, int64_t min_ns, int64_t multiple_ns)
{
    if (d < min_ns)
        return 1;
    return d % multiple_ns != 0 ? 2 : 0;
}

static const char *const aws_partitions[] = { "aws", "aws-cn", "aws-iso", "aws-us-gov" };

static int validate_aws_partitions(const settings_strings *l, char *err, size_t errlen)
{
    size_t known = sizeof aws_partitions / sizeof *aws_partitions;
    if (l->n > known) {
        snprintf(err, errlen, "aws_partitions: list is too long");
        return -1;
    }
    for (size_t i = 0; i < l->n; i++) {
        bool ok = false;
        for (size_t j = 0; j < known; j++)
            ok = ok || strcmp(l->v[i], aws_partitions[j]) == 0;
        if (!ok) {
            char q[512];
            rpc_quote(q, sizeof q, l->v[i]);
            snprintf(err, errlen, "aws_partitions: partition %s is invalid", q);
            return -1;
        }
    }
    return 0;
}

int settings_validate(const settings_params *p, char *err, size_t errlen)
{
    const struct {
        int64_t d;
        const char *name;
    } seconds[] = {
        { p->metrics_resolutions.hr, "hr" },
        { p->metrics_resolutions.mr, "mr" },
        { p->metrics_resolutions.lr, "lr" },
        { p->advisor_run_intervals.rare_interval, "rare_interval" },
        { p->advisor_run_intervals.standard_interval, "standard_interval" },
        { p->advisor_run_intervals.frequent_interval, "frequent_interval" },
    };
    for (size_t i = 0; i < sizeof seconds / sizeof *seconds; i++) {
        int bad = seconds[i].d ? check_duration(seconds[i].d, SETTINGS_NS_PER_SEC, SETTINGS_NS_PER_SEC) : 0;
        if (bad) {
            snprintf(err, errlen, "%s: %s", seconds[i].name,
                     bad == 1 ? "minimal resolution is 1s" : "should be a natural number of seconds");
            return -1;
        }
    }
    int bad = p->data_retention ? check_duration(p->data_retention, SETTINGS_NS_PER_DAY, SETTINGS_NS_PER_DAY) : 0;
    if (bad) {
        snprintf(err, errlen, "data_retention: %s",
                 bad == 1 ? "minimal resolution is 24h" : "should be a natural number of days");
        return -1;
    }
    return p->aws_partitions ? validate_aws_partitions(p->aws_partitions, err, errlen) : 0;
}

static void apply_bool(bool *dst, const bool *v)
{
    if (v)
        *dst = *v;
}

static void apply_dur(int64_t *dst, int64_t v)
{
    if (v)
        *dst = v;
}

int settings_apply(settings *s, const settings_params *p)
{
    apply_bool(&s->updates_enabled, p->enable_updates);
    apply_dur(&s->updates_snooze_duration, p->update_snooze_duration);
    if (p->enable_telemetry) {
        s->telemetry_enabled = *p->enable_telemetry;
        if (!s->telemetry_enabled && settings_set_str(&s->telemetry_uuid, "") != 0)
            return -1;
    }
    apply_dur(&s->metrics_resolutions.hr, p->metrics_resolutions.hr);
    apply_dur(&s->metrics_resolutions.mr, p->metrics_resolutions.mr);
    apply_dur(&s->metrics_resolutions.lr, p->metrics_resolutions.lr);
    apply_dur(&s->data_retention, p->data_retention);
    if (p->aws_partitions && settings_strings_set_dedup(&s->aws_partitions, p->aws_partitions) != 0)
        return -1;
    if (p->ssh_key && settings_set_str(&s->ssh_key, p->ssh_key) != 0)
        return -1;
    apply_bool(&s->advisors_enabled, p->enable_advisors);
    apply_dur(&s->advisor_run_intervals.rare_interval, p->advisor_run_intervals.rare_interval);
    apply_dur(&s->advisor_run_intervals.standard_interval, p->advisor_run_intervals.standard_interval);
    apply_dur(&s->advisor_run_intervals.frequent_interval, p->advisor_run_intervals.frequent_interval);
    apply_bool(&s->vm_cache_enabled, p->enable_vm_cache);
    if (p->pmm_public_address && settings_set_str(&s->pmm_public_address, p->pmm_public_address) != 0)
        return -1;
    apply_bool(&s->azure_discover_enabled, p->enable_azure_discover);
    apply_bool(&s->alerting_enabled, p->enable_alerting);
    apply_bool(&s->access_control_enabled, p->enable_access_control);
    apply_bool(&s->backup_management_enabled, p->enable_backup_management);
    apply_bool(&s->aws_instance_checked, p->aws_instance_checked);
    /* SaveSettings fills defaults again: an emptied partition list is ["aws"]. */
    return settings_fill_defaults(s);
}

int settings_update(db *d, const settings_params *p, settings *out, rpc_status *st)
{
    char err[1024];
    if (settings_validate(p, err, sizeof err) != 0)
        return rpc_fail(st, RPC_INVALID_ARGUMENT, "Invalid argument: %s.", err);
    if (db_begin(d, st) != RPC_OK)
        return st->code;
    settings s;
    int rc = settings_load_for_update(d, &s, st);
    if (rc != RPC_OK) {
        db_rollback(d);
        return rc;
    }
    if (settings_apply(&s, p) != 0)
        rc = rpc_fail(st, RPC_INTERNAL, "out of memory");
    else
        rc = settings_save(d, &s, st);
    if (rc == RPC_OK)
        rc = db_commit(d, st);
    else
        db_rollback(d);
    if (rc == RPC_OK && out)
        *out = s;
    else
        settings_free(&s);
    return rc;
}

/* ---- Go duration text ---------------------------------------------------- */

/* Writes v / 10^prec with trailing fractional zeros dropped ("1.5", "2"). */
static int frac(char *out, size_t outlen, uint64_t v, int prec)
{
    uint64_t pow = 1;
    for (int i = 0; i < prec; i++)
        pow *= 10;
    uint64_t whole = v / pow, rest = v % pow;
    if (!rest)
        return snprintf(out, outlen, "%" PRIu64, whole);
    char digits[24];
    int n = prec < (int)sizeof digits - 1 ? prec : (int)sizeof digits - 1;
    digits[n] = '\0';
    for (int i = n - 1; i >= 0; i--, rest /= 10)
        digits[i] = (char)('0' + rest % 10);
    while (n > 0 && digits[n - 1] == '0')
        digits[--n] = '\0';
    return snprintf(out, outlen, "%" PRIu64 ".%s", whole, digits);
}

void settings_duration_str(int64_t ns, char *out, size_t outlen)
{
    if (!outlen)
        return;
    const char *sign = ns < 0 ? "-" : "";
    uint64_t u = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
    char num[64];
    if (u == 0) {
        snprintf(out, outlen, "0s");
    } else if (u < 1000) {
        snprintf(out, outlen, "%s%" PRIu64 "ns", sign, u);
    } else if (u < 1000000) {
        frac(num, sizeof num, u, 3);
        snprintf(out, outlen, "%s%s\xc2\xb5s", sign, num);
    } else if (u < 1000000000) {
        frac(num, sizeof num, u, 6);
        snprintf(out, outlen, "%s%sms", sign, num);
    } else {
        uint64_t secs = u / 1000000000, h = secs / 3600, m = secs / 60 % 60;
        frac(num, sizeof num, u % 60000000000ULL, 9);
        if (h)
            snprintf(out, outlen, "%s%" PRIu64 "h%" PRIu64 "m%ss", sign, h, m, num);
        else if (m)
            snprintf(out, outlen, "%s%" PRIu64 "m%ss", sign, m, num);
        else
            snprintf(out, outlen, "%s%ss", sign, num);
    }
}
