package io.evasan.raid;

import io.evasan.error.StorageException;
import io.evasan.raid.rstore.RStore;
import io.evasan.raid.rstore.RaidLevel;

/**
 * A disk group (LDAD, seed 004 [0042]): drives cut into PSEGs, grouped into RSSs, from which
 * RStores are allocated. LUNs never span disk groups.
 *
 * <p>Invariant: an RStore returned by {@link #allocate} is durable (its RSD survives
 * {@code kill -9} and reopen) before the call returns; a freed RStore's PSEGs are reusable and
 * its RSD is gone after reopen.
 */
public interface DiskGroup {
    /** Stable number of this group within the pool. */
    int id();

    String name();

    /**
     * Allocates a new RStore of the given level, its PSEGs on distinct drives of one RSS and
     * chosen so per-drive use stays proportional to capacity.
     *
     * @throws StorageException {@code SPACE_ALLOCATION_FAILED} when no RSS has enough free PSEGs
     *                          on distinct drives; {@code INSUFFICIENT_DRIVES} when the level
     *                          cannot be built in this group at all
     */
    RStore allocate(RaidLevel level) throws StorageException;

    /** The RStore with this RSD id, or {@code StorageException(NOT_FOUND)}. */
    RStore rstore(long rsdId) throws StorageException;

    /** Releases the RStore's PSEGs; its RSD is removed durably. */
    void free(long rsdId) throws StorageException;

    /** Forces every completed write and allocation of this group to stable storage (fsync). */
    void flush() throws StorageException;

    long freePsegs();

    long totalPsegs();
}
