package io.evasan.raid;

import io.evasan.error.StorageException;
import io.evasan.raid.drive.DriveInfo;
import io.evasan.raid.rsd.Rsd;
import io.evasan.raid.rstore.RStore;
import io.evasan.raid.rstore.RaidLevel;

import java.util.List;

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

    // ---- added by redundancy-raid: inspection, drills, rebuild, membership ----

    /** Every drive of the group by index (removed drives excluded). */
    List<DriveInfo> drives();

    /** RSS membership: for each RSS, the drive index in each slot (-1 = empty); pairs are slots 2k/2k+1. */
    List<int[]> rssSlots();

    /** Ids of every live RStore (RSD), ascending. */
    List<Long> rsdIds();

    /** The current RSD of an RStore (members, PSEGs, generation, stale members). */
    Rsd rsd(long rsdId) throws StorageException;

    /** Drill: fail drive {@code index}; its I/O throws DRIVE_FAILED, redundant RStores run degraded. */
    void failDrive(int index) throws StorageException;

    /** Drill: pull drive {@code index} (file closed); its I/O throws DRIVE_MISSING. */
    void pullDrive(int index) throws StorageException;

    /**
     * Re-adds a failed or pulled drive after checking its label (same pool, same drive), and
     * starts a rebuild that resynchronises members written while it was away (in place) and
     * frees PSEGs whose members were rebuilt elsewhere meanwhile.
     *
     * @throws StorageException FOREIGN_POOL if the file now holds another pool's drive,
     *                          DRIVE_MISSING if the file is still gone
     */
    Rebuild restoreDrive(int index) throws StorageException;

    /**
     * Starts an online rebuild of every degraded RStore: members on failed/missing drives are
     * re-created on free PSEGs of other drives of the same RSS; stale members on available
     * drives are resynchronised in place. Returns the running job if one is already running.
     */
    Rebuild rebuild();

    /** True while a rebuild or drive evacuation of this group is running. */
    boolean rebuildInProgress();

    /**
     * True while the post-crash redundancy resync (RAID5 parity / RAID1 mirror consistency check
     * after an unclean shutdown) of this group is running.
     */
    boolean resyncInProgress();

    /** Adds a drive (label written, joins an RSS); returns its index. */
    int addDrive(io.evasan.raid.DriveSpec drive) throws StorageException;

    /**
     * Removes a drive: moves every member it holds to other drives of its RSS (waits for the
     * move), then marks its label removed.
     */
    void removeDrive(int index) throws StorageException;

    /**
     * Begins moving the members of RStore {@code rsdId} in {@code mask} to free PSEGs reserved now
     * on {@code targetDrives} (one per member in the mask, in member order); see {@link MemberMove}.
     *
     * @throws StorageException NOT_FOUND (no such RStore), INVALID_ARGUMENT (mask outside the members,
     *         target count, a target drive not in the RStore's RSS, holding another member, repeated,
     *         unavailable or being evacuated), SPACE_ALLOCATION_FAILED (a target drive has no free PSEG),
     *         BUSY (another move or a rebuild runs on the RStore), INVALID_STATE (the group is closed);
     *         nothing is reserved then
     */
    MemberMove beginMove(long rsdId, int mask, int[] targetDrives) throws StorageException;

    /** Meters of this group. */
    RaidStats stats();
}
