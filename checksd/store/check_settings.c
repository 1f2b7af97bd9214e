/* check_settings: see check_settings.h. */
#include "check_settings.h"

json_t *store_check_settings_list(db *d, rpc_status *st)
{
    return store_rows(d, "SELECT name, interval FROM check_settings ORDER BY name", 0, NULL, st);
}

int store_check_settings_set(db *d, const char *name, const char *interval, rpc_status *st)
{
    return store_write(d,
                       "INSERT INTO check_settings (name, interval) VALUES ($1, $2) "
                       "ON CONFLICT (name) DO UPDATE SET interval = EXCLUDED.interval",
                       2, (const char *[]){ name, interval }, NULL, st);
}
