package io.evasan.mapping;

import io.evasan.error.StorageException;
import io.evasan.raid.rstore.RaidLevel;

import java.nio.ByteBuffer;
import java.util.concurrent.locks.Lock;

/**
 * One logical disk (a LUN, or a snapshot/snapclone created by the sharing tree): its L2MAP
 * (one entry per 2 GB) pointing to LMAPs (2048 entries of 1 MB) that exist only for regions with
 * a non-zero entry; each entry names an RSEG through an RSD slot of the disk's disk group.
 *
 * <p>Invariants: an LBA at or beyond {@link #sizeBytes()} is rejected with OUT_OF_RANGE;
 * a segment whose entry is not ALLOCATED reads as zeros; every entry change made through this
 * interface is durable (survives {@code kill -9}) before the call returns; an RSEG is held by
 * exactly one entry in the pool (the HOLDER bit) and is freed only through that entry.
 * The read path ({@link #translate}, {@link #read}, {@link #entry}) takes no lock.
 */
public interface LogicalDisk {
    long SEGMENT_BYTES = 1L << 20;

    int id();

    String name();

    int diskGroupId();

    /**
     * For a disk created by {@link Mapping#createSnapshotDisk(String, String, int, int, int, int)} into
     * another group than its source's: the source's group, where its ALLOCATED non-HOLDER entries
     * point (HOLDER entries are always in {@link #diskGroupId()}); -1 otherwise.
     */
    default int foreignGroup() {
        return -1;
    }

    long sizeBytes();

    /** Size in 1 MB segments. */
    default long segments() {
        return sizeBytes() / SEGMENT_BYTES;
    }

    /** Segments whose entry is ALLOCATED and HOLDER (space this disk owns). */
    long heldSegments();

    /** RAID level new allocations in segment {@code segment} get (the per-range layout, [0062]). */
    RaidLevel raidLevelAt(long segment);

    /**
     * Hot path: LDA (byte offset, any alignment) to a packed
     * {@link io.evasan.mapping.rsd.PhysicalAddress}, or {@code PhysicalAddress.UNMAPPED}.
     * No allocation, no lock.
     *
     * @throws StorageException OUT_OF_RANGE beyond the disk
     */
    long translate(long byteOffset) throws StorageException;

    /** Reads {@code dst.remaining()} bytes (512-aligned) at {@code byteOffset}; unallocated ranges read zeros. */
    void read(long byteOffset, ByteBuffer dst) throws StorageException;

    /**
     * Writes {@code src.remaining()} bytes (512-aligned), allocating a private RSEG (and an RStore
     * when needed) on the first write to a segment; the allocation is durable before the data is
     * written and before this returns. Against power loss the data is stable only after {@link #flush};
     * a cut may keep a first write's allocation and drop its data, and the segment reads zeros, what it
     * read before (a reused RSEG's zeros are forced before it is linked): no durable data is lost, unlike
     * a sharing-tree copy, whose RSEG is forced before its link ({@link Mapping#forceRseg}).
     *
     * @throws StorageException SPACE_ALLOCATION_FAILED (nothing changed for the failing segment;
     *                          segments before it in the same call are written), OUT_OF_RANGE,
     *                          UNALIGNED_IO, INVALID_STATE when a segment is shared (write through
     *                          the sharing tree instead)
     */
    void write(long byteOffset, ByteBuffer src) throws StorageException;

    /**
     * Unmaps {@code length} bytes (512-aligned). Whole 1 MB segments are freed (their RSEG, and
     * the RStore when its last RSEG goes). A partial segment that is allocated gets zeros written
     * to the range, so an unmapped range always reads as zeros (LBPRZ = 1 semantics).
     *
     * @throws StorageException INVALID_STATE when a touched segment carries share bits
     */
    void unmap(long byteOffset, long length) throws StorageException;

    /**
     * Forces every write to this disk that returned before the call to stable storage: first the
     * disk group's drives, then the PLDMC log holding the map changes made so far (already forced
     * per change in fsync mode; this is the group commit of fsync-off mode). For FUA /
     * SYNCHRONIZE CACHE.
     */
    void flush() throws StorageException;

    // ---- per-segment primitives for the sharing tree ---------------------------------------

    /** Current entry of segment {@code segment} ({@link io.evasan.mapping.lmap.LmapEntry}); 0 if none. */
    int entry(long segment) throws StorageException;

    /**
     * The first segment at or after {@code fromSegment} whose entry is not 0, or -1 when there is none: a walk
     * over the segments that have entries costs time in proportion to the LMAPs that exist, not to the disk's
     * virtual size. Entries changed during the walk may or may not be seen.
     */
    default long nextEntry(long fromSegment) throws StorageException {
        for (long s = Math.max(0, fromSegment); s < segments(); s++) {
            if (entry(s) != 0) {
                return s;
            }
        }
        return -1;
    }

    /**
     * Durable compare-and-set of one entry. The HOLDER bit must be the same in {@code expect} and
     * {@code update}, and a HOLDER entry keeps its pointer (ownership moves only through
     * {@link #linkRseg}, {@link #unlinkRseg} and {@link Mapping#transferHolder}).
     * A non-holder entry may point at any RSEG held elsewhere in the same disk group.
     *
     * @return false (nothing changed) when the current entry is not {@code expect}
     */
    boolean compareAndSetEntry(long segment, int expect, int update) throws StorageException;

    /**
     * Reserves a fresh private RSEG for {@code segment} at the disk's RAID level for it: an unused
     * RSEG of an RStore this disk already uses for the same 8 MB-aligned range, else a new RStore.
     * The RSEG reads as zeros. It belongs to nobody until {@link #linkRseg}; give it back with
     * {@link Mapping#releaseRseg} if not linked (a crash before linking frees it at reopen).
     *
     * @return the RSEG address ({@link io.evasan.mapping.rsd.PhysicalAddress})
     * @throws StorageException SPACE_ALLOCATION_FAILED when the disk group has no free PSEGs
     */
    long reserveRseg(long segment) throws StorageException;

    /**
     * Reserves {@code count} (1..8) fresh RSEGs at the RAID level of {@code segment}, all in one new
     * RStore, so a capacity reservation of n segments takes ceil(n / 8) RStores and not n (one
     * {@link #reserveRseg} per segment finds no holder to share with and starts an RStore each).
     * Same rules as {@link #reserveRseg}: they read as zeros, belong to nobody until linked, and a
     * crash before linking frees them at reopen.
     *
     * @return the RSEG addresses
     * @throws StorageException SPACE_ALLOCATION_FAILED when the disk group has no free PSEGs (nothing reserved)
     */
    long[] reserveRsegs(long segment, int count) throws StorageException;

    /**
     * Durably sets segment {@code segment} to HOLDER of the reserved RSEG {@code rsegAddress}
     * with {@code userBits} (Sp/Ss/AUX), if the entry is still {@code expect} and {@code expect}
     * is not a HOLDER entry.
     *
     * @return false (nothing changed, the RSEG is still reserved) on a lost race
     */
    boolean linkRseg(long segment, int expect, long rsegAddress, int userBits) throws StorageException;

    /**
     * Durably replaces the HOLDER entry {@code expect} by the non-holder {@code update} and frees
     * the RSEG {@code expect} held (and its RStore when no RSEG of it is held or reserved).
     *
     * @return false (nothing changed) when the entry is not {@code expect}
     */
    boolean unlinkRseg(long segment, int expect, int update) throws StorageException;

    /** Segment lock of this disk's lock domain (shared by every disk of one sharing tree). */
    Lock segmentLock(long segment);

    /** Lock domain id: disks created by {@link Mapping#createSnapshotDisk} share their source's. */
    int lockDomain();
}
