/* vmagent: push-mode scrape configuration (vmagent.h). The
 * jobs are the server file's own renderer's: each agent is rendered as a
 * pull-mode agent whose host is 127.0.0.1, as upstream's AddScrapeConfigs
 * does with pushMetrics set. */
#include "vmagent.h"

#include <stdlib.h>
#include <string.h>

#include "load.h"

#define PMM_SERVER_AGENT_ID "pmm-server"

static int agent_cmp(const void *a, const void *b)
{
    return scrape_agent_cmp(a, b);
}

int scrape_render_push(const scrape_input *in, scrape_buf *out)
{
    sbuf_reset(out);
    size_t n = in->n_agents;
    scrape_agent *local = malloc((n ? n : 1) * sizeof *local);
    const scrape_agent **rds = malloc((n ? n : 1) * sizeof *rds);
    scrape_buf jobs = { 0 };
    int rc = -1;
    if (!local || !rds)
        goto out;
    size_t m = 0, n_rds = 0;
    for (size_t i = 0; i < n; i++) {
        if (!in->agents[i].push_metrics)
            continue;
        local[m] = in->agents[i];
        local[m].push_metrics = false; /* wanted as pull-mode agents are */
        local[m].host = "127.0.0.1";   /* vmagent scrapes its neighbours */
        if (scrape_agent_wanted(&local[m]))
            m++;
    }
    qsort(local, m, sizeof *local, agent_cmp);
    for (size_t i = 0; i < m; i++) {
        if (strcmp(local[i].type, "rds_exporter") == 0)
            rds[n_rds++] = &local[i];
        else
            scrape_render_agent(in, &local[i], &jobs);
    }
    scrape_render_rds(in, rds, n_rds, &jobs);
    /* yaml.Marshal of a Config with only agent jobs: an empty global
     * mapping, and no scrape_configs key when there are none */
    sbuf_puts(out, "global: {}\n");
    if (jobs.len) {
        sbuf_puts(out, "scrape_configs:\n");
        sbuf_puts(out, jobs.data);
    }
    rc = jobs.failed || out->failed ? -1 : 0;
out:
    sbuf_free(&jobs);
    free(local);
    free(rds);
    return rc;
}

/* pmm-server: the file the server's VictoriaMetrics gets, rendered now. */
static int server_config(db *d, const scrape_state_config *cfg, scrape_buf *out, rpc_status *st)
{
    scrape_input in = { .vm_url = cfg->vm.url ? cfg->vm.url : "http://127.0.0.1:9090/prometheus/",
                        .vmalert_url = cfg->vmalert_url, .managed_target = cfg->managed_target };
    scrape_rows rows = { 0 };
    char *base = NULL, err[512];
    struct stat sb;
    int rc = scrape_load_settings(d, &in.res, &in.nomad, st);
    if (rc == RPC_OK)
        rc = scrape_state_read_base(cfg->base_path, &base, &sb, st);
    if (rc == RPC_OK)
        rc = scrape_load_agents(d, NULL, 0, &rows, st);
    if (rc == RPC_OK) {
        in.base = base;
        in.agents = rows.agents;
        in.n_agents = rows.n;
        if (scrape_render(&in, out, err, sizeof err) != 0)
            rc = rpc_fail(st, RPC_FAILED_PRECONDITION, "%s", err);
    }
    scrape_rows_free(&rows);
    free(base);
    return rc;
}

int scrape_vmagent_config(db *d, const scrape_state_config *cfg, const char *pmm_agent_id, scrape_buf *out,
                          rpc_status *st)
{
    if (strcmp(pmm_agent_id, PMM_SERVER_AGENT_ID) == 0)
        return server_config(d, cfg, out, st);
    scrape_input in = { 0 };
    scrape_rows rows = { 0 };
    int rc = scrape_load_settings(d, &in.res, &in.nomad, st);
    if (rc == RPC_OK)
        rc = scrape_load_push(d, pmm_agent_id, &rows, st);
    if (rc == RPC_OK) {
        in.agents = rows.agents;
        in.n_agents = rows.n;
        if (scrape_render_push(&in, out) != 0)
            rc = rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    scrape_rows_free(&rows);
    return rc;
}
