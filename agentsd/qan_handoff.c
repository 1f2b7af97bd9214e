/* qan_handoff: QANCollect batches to qanfwd (see qan_handoff.h). */
#include "qan_handoff.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "log.h"

static void *sock;
static atomic_long handed, dropped;

int qan_handoff_init(void *zmq_ctx, const char *run_dir)
{
    char ep[600];
    snprintf(ep, sizeof ep, "ipc://%s/qanfwd.collect.sock", run_dir);
    sock = zmq_socket(zmq_ctx, ZMQ_PUSH);
    if (!sock)
        return -1;
    int hwm = QAN_HANDOFF_HWM, linger = 1000;
    zmq_setsockopt(sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    /* at a stop, a second to hand over what is still queued */
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_connect(sock, ep) != 0) {
        log_error("cannot connect %s: %s", ep, zmq_strerror(zmq_errno()));
        zmq_close(sock);
        sock = NULL;
        return -1;
    }
    return 0;
}

void qan_handoff(const char *agent_id, const Agent__V1__QANCollectRequest *req)
{
    size_t len = agent__v1__qancollect_request__get_packed_size(req);
    zmq_msg_t body;
    if (!sock || zmq_msg_init_size(&body, len) != 0) {
        atomic_fetch_add(&dropped, 1);
        return;
    }
    agent__v1__qancollect_request__pack(req, zmq_msg_data(&body));
    if (zmq_send(sock, agent_id, strlen(agent_id), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&body);
        if (atomic_fetch_add(&dropped, 1) == 0)
            log_warn("QAN data of pmm-agent %s dropped: qanfwd does not take it (%s)", agent_id,
                     zmq_strerror(zmq_errno()));
        return;
    }
    /* the first frame is in: the second cannot be refused */
    if (zmq_msg_send(&body, sock, 0) < 0) {
        zmq_msg_close(&body);
        atomic_fetch_add(&dropped, 1);
        return;
    }
    atomic_fetch_add(&handed, 1);
}

void qan_handoff_close(void)
{
    if (sock)
        zmq_close(sock);
    sock = NULL;
}

void qan_handoff_metrics(FILE *f)
{
    fprintf(f,
            "# HELP pmm_managed_qan_handoff_total QANCollect batches agentsd handed to qanfwd.\n"
            "# TYPE pmm_managed_qan_handoff_total counter\n"
            "pmm_managed_qan_handoff_total %ld\n"
            "# HELP pmm_managed_qan_handoff_dropped_total QANCollect batches agentsd dropped: qanfwd was away too long.\n"
            "# TYPE pmm_managed_qan_handoff_dropped_total counter\n"
            "pmm_managed_qan_handoff_dropped_total %ld\n",
            atomic_load(&handed), atomic_load(&dropped));
}
