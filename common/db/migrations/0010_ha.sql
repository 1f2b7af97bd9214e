-- 0010_ha: fencing of leader-only work in HA (hactl).
--
-- ha_fence holds the highest raft term any leader has claimed. hactl
-- raises it when its node becomes leader, before it tells the daemons;
-- every leader-only write raises it to its own term in its transaction
-- and is refused when a higher term is already there (db/store/ha_fence.c),
-- so a node that lost leadership without knowing it (paused, cut off)
-- cannot write what the new leader also writes. One row; the row lock
-- orders the writers.
CREATE TABLE ha_fence (
    id SMALLINT NOT NULL PRIMARY KEY CHECK (id = 1),
    term BIGINT NOT NULL CHECK (term >= 0),
    node_id VARCHAR NOT NULL DEFAULT '',
    updated_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
);
INSERT INTO ha_fence (id, term) VALUES (1, 0);

-- The due time of the latest scheduled run a leader claimed (in the
-- transaction creating its artifact): a run is claimed once, whichever
-- node's scheduler gets there, and a new leader runs a due time the old
-- one missed.
ALTER TABLE scheduled_tasks ADD COLUMN claimed_due TIMESTAMP NULL;

-- The HA nodes as their hactl last said (every second): id, raft address
-- and when, for ha.v1beta1 ListNodes (raft knows only addresses).
CREATE TABLE ha_nodes (
    node_id VARCHAR NOT NULL PRIMARY KEY,
    address VARCHAR NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
