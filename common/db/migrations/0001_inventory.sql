-- 0001_inventory: the inventory (nodes, services, agents), settings, action
-- results, user flags and roles, as PMM v3 mainline leaves them after its
-- migration 116 (reference/schema.md section 3). Only the end state: the v2
-- history (id prefixes, moved columns) never existed here. Column, check
-- and foreign-key names are upstream's, so constraint violations can be
-- told apart by name the way pmm-managed does. No DEFAULTs except where
-- upstream keeps one, plus '{}' on the agents' JSONB option columns
-- (upstream fills those with '{}' by UPDATE). The pmm-server node and its
-- agents are created by inventoryd at first start, not here: they depend
-- on runtime settings.

CREATE TABLE nodes (
    node_id VARCHAR NOT NULL,
    node_type VARCHAR NOT NULL CHECK (node_type <> ''),
    node_name VARCHAR NOT NULL CHECK (node_name <> ''),
    machine_id VARCHAR CHECK (machine_id <> ''),
    distro VARCHAR NOT NULL,
    node_model VARCHAR NOT NULL,
    az VARCHAR NOT NULL,
    custom_labels TEXT,
    address VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,

    -- container nodes
    container_id VARCHAR CHECK (container_id <> ''),
    container_name VARCHAR CHECK (container_name <> ''),

    -- remote RDS / Azure nodes (the instance is kept in address)
    region VARCHAR CHECK (region <> ''),
    instance_id VARCHAR NOT NULL DEFAULT '',

    is_pmm_server_node BOOLEAN NOT NULL DEFAULT false,

    PRIMARY KEY (node_id),
    UNIQUE (node_name),
    UNIQUE (container_id),
    UNIQUE (address, region)
);

CREATE TABLE services (
    service_id VARCHAR NOT NULL,
    service_type VARCHAR NOT NULL CHECK (service_type <> ''),
    service_name VARCHAR NOT NULL CHECK (service_name <> ''),
    node_id VARCHAR NOT NULL CHECK (node_id <> ''),
    environment VARCHAR NOT NULL,
    cluster VARCHAR NOT NULL,
    replication_set VARCHAR NOT NULL,
    custom_labels TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,

    address VARCHAR(255) CHECK (address <> ''),
    port INTEGER,
    socket VARCHAR,
    external_group VARCHAR NOT NULL,
    database_name VARCHAR NOT NULL DEFAULT '',
    version VARCHAR,

    PRIMARY KEY (service_id),
    UNIQUE (service_name),
    CONSTRAINT services_node_id_fkey FOREIGN KEY (node_id) REFERENCES nodes (node_id),
    CONSTRAINT address_socket_check CHECK (
        (address IS NOT NULL AND socket IS NULL) OR
        (address IS NULL AND socket IS NOT NULL) OR
        (address IS NULL AND socket IS NULL)
    ),
    CONSTRAINT address_port_check CHECK (
        (address IS NULL AND port IS NULL) OR (address IS NOT NULL AND port IS NOT NULL)
    ),
    CONSTRAINT port_check CHECK (port IS NULL OR (port > 0 AND port < 65536)),
    -- only external services have a group, and they always have one
    CONSTRAINT services_external_group_check CHECK (
        (service_type <> 'external' AND external_group = '') OR
        (service_type = 'external' AND external_group <> '')
    )
);

CREATE TABLE agents (
    agent_id VARCHAR NOT NULL,
    agent_type VARCHAR NOT NULL CHECK (agent_type <> ''),
    runs_on_node_id VARCHAR CHECK (runs_on_node_id <> ''),
    pmm_agent_id VARCHAR CHECK (pmm_agent_id <> ''),
    node_id VARCHAR CHECK (node_id <> ''),
    service_id VARCHAR CHECK (service_id <> ''),
    custom_labels TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,

    -- state
    disabled BOOLEAN NOT NULL,
    status VARCHAR NOT NULL,
    listen_port INTEGER,
    version VARCHAR CHECK (version <> ''),

    -- credentials to access the service
    username VARCHAR CHECK (username <> ''),
    password VARCHAR CHECK (password <> ''),
    agent_password VARCHAR CHECK (agent_password <> ''),
    tls BOOLEAN NOT NULL,
    tls_skip_verify BOOLEAN NOT NULL,

    process_exec_path TEXT,
    log_level VARCHAR,

    -- per-type options; upstream initialises every one of them to '{}'
    exporter_options JSONB DEFAULT '{}'::jsonb,
    qan_options JSONB DEFAULT '{}'::jsonb,
    aws_options JSONB DEFAULT '{}'::jsonb,
    azure_options JSONB DEFAULT '{}'::jsonb,
    mysql_options JSONB DEFAULT '{}'::jsonb,
    mongo_options JSONB DEFAULT '{}'::jsonb,
    postgresql_options JSONB DEFAULT '{}'::jsonb,
    valkey_options JSONB DEFAULT '{}'::jsonb,
    rta_options JSONB DEFAULT '{}'::jsonb,

    environment_variables TEXT,
    is_connected BOOLEAN NOT NULL DEFAULT false,

    PRIMARY KEY (agent_id),
    CONSTRAINT agents_runs_on_node_id_fkey FOREIGN KEY (runs_on_node_id) REFERENCES nodes (node_id),
    CONSTRAINT agents_pmm_agent_id_fkey FOREIGN KEY (pmm_agent_id) REFERENCES agents (agent_id),
    CONSTRAINT agents_node_id_fkey FOREIGN KEY (node_id) REFERENCES nodes (node_id),
    CONSTRAINT agents_service_id_fkey FOREIGN KEY (service_id) REFERENCES services (service_id),
    CONSTRAINT runs_on_node_id_xor_pmm_agent_id CHECK (
        (runs_on_node_id IS NULL) <> (pmm_agent_id IS NULL)
    ),
    -- pmm-agents run on a node; external exporters may run on a node or
    -- under a pmm-agent; every other agent runs under a pmm-agent
    CONSTRAINT runs_on_node_id_only_for_pmm_agent CHECK (
        ((runs_on_node_id IS NULL) <> (agent_type = 'pmm-agent')) OR (agent_type = 'external-exporter')
    ),
    CONSTRAINT node_id_or_service_id_for_non_pmm_agent CHECK (
        ((node_id IS NULL) <> (service_id IS NULL)) OR (agent_type = 'pmm-agent')
    )
);

-- The mailbox for pmm-agent action output.
CREATE TABLE action_results (
    id VARCHAR NOT NULL,
    pmm_agent_id VARCHAR CHECK (pmm_agent_id <> ''),
    done BOOLEAN NOT NULL,
    error VARCHAR NOT NULL,
    output BYTEA,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,

    PRIMARY KEY (id)
);

-- A single row holding the settings document (keys: schema.md section 6);
-- defaults are filled in by the daemons at first start.
CREATE TABLE settings (
    settings JSONB
);
INSERT INTO settings (settings) VALUES ('{}');

CREATE TABLE user_flags (
    id INTEGER NOT NULL,
    tour_done BOOLEAN NOT NULL DEFAULT false,
    alerting_tour_done BOOLEAN NOT NULL DEFAULT false,
    snoozed_pmm_version VARCHAR NOT NULL DEFAULT '',
    snoozed_at TIMESTAMP,
    snooze_count INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,

    PRIMARY KEY (id)
);

-- Access-control roles (label filters) and their assignment to users.
CREATE TABLE roles (
    id SERIAL PRIMARY KEY,
    title VARCHAR NOT NULL UNIQUE,
    filter TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE user_roles (
    user_id INTEGER NOT NULL,
    role_id INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,

    PRIMARY KEY (user_id, role_id)
);
CREATE INDEX role_id_index ON user_roles (role_id);

-- The built-in role, remembered as the default for new users.
WITH full_access AS (
    INSERT INTO roles (title, filter, created_at, updated_at)
    VALUES ('Full access', '', NOW() AT TIME ZONE 'utc', NOW() AT TIME ZONE 'utc')
    RETURNING id
)
UPDATE settings SET settings = jsonb_set(settings, '{default_role_id}', (SELECT to_jsonb(id) FROM full_access));
