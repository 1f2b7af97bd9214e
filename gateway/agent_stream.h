/* agent_stream: the gateway's end of the pmm-agent stream relay
 * (ARCHITECTURE.md rule 4). The gateway terminates each
 * agent.v1.AgentService/Connect (and /agent.Agent/Connect) call, checks
 * its credentials like any gRPC call and relays its messages to agentsd
 * over ipc://<run_dir>/agentsd.stream (internal.v1.StreamMessage frames,
 * addressed by stream id). agentsd admits the agent and speaks the
 * protocol; when it restarts, the streams stay open and the new agentsd is
 * told which ones are live. Driven by the gRPC completion queue and one
 * relay thread: no thread per stream. */
#ifndef GATEWAY_AGENT_STREAM_H
#define GATEWAY_AGENT_STREAM_H

#include <grpc/grpc.h>

/* A completion-queue tag of a stream operation. The first member tells it
 * apart from grpc_front's own tags (see grpc_front.c on_event). */
#define AGENT_TAG_KIND 0x4147
typedef struct agent_tag {
    int kind;
    void (*fn)(void *arg, int ok);
    void *arg;
} agent_tag;

/* Starts the relay thread and the admission threads. 0 or -1. */
int agent_streams_init(void *zmq_ctx, const char *run_dir, const char *server_version);
/* After every stream call has ended (grpc_front_stop): stops the threads. */
void agent_streams_stop(void);

/* Takes over a new Connect call: from now on the stream module owns call
 * (one reference) and runs its operations on cq; md and method are only
 * read. done(done_arg) runs once the call is over and freed. */
void agent_stream_accept(grpc_completion_queue *cq, grpc_call *call, const grpc_metadata_array *md,
                         const char *method, void (*done)(void *), void *done_arg);

/* Streams open right now (for /debug/metrics). */
long agent_streams_count(void);

#endif
