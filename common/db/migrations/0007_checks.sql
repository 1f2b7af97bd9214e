-- 0007_checks: checksd's tables (advisors reference §7, §10; schema.md
-- section 3): per-check interval overrides, alerting rule templates
-- created through the API, and the alerting rules made from templates.
-- Upstream keeps its rules in Grafana; this suite keeps them here and
-- renders them as vmalert rule groups (checksd/alerting/rules.c).

CREATE TABLE check_settings (
    name VARCHAR NOT NULL,
    interval VARCHAR NOT NULL,

    PRIMARY KEY (name)
);

CREATE TABLE alert_rule_templates (
    name VARCHAR NOT NULL,
    version INTEGER NOT NULL,
    summary VARCHAR NOT NULL,
    expr VARCHAR NOT NULL,
    params JSONB,
    "for" BIGINT,
    severity VARCHAR NOT NULL,
    labels TEXT,
    annotations TEXT,
    source VARCHAR NOT NULL,
    yaml TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,

    PRIMARY KEY (name)
);

CREATE TABLE alert_rules (
    id VARCHAR NOT NULL,
    name VARCHAR NOT NULL CHECK (name <> ''),
    group_name VARCHAR NOT NULL CHECK (group_name <> ''),
    folder_uid VARCHAR NOT NULL,
    template_name VARCHAR NOT NULL,
    expr TEXT NOT NULL,
    "for" BIGINT NOT NULL,
    labels JSONB NOT NULL,
    annotations JSONB NOT NULL,
    created_at TIMESTAMP NOT NULL,

    PRIMARY KEY (id)
);
CREATE INDEX alert_rules_group_name_idx ON alert_rules (group_name);
