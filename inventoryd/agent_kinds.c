/* agent_kinds: the table of agent kinds (see agent_model.h). */
#include "agent_model.h"

#include <string.h>

#include "inventory/v1/agents.pb-c.h"
#include "kinds.h"

/* The min_len 1 pair every service-attached kind validates first. */
#define PMM_SVC "pmm_agent_id:PmmAgentId", "service_id:ServiceId"

const agent_kind agent_kinds[] = {
    { INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_PMM_AGENT, "pmm-agent", "pmm_agent", "pmm_agent", "pmm_agent", NULL,
      "AddPMMAgentParams", &inventory__v1__pmmagent__descriptor, ATTACH_NODE_RUNS_ON, FAM_NONE,
      { "runs_on_node_id:RunsOnNodeId" }, { NULL } },
    { INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_VM_AGENT, "vmagent", "vm_agent", "vmagent", NULL, NULL,
      "", &inventory__v1__vmagent__descriptor, ATTACH_NODE, FAM_NONE, { NULL }, { NULL } },
    { INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_NODE_EXPORTER, "node_exporter", "node_exporter", "node_exporter",
      "node_exporter", "node_exporter", "AddNodeExporterParams", &inventory__v1__node_exporter__descriptor,
      ATTACH_PMM_NODE, FAM_NONE, { "pmm_agent_id:PmmAgentId" }, { NULL } },
    { INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_MYSQLD_EXPORTER, "mysqld_exporter", "mysqld_exporter", "mysqld_exporter",
      "mysqld_exporter", "mysqld_exporter", "AddMySQLdExporterParams", &inventory__v1__my_sqld_exporter__descriptor,
      ATTACH_SERVICE, FAM_MYSQL, { PMM_SVC, "username:Username" }, { "mysql" } },
    { INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_MONGODB_EXPORTER, "mongodb_exporter", "mongodb_exporter",
      "mongodb_exporter", "mongodb_exporter", "mongodb_exporter", "AddMongoDBExporterParams",
      &inventory__v1__mongo_dbexporter__descriptor, ATTACH_SERVICE, FAM_MONGO,
      { PMM_SVC }, { "mongodb" } },
    { INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_POSTGRES_EXPORTER, "postgres_exporter", "postgres_exporter",
      "postgres_exporter", "postgres_exporter", "postgres_exporter", "AddPostgresExporterParams",
      &inventory__v1__postgres_exporter__descriptor, ATTACH_SERVICE, FAM_PG, { PMM_SVC, "username:Username" },
      { "postgresql" } },
    { INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_PROXYSQL_EXPORTER, "proxysql_exporter", "proxysql_exporter",
      "proxysql_exporter", "proxysql_exporter", "proxysql_exporter", "AddProxySQLExporterParams",
      &inventory__v1__proxy_sqlexporter__descriptor, ATTACH_SERVICE, FAM_NONE, { PMM_SVC, "username:Username" },
      { "proxysql" } },
    { INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_QAN_MYSQL_PERFSCHEMA_AGENT, "qan-mysql-perfschema-agent",
      "qan_mysql_perfschema_agent", "qan_mysql_perfschema_agent", "qan_mysql_perfschema_agent",
      "qan_mysql_perfschema_agent", "AddQANMySQLPerfSchemaAgentParams",
      &inventory__v1__qanmy_sqlperf_schema_agent__descriptor, ATTACH_SERVICE, FAM_MYSQL, { PMM_SVC, "username:Username" },
      { "mysql" } },
    { INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_QAN_MYSQL_SLOWLOG_AGENT, "qan-mysql-slowlog-agent",
      "qan_mysql_slowlog_agent", "qan_mysql_slowlog_agent", "qan_mysql_slowlog_agent", "qan_mysql_slowlog_agent",
      "AddQANMySQLSlowlogAgentParams", &inventory__v1__qanmy_sqlslowlog_agent__descriptor, ATTACH_SERVICE,
      FAM_MYSQL, { PMM_SVC, "username:Username" }, { "mysql" } },
    { INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_QAN_MONGODB_PROFILER_AGENT, "qan-mongodb-profiler-agent",
      "qan_mongodb_profiler_agent", "qan_mongodb_profiler_agent", "qan_mongodb_profiler_agent",
      "qan_mongodb_profiler_agent", "AddQANMongoDBProfilerAgentParams",
      &inventory__v1__qanmongo_dbprofiler_agent__descriptor, ATTACH_SERVICE, FAM_MONGO, { PMM_SVC }, { "mongodb" } },
    { INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_QAN_POSTGRESQL_PGSTATEMENTS_AGENT, "qan-postgresql-pgstatements-agent",
      "qan_postgresql_pgstatements_agent", "qan_postgresql_pgstatements_agent", "qan_postgresql_pgstatements_agent",
      "qan_postgresql_pgstatements_agent", "AddQANPostgreSQLPgStatementsAgentParams",
      &inventory__v1__qanpostgre_sqlpg_statements_agent__descriptor, ATTACH_SERVICE, FAM_PG, { PMM_SVC, "username:Username" },
      { "postgresql" } },
    { INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_QAN_POSTGRESQL_PGSTATMONITOR_AGENT, "qan-postgresql-pgstatmonitor-agent",
      "qan_postgresql_pgstatmonitor_agent", "qan_postgresql_pgstatmonitor_agent",
      "qan_postgresql_pgstatmonitor_agent", "qan_postgresql_pgstatmonitor_agent",
      "AddQANPostgreSQLPgStatMonitorAgentParams", &inventory__v1__qanpostgre_sqlpg_stat_monitor_agent__descriptor,
      ATTACH_SERVICE, FAM_PG, { PMM_SVC, "username:Username" }, { "postgresql" } },
    { INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_EXTERNAL_EXPORTER, "external-exporter", "external_exporter",
      "external_exporter", "external_exporter", "external_exporter", "AddExternalExporterParams",
      &inventory__v1__external_exporter__descriptor, ATTACH_EXTERNAL, FAM_NONE, { "runs_on_node_id:RunsOnNodeId" },
      { "external" } },
    { INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_RDS_EXPORTER, "rds_exporter", "rds_exporter", "rds_exporter",
      "rds_exporter", "rds_exporter", "AddRDSExporterParams", &inventory__v1__rdsexporter__descriptor, ATTACH_NODE,
      FAM_NONE, { "pmm_agent_id:PmmAgentId", "node_id:NodeId" }, { NULL } },
    { INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_AZURE_DATABASE_EXPORTER, "azure_database_exporter",
      "azure_database_exporter", "azure_database_exporter", "azure_database_exporter", "azure_database_exporter",
      "AddAzureDatabaseExporterParams", &inventory__v1__azure_database_exporter__descriptor, ATTACH_NODE, FAM_NONE,
      { "pmm_agent_id:PmmAgentId", "node_id:NodeId",
        "azure_database_resource_type:AzureDatabaseResourceType" }, { NULL } },
    { INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_NOMAD_AGENT, "nomad-agent", "nomad_agent", "nomad_agent", NULL,
      "nomad_agent", "", &inventory__v1__nomad_agent__descriptor, ATTACH_NODE, FAM_NONE, { NULL }, { NULL } },
    { INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_VALKEY_EXPORTER, "valkey_exporter", "valkey_exporter", "valkey_exporter",
      "valkey_exporter", "valkey_exporter", "AddValkeyExporterParams", &inventory__v1__valkey_exporter__descriptor,
      ATTACH_SERVICE, FAM_VALKEY, { "pmm_agent_id:PmmAgentId", "service_id:ServiceId:uuid", "username:Username" },
      { "valkey" } },
    { INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_QAN_MONGODB_MONGOLOG_AGENT, "qan-mongodb-mongolog-agent",
      "qan_mongodb_mongolog_agent", "qan_mongodb_mongolog_agent", "qan_mongodb_mongolog_agent",
      "qan_mongodb_mongolog_agent", "AddQANMongoDBMongologAgentParams",
      &inventory__v1__qanmongo_dbmongolog_agent__descriptor, ATTACH_SERVICE, FAM_MONGO, { PMM_SVC }, { "mongodb" } },
};
const int agent_kinds_count = sizeof agent_kinds / sizeof *agent_kinds;

const agent_kind *agent_kind_by_stored(const char *stored)
{
    return KIND_BY_STR(agent_kinds, agent_kinds_count, stored, stored);
}

const agent_kind *agent_kind_by_enum(int type_enum)
{
    return KIND_BY_INT(agent_kinds, agent_kinds_count, type_enum, type_enum);
}

const agent_kind *agent_kind_by_add_member(const char *member)
{
    return KIND_BY_STR(agent_kinds, agent_kinds_count, add_member, member);
}

const agent_kind *agent_kind_by_change_member(const char *member)
{
    return KIND_BY_STR(agent_kinds, agent_kinds_count, change_member, member);
}
