package io.evasan.nsc.service;

import io.evasan.nsc.api.CellRecord;

/**
 * Where a service reports a committed catalogue change: the record goes to the cell's
 * {@link io.evasan.nsc.cell.CommandLog}, in commit order. Called only under the catalogue commit lock.
 */
@FunctionalInterface
public interface CatalogChanges {
    void record(CellRecord record);
}
