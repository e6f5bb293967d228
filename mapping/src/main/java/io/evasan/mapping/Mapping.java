package io.evasan.mapping;

import io.evasan.error.StorageException;
import io.evasan.mld.Mld;
import io.evasan.raid.rstore.RaidLevel;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * The logical disk mapping layer of one pool: the catalogue of logical disks (in the MLD) and
 * their maps (L2MAP -> LMAP -> RSD, persisted as the PLDMC).
 *
 * <p>Invariants: names are unique; sizes are 1 MB .. 2 TB in 1 MB steps; a logical disk lives
 * in one disk group; every method either completes durably or throws a
 * {@link StorageException} and changes nothing (bad input) or only what it reports.
 */
public interface Mapping extends AutoCloseable {
    long SEGMENT_BYTES = 1L << 20;
    long MAX_LUN_BYTES = 2L << 40;

    /**
     * Creates a thin logical disk.
     *
     * @throws StorageException INVALID_ARGUMENT (size 0, > 2 TB, not a multiple of 1 MB, bad
     *                          name), ALREADY_EXISTS (name), NOT_FOUND (disk group)
     */
    LogicalDisk create(String name, long sizeBytes, RaidLevel level, int diskGroupId) throws StorageException;

    /** Same in the first disk group. */
    LogicalDisk create(String name, long sizeBytes, RaidLevel level) throws StorageException;

    /** @throws StorageException NOT_FOUND */
    LogicalDisk disk(String name) throws StorageException;

    /** @throws StorageException NOT_FOUND */
    LogicalDisk disk(int id) throws StorageException;

    List<LunInfo> list();

    LunInfo info(String name) throws StorageException;

    /** Deletes the disk and frees every RSEG it holds (RSEGs it merely points at are untouched). */
    void delete(String name) throws StorageException;

    /**
     * Grows or shrinks online. Shrinking below a held segment needs {@code force}, which frees the
     * segments beyond the new end.
     *
     * @throws StorageException INVALID_ARGUMENT (size), INVALID_STATE (shrink over data without
     *                          force, or over segments with share bits)
     */
    void resize(String name, long newSizeBytes, boolean force) throws StorageException;

    /** Sets the RAID level for new allocations in {@code [firstSegment, firstSegment + count)}. */
    void setRaidLevel(String name, long firstSegment, long count, RaidLevel level) throws StorageException;

    /**
     * Creates logical disk {@code newName} of the source's size whose entries are a pointer copy
     * of the source's ALLOCATED entries (no data copied, cost proportional to the maps), with
     * HOLDER cleared and {@code copyUserBits} set; the source's ALLOCATED entries get
     * {@code sourceUserBits} OR-ed in. Both changes are one atomic durable step. The new disk
     * shares the source's lock domain.
     */
    default LogicalDisk createSnapshotDisk(String sourceName, String newName, int sourceUserBits, int copyUserBits)
            throws StorageException {
        return createSnapshotDisk(sourceName, newName, sourceUserBits, copyUserBits, 0);
    }

    /**
     * As {@link #createSnapshotDisk(String, String, int, int)}, and each copied entry also keeps
     * the source entry's user bits selected by {@code keepSourceBits} (as they were before
     * {@code sourceUserBits} is OR-ed into the source).
     */
    LogicalDisk createSnapshotDisk(String sourceName, String newName, int sourceUserBits, int copyUserBits,
                                   int keepSourceBits) throws StorageException;

    /**
     * As {@link #createSnapshotDisk(String, String, int, int, int)}, the new disk in disk group
     * {@code diskGroup} (negative or the source's: the source's group). In another group the copied
     * (non-HOLDER) entries keep pointing into the source's group, recorded as the new disk's
     * {@link LogicalDisk#foreignGroup()}; everything it later holds is in its own group. Ownership
     * never moves between the two groups (transferHolder refuses).
     *
     * @throws StorageException NOT_FOUND (no such group); INVALID_STATE when the source itself already
     *                          points into a foreign group and {@code diskGroup} is a third one
     */
    default LogicalDisk createSnapshotDisk(String sourceName, String newName, int sourceUserBits, int copyUserBits,
                                           int keepSourceBits, int diskGroup) throws StorageException {
        if (diskGroup >= 0) {
            throw new StorageException(io.evasan.error.ErrorCode.NOT_FOUND, "disk group " + diskGroup
                    + " is not supported by this mapping");
        }
        return createSnapshotDisk(sourceName, newName, sourceUserBits, copyUserBits, keepSourceBits);
    }

    /**
     * Ends {@code name}'s {@link LogicalDisk#foreignGroup()} (durably): from now on all its entries
     * resolve in its own group. Idempotent.
     *
     * @throws StorageException INVALID_STATE while an ALLOCATED non-HOLDER entry still points into the foreign group
     */
    default void clearForeignGroup(String name) throws StorageException {
    }

    /**
     * Atomically and durably moves the HOLDER role of one RSEG: {@code from}'s entry goes from the
     * HOLDER entry {@code fromExpect} to the non-holder {@code fromUpdate}; {@code to}'s entry goes
     * from non-holder {@code toExpect} to {@code toUpdate}, a HOLDER entry with the same pointer.
     * Both disks must be in the same disk group.
     *
     * @return false (nothing changed) when either entry differs from its expected value
     */
    boolean transferHolder(LogicalDisk from, long fromSegment, int fromExpect, int fromUpdate,
                           LogicalDisk to, long toSegment, int toExpect, int toUpdate) throws StorageException;

    /**
     * The RStore behind a {@link io.evasan.mapping.rsd.PhysicalAddress} from {@link LogicalDisk#translate}
     * (lock-free; the second half of LDA -> (RStore, offset)).
     *
     * @throws StorageException NOT_FOUND when the RSD slot is empty
     */
    io.evasan.raid.rstore.RStore rstore(long physicalAddress) throws StorageException;

    /**
     * CFW hand-off in one atomic durable record: {@code from}'s HOLDER entry {@code fromExpect} becomes
     * HOLDER of the reserved RSEG {@code freshRsegAddress} with {@code fromUserBits}, and {@code to}'s
     * non-holder entry {@code toExpect} becomes {@code toUpdate}, the HOLDER entry of the RSEG
     * {@code fromExpect} held. (Equivalent to {@link #transferHolder} then {@link LogicalDisk#linkRseg}
     * on {@code from}, with one log record instead of two.)
     *
     * @return false (nothing changed; the fresh RSEG stays reserved) when either entry differs
     */
    boolean transferHolderAndLink(LogicalDisk from, long fromSegment, int fromExpect, long freshRsegAddress,
                                  int fromUserBits, LogicalDisk to, long toSegment, int toExpect, int toUpdate)
            throws StorageException;

    /** Returns a reserved, never linked RSEG (see {@link LogicalDisk#reserveRseg}). */
    void releaseRseg(long rsegAddress) throws StorageException;

    /**
     * Copies the whole 1 MB of RSEG {@code src} to RSEG {@code dst}; the two may be in different disk
     * groups (a snapclone copying into another group).
     */
    void copyRseg(long srcRsegAddress, long dstRsegAddress) throws StorageException;

    /**
     * Makes every write into RSEG {@code rsegAddress} that returned before this call (and the RSD of its
     * RStore) stable against power loss. The sharing tree calls it between filling a fresh RSEG (a copy on
     * first write, a private copy, a whole-segment hand-off) and the {@link LogicalDisk#linkRseg} that makes
     * a disk read it: a map record that makes a disk read a newly written RSEG instead of what it read
     * before must not be durable before that RSEG's data. The RAID layer offers no force narrower than a
     * disk group's ({@link io.evasan.raid.DiskGroup#flush}: its drives and RAID5 journal), so that is what
     * this forces: the RSEG's disk group.
     */
    void forceRseg(long rsegAddress) throws StorageException;

    /**
     * Makes every map change (PLDMC record) made before this call stable against power loss: a no-op with
     * {@link MappingOptions#fsync} (each record is forced as it is appended); in fsync-off mode one force of
     * the map log. The sharing tree calls it after a link that ends a disk's read-through of another disk's
     * RSEG, before that RSEG can be overwritten in place.
     */
    void forceMaps() throws StorageException;

    /** Reads {@code dst.remaining()} bytes at {@code offset} inside the RSEG (512-aligned, within 1 MB). */
    void readRseg(long rsegAddress, int offset, ByteBuffer dst) throws StorageException;

    /** Writes {@code src.remaining()} bytes at {@code offset} inside the RSEG (512-aligned, within 1 MB). */
    void writeRseg(long rsegAddress, int offset, ByteBuffer src) throws StorageException;

    /** Sets the lock domain of a disk (used when a snapclone leaves its tree); quiesce first. */
    void setLockDomain(String name, int lockDomain) throws StorageException;

    /** The MLD this mapping keeps its catalogue in; other layers add their own record kinds. */
    Mld mld();

    MappingStats stats();

    /** Bytes of the in-memory mapping structures, by array accounting (see MappingStats). */
    long mappingBytes();

    @Override
    void close();
}
