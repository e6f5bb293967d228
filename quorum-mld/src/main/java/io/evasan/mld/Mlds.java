package io.evasan.mld;

import io.evasan.error.StorageException;
import io.evasan.mld.impl.MirroredMld;
import io.evasan.raid.drive.QuorumArea;

import java.util.List;

/** Factory for the mirrored MLD. */
public final class Mlds {
    private Mlds() {
    }

    /**
     * Opens the MLD on {@code areas} (every drive's quorum area, in a stable order that
     * interleaves disk groups): reads both slots of every available area and takes the highest
     * valid generation. All areas blank gives an empty MLD of generation 0.
     *
     * @throws StorageException {@code CORRUPT_METADATA} when some area holds MLD data but no
     *                          copy is valid
     */
    public static Mld open(List<QuorumArea> areas, MldOptions options) throws StorageException {
        return MirroredMld.open(areas, options);
    }
}
