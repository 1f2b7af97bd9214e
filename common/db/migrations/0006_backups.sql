-- backupd's tables as upstream's migrations leave them (m27 backup_locations,
-- m29.. artifacts, m30/m45 jobs, m47 job_logs, m35/m70 restore_history,
-- m39/m74 scheduled_tasks, m44/m78 service_software_versions, m87 dumps and
-- dump_logs). backup_locations' s3_config secret_key is sealed by backupd
-- (common/secret.h) before it is written.

CREATE TABLE backup_locations (
    id VARCHAR NOT NULL,
    name VARCHAR NOT NULL CHECK (name <> ''),
    description VARCHAR NOT NULL,
    type VARCHAR NOT NULL CHECK (type <> ''),
    s3_config JSONB,
    filesystem_config JSONB,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (name)
);

CREATE TABLE artifacts (
    id VARCHAR NOT NULL,
    name VARCHAR NOT NULL CHECK (name <> ''),
    vendor VARCHAR NOT NULL CHECK (vendor <> ''),
    location_id VARCHAR NOT NULL CHECK (location_id <> ''),
    service_id VARCHAR NOT NULL,
    data_model VARCHAR NOT NULL CHECK (data_model <> ''),
    status VARCHAR NOT NULL CHECK (status <> ''),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    type VARCHAR NOT NULL CHECK (type <> ''),
    schedule_id VARCHAR NOT NULL,
    db_version VARCHAR NOT NULL,
    mode VARCHAR NOT NULL CHECK (mode <> ''),
    is_sharded_cluster BOOLEAN NOT NULL DEFAULT FALSE,
    folder VARCHAR NOT NULL DEFAULT '',
    metadata_list JSONB,
    PRIMARY KEY (id),
    CONSTRAINT artifacts_location_id_fkey FOREIGN KEY (location_id) REFERENCES backup_locations (id)
);

CREATE TABLE jobs (
    id VARCHAR NOT NULL,
    pmm_agent_id VARCHAR CHECK (pmm_agent_id <> ''),
    type VARCHAR NOT NULL,
    done BOOLEAN NOT NULL,
    error VARCHAR NOT NULL,
    result JSONB,
    data JSONB,
    retries INTEGER,
    interval BIGINT,
    timeout BIGINT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (id)
);

CREATE TABLE job_logs (
    job_id VARCHAR NOT NULL,
    chunk_id INTEGER NOT NULL,
    data TEXT NOT NULL,
    last_chunk BOOLEAN NOT NULL,
    FOREIGN KEY (job_id) REFERENCES jobs (id) ON DELETE CASCADE,
    PRIMARY KEY (job_id, chunk_id)
);

CREATE TABLE restore_history (
    id VARCHAR NOT NULL,
    artifact_id VARCHAR NOT NULL CHECK (artifact_id <> ''),
    service_id VARCHAR NOT NULL CHECK (service_id <> ''),
    status VARCHAR NOT NULL CHECK (status <> ''),
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    pitr_timestamp TIMESTAMP,
    PRIMARY KEY (id),
    FOREIGN KEY (artifact_id) REFERENCES artifacts (id),
    FOREIGN KEY (service_id) REFERENCES services (service_id)
);

CREATE TABLE scheduled_tasks (
    id VARCHAR NOT NULL,
    cron_expression VARCHAR NOT NULL CHECK (cron_expression <> ''),
    type VARCHAR NOT NULL CHECK (type <> ''),
    start_at TIMESTAMP,
    last_run TIMESTAMP,
    next_run TIMESTAMP,
    data JSONB,
    disabled BOOLEAN,
    running BOOLEAN,
    error VARCHAR,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (id)
);
CREATE UNIQUE INDEX scheduled_tasks_data_name_idx ON scheduled_tasks ((data -> type ->> 'name'));

CREATE TABLE service_software_versions (
    service_id VARCHAR NOT NULL CHECK (service_id <> ''),
    service_type VARCHAR NOT NULL CHECK (service_type <> ''),
    software_versions JSONB,
    next_check_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (service_id),
    FOREIGN KEY (service_id) REFERENCES services (service_id) ON DELETE CASCADE
);

CREATE TABLE dumps (
    id VARCHAR NOT NULL,
    status VARCHAR NOT NULL CHECK (status <> ''),
    service_names VARCHAR[],
    start_time TIMESTAMP,
    end_time TIMESTAMP,
    export_qan BOOLEAN NOT NULL,
    ignore_load BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (id)
);

CREATE TABLE dump_logs (
    dump_id VARCHAR NOT NULL,
    chunk_id INTEGER NOT NULL,
    data TEXT NOT NULL,
    last_chunk BOOLEAN NOT NULL,
    FOREIGN KEY (dump_id) REFERENCES dumps (id) ON DELETE CASCADE,
    PRIMARY KEY (dump_id, chunk_id)
);

-- backupd's recovery and watchdog read the jobs still running
CREATE INDEX jobs_not_done_idx ON jobs (id) WHERE NOT done;

-- PerformBackup's serializable transaction looks artifacts up by name and by
-- location and folder: with indexes its predicate locks cover those entries,
-- not the whole table, so backups of different services (a scheduler's
-- burst) do not abort one another
CREATE INDEX artifacts_name_idx ON artifacts (name);
CREATE INDEX artifacts_location_folder_idx ON artifacts (location_id, folder);
CREATE INDEX artifacts_schedule_id_idx ON artifacts (schedule_id);
-- where scheduled tasks store their artifacts (the overlap check)
CREATE INDEX scheduled_tasks_location_idx ON scheduled_tasks ((data -> type ->> 'location_id'));
