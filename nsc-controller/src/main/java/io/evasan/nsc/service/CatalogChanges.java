package io.evasan.nsc.service;

import io.evasan.nsc.CatalogChange;

/**
 * Where a service reports a committed catalogue change (the {@link io.evasan.nsc.Controller}'s change
 * listeners, in commit order). Called only under the catalogue commit lock.
 */
@FunctionalInterface
public interface CatalogChanges {
    void changed(CatalogChange.Op op, String name, String lun, long sizeBytes, String initiator, int hostLun);
}
