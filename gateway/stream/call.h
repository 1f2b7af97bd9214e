/* call: the gRPC side of a pmm-agent stream. Each stream has at most
 * three grpc operations outstanding, each with its own tag: the close
 * notification (for its whole life), one RECV_MESSAGE (re-armed after
 * each message is handed to the relay, while flow.h allows) and one send (initial metadata, a
 * message, or the final status; grpc allows one send at a time, so the
 * rest waits in a bounded per-stream queue). A stream is freed when none
 * is outstanding and nothing else holds it. Table lock held for all. */
#ifndef GATEWAY_STREAM_CALL_H
#define GATEWAY_STREAM_CALL_H

#include "gateway/stream/table.h"
#include "internal/v1/agentstream.pb-c.h"

/* Arms the close notification of a new stream (one reference). */
void call_start(astream *s);
/* Drops a reference; the last one frees s. Returns 1 when freed. */
int call_unref(astream *s);

/* Ends the call with code and message: at once, or with an OK code once
 * the send in flight is done (an agent that does not read would keep an
 * error waiting forever). tell: let agentsd know (it did not ask for this
 * end itself). */
void call_end(astream *s, int code, const char *message, int tell);
/* agentsd admitted the stream: headers out, messages in. */
void call_accepted(astream *s, const Internal__V1__StreamMeta *meta, const char *default_server_version);
/* A ServerMessage for the agent. An agent that does not read gets cut off
 * rather than letting its queue grow. */
void call_deliver(astream *s, const uint8_t *data, size_t len);

/* flow.h's resume callback: the stream reads its next message. */
void call_resume(flow_state *f);

/* Tells agentsd about the stream: OPEN, with resync and what agentsd
 * answered before for a stream it admitted already. */
void call_tell_open(const astream *s, int resync);

#endif
