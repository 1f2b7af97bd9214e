/* credit: crediting the gateways for the frames agentsd is done with (see
 * credit.h). */
#include "credit.h"

#include "loop.h"
#include "bus/stream_msg.h"

int credit_hold(conn *c, size_t len)
{
    c->held += stream_msg_charge(len);
    return c->held > CREDIT_CONN_MAX ? -1 : 0;
}

void credit_send(const void *gw, size_t gw_len, uint64_t stream_id, size_t len)
{
    zmq_msg_t z;
    if (stream_msg_credit(&z, stream_id, stream_msg_charge(len)) == 0)
        loop_send(gw, gw_len, &z);
}

void credit_flush(conn *c)
{
    if (c->credit_due == 0)
        return;
    zmq_msg_t z;
    if (stream_msg_credit(&z, c->stream_id, c->credit_due) == 0)
        loop_send(c->gw, c->gw_len, &z);
    c->credit_due = 0;
}

void credit_release(conn *c, size_t len)
{
    uint64_t charge = stream_msg_charge(len);
    c->held -= charge < c->held ? charge : c->held;
    c->credit_due += charge;
    /* a dead conn has no more ticks */
    if (c->credit_due >= CREDIT_FLUSH || c->state == CONN_DEAD)
        credit_flush(c);
}
