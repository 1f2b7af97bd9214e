/* management: the method table of management.v1.ManagementService; the
 * handlers are in the management_*.c files (cloud discovery in
 * rds_discover.c and azure.c, annotations in
 * annotation.c). */
#include "management.h"

#include "management/v1/agent.pb-c.h"
#include "management/v1/annotation.pb-c.h"
#include "management/v1/azure.pb-c.h"
#include "management/v1/node.pb-c.h"
#include "management/v1/rds.pb-c.h"
#include "management/v1/service.pb-c.h"
#include "internal.h"

#define M "/management.v1.ManagementService/"

const rpc_method management_methods[] = {
    { M "RegisterNode", &management__v1__register_node_request__descriptor, mgmt_register_node },
    { M "UnregisterNode", &management__v1__unregister_node_request__descriptor, mgmt_unregister_node },
    { M "ListNodes", &management__v1__list_nodes_request__descriptor, mgmt_list_nodes },
    { M "GetNode", &management__v1__get_node_request__descriptor, mgmt_get_node },
    { M "ListAgents", &management__v1__list_agents_request__descriptor, mgmt_list_agents },
    { M "ListAgentVersions", &management__v1__list_agent_versions_request__descriptor, mgmt_list_agent_versions },
    { M "AddService", &management__v1__add_service_request__descriptor, mgmt_add_service },
    { M "RemoveService", &management__v1__remove_service_request__descriptor, mgmt_remove_service },
    { M "ListServices", &management__v1__list_services_request__descriptor, mgmt_list_services },
    { M "DiscoverRDS", &management__v1__discover_rdsrequest__descriptor, mgmt_discover_rds },
    { M "DiscoverAzureDatabase", &management__v1__discover_azure_database_request__descriptor, mgmt_discover_azure },
    { M "AddAzureDatabase", &management__v1__add_azure_database_request__descriptor, mgmt_add_azure },
    { M "AddAnnotation", &management__v1__add_annotation_request__descriptor, mgmt_add_annotation },
};
const size_t management_methods_count = sizeof management_methods / sizeof *management_methods;
