/* aws_instance: server.v1 AWSInstanceCheck, served without authentication
 * before Grafana can be reached: on an AMI distribution the first caller
 * must name this EC2 instance's ID (from the instance metadata service),
 * after which the check is settled (settings aws_instance_checked); on any
 * other distribution it answers at once without asking AWS. Upstream:
 * managed/services/server/aws_instance_checker.go. */
#ifndef CONFIGD_AWS_INSTANCE_H
#define CONFIGD_AWS_INSTANCE_H

#include "bus/bus.h"

/* EC2's instance metadata service, the default of --aws-metadata-url. */
#define AWS_METADATA_URL "http://169.254.169.254"

extern const rpc_method aws_instance_methods[];
extern const size_t aws_instance_methods_count;

#endif
