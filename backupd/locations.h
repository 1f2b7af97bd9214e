/* locations: backup.v1.LocationsService (ListLocations, AddLocation,
 * ChangeLocation, RemoveLocation, TestLocationConfig) as upstream's
 * locations_service.go, with its validation texts. */
#ifndef BACKUPD_LOCATIONS_H
#define BACKUPD_LOCATIONS_H

#include <stddef.h>

#include "bus/bus.h"

extern const rpc_method locations_methods[];
extern const size_t locations_methods_count;

#endif
