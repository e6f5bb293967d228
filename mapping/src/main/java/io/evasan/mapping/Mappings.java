package io.evasan.mapping;

import io.evasan.error.StorageException;
import io.evasan.mapping.impl.MappingImpl;
import io.evasan.raid.Pool;

import java.nio.file.Path;

/** Factory of the mapping layer. */
public final class Mappings {
    private Mappings() {
    }

    /**
     * Opens the mapping of {@code pool}: the catalogue from the MLD on the pool's quorum areas, the
     * maps from the PLDMC log in {@code stateDir} (created if absent). Finishes any operation a
     * crash interrupted (orphan maps dropped, RStores no map holds freed, interrupted snapshot
     * copies redone). The caller keeps ownership of the pool.
     *
     * @throws StorageException CORRUPT_METADATA when neither the MLD nor the log has a usable copy
     */
    public static Mapping open(Pool pool, Path stateDir, MappingOptions options) throws StorageException {
        return MappingImpl.open(pool, stateDir, options);
    }
}
