package io.evasan.sharing.spi;

import io.evasan.error.StorageException;

import java.nio.ByteBuffer;

/**
 * The narrow contract the sharing tree needs from the mapping layer: per logical disk and per
 * 1 MB segment an entry ({@link io.evasan.sharing.sharebits.ShareEntry}: RSEG pointer, HOLDER,
 * Sp, Ss), RSEG allocation/copy/IO by pointer, and a small durable catalog blob for the tree
 * structure.
 *
 * <p>Invariants every implementation keeps:
 * <ul>
 *   <li>Every mutating call is durable (survives {@code kill -9}) before it returns. Power loss is
 *       another matter: data written into an RSEG is stable only after {@link #force(long)} (or
 *       {@link #flush(long)}), a map change only after {@link #forceMaps()} (or {@link #flush(long)}),
 *       and nothing orders the two otherwise; the caller orders them with those calls.</li>
 *   <li>An RSEG is held by at most one entry; it is freed only through that entry
 *       ({@link #unlink}, {@link #deleteDisk}) or, when never linked, through {@link #release}.
 *       After a crash, an allocated RSEG that no entry holds is free again.</li>
 *   <li>{@link #allocate} returns an RSEG that reads as zeros.</li>
 *   <li>The implementation does no locking for the caller: the sharing tree serialises all
 *       changes to one segment of one tree itself.</li>
 * </ul>
 */
public interface SegmentMaps extends AutoCloseable {

    /** Bytes per segment (1 MB in production; tests may use less). */
    int segmentBytes();

    /** Creates an empty disk (every entry 0) of {@code segments} segments; returns its id (> 0). */
    long createDisk(int segments) throws StorageException;

    /**
     * Same with a RAID level for the disk's allocations (snapshots of it inherit it); an
     * implementation without RAID levels ignores it.
     */
    default long createDisk(int segments, io.evasan.raid.rstore.RaidLevel level) throws StorageException {
        return createDisk(segments);
    }

    /**
     * Same in disk group {@code diskGroup} (negative: the store's default group): every RSEG the
     * disk, its predecessors (snapshots, snapclones) and their reservations ever get comes from that
     * group, and the disk's group survives a reopen. A store without disk groups has only the
     * default group.
     *
     * @throws StorageException NOT_FOUND when there is no such disk group
     */
    default long createDisk(int segments, io.evasan.raid.rstore.RaidLevel level, int diskGroup) throws StorageException {
        if (diskGroup > 0) {
            throw new StorageException(io.evasan.error.ErrorCode.NOT_FOUND, "disk group " + diskGroup + " does not exist");
        }
        return level == null ? createDisk(segments) : createDisk(segments, level);
    }

    /** RAID level new allocations at the start of {@code disk} get; null in a store without RAID (in memory). */
    default io.evasan.raid.rstore.RaidLevel raidLevel(long disk) {
        return null;
    }

    /** Disk group of {@code disk} (0 in a store without disk groups). */
    default int diskGroup(long disk) {
        return 0;
    }

    /** Makes every write that returned before this call stable on the media holding {@code disk}'s data. */
    default void flush(long disk) throws StorageException {
    }

    /**
     * Makes every write into {@code rseg} that returned before this call stable against power loss (at
     * least the media holding that RSEG). Called before the {@link #link} (or {@link #transferHolder})
     * that makes a disk read a freshly written RSEG instead of what it read before. A store whose
     * writes are stable on return does nothing (the default).
     */
    default void force(long rseg) throws StorageException {
    }

    /** {@link #force(long)} of {@code rsegs[0..count)}: one force where they share the media (a batch of copies). */
    default void force(long[] rsegs, int count) throws StorageException {
        for (int i = 0; i < count; i++) {
            force(rsegs[i]);
        }
    }

    /**
     * Makes every map change (link, unlink, set, transfer) that returned before this call stable against
     * power loss. Called after a link that ends a disk's read-through of another disk's RSEG, before that
     * RSEG can be overwritten in place. A store whose changes are stable on return does nothing (the default).
     */
    default void forceMaps() throws StorageException {
    }

    /**
     * Creates a predecessor of {@code successor}, copying pointers only: for every segment whose
     * successor entry has a pointer, the new entry is {@code (pointer, non-holder, Sp, Ss = 1)} and
     * the successor's Sp is set; segments without a pointer stay 0 in both (both read zeros,
     * nothing is shared). The new disk's Sp is exactly the successor's old Sp (seed 004 Figs. 10-15;
     * both stores; {@code exactSp} is kept for callers and ignored). Until the caller records the new disk in its catalog, a crash may leave it
     * as an orphan, which the caller deletes.
     */
    long createPredecessor(long successor, boolean exactSp) throws StorageException;

    /**
     * As {@link #createPredecessor(long, boolean)}, the new disk in disk group {@code diskGroup}
     * (negative or the successor's: the successor's group). In another group the new disk's
     * pointer copies keep naming the successor's RSEGs, while every RSEG it later gets (allocations,
     * reservations) comes from {@code diskGroup}; the holder role of an RSEG never moves between
     * the two groups ({@link #transferHolder} refuses), and the successor itself must not point
     * into a foreign group. {@link #settleGroup} ends the foreign pointers once the disk holds all
     * it reads.
     *
     * @throws StorageException NOT_FOUND (no such disk group), nothing changed
     */
    default long createPredecessor(long successor, boolean exactSp, int diskGroup) throws StorageException {
        if (diskGroup >= 0 && diskGroup != diskGroup(successor)) {
            throw new StorageException(io.evasan.error.ErrorCode.NOT_FOUND, "disk group " + diskGroup + " does not exist");
        }
        return createPredecessor(successor, exactSp);
    }

    /**
     * Durably records that {@code disk} (created by {@link #createPredecessor(long, boolean, int)} into
     * another group) no longer points into its successor's group: it holds every segment it reads.
     * Idempotent; a no-op for any other disk.
     *
     * @throws StorageException INVALID_STATE while a non-holder entry of {@code disk} still has a pointer
     */
    default void settleGroup(long disk) throws StorageException {
    }

    /** Durably grows a disk to {@code segments} segments; the new entries are 0 (read zeros). */
    void grow(long disk, int segments) throws StorageException;

    /** Deletes a disk's maps and frees every RSEG it holds (never ones it merely points at). */
    void deleteDisk(long disk) throws StorageException;

    /** Ids of all existing disks. */
    long[] disks();

    int segments(long disk);

    long entry(long disk, int segment);

    /**
     * The first segment at or after {@code from} whose entry may be non-zero, or -1: every segment skipped has
     * entry 0. A store whose maps are sparse answers in proportion to what is mapped, so a walk over a disk's
     * entries (open, RESERVE_FULL accounting) costs nothing for unmapped virtual space; this default tries
     * every segment.
     */
    default int nextEntry(long disk, int from) {
        int n = segments(disk);
        for (int s = Math.max(0, from); s < n; s++) {
            if (entry(disk, s) != 0) {
                return s;
            }
        }
        return -1;
    }

    /**
     * Durably replaces entry {@code expect} by {@code update}; HOLDER and, for a holder, the
     * pointer must be unchanged (ownership moves only through link/unlink/transfer).
     *
     * @throws IllegalStateException when the current entry is not {@code expect}
     */
    void setEntry(long disk, int segment, long expect, long update);

    /**
     * A fresh zero-filled RSEG for {@code segment} of {@code disk}, owned by nobody until linked.
     *
     * @param fromReservation draw on capacity reserved with {@link #reserveCapacity}
     * @throws StorageException SPACE_ALLOCATION_FAILED
     */
    long allocate(long disk, int segment, boolean fromReservation) throws StorageException;

    /** Gives back an allocated, never linked RSEG. */
    void release(long rseg);

    /** Entry (non-holder {@code expect}) becomes HOLDER of {@code rseg} with the given share bits. */
    void link(long disk, int segment, long expect, long rseg, boolean sp, boolean ss);

    /** HOLDER entry {@code expect} becomes non-holder {@code update}; the RSEG is freed. */
    void unlink(long disk, int segment, long expect, long update);

    /**
     * Atomically moves the HOLDER role of the RSEG held by {@code from}'s entry to {@code to}'s
     * entry (same pointer): {@code fromExpect -> fromUpdate (non-holder)}, {@code toExpect (non-holder)
     * -> toUpdate (holder of that RSEG)}.
     */
    void transferHolder(long from, int segment, long fromExpect, long fromUpdate,
                        long to, long toExpect, long toUpdate);

    /** Copies a whole segment's bytes, durably. */
    void copy(long srcRseg, long dstRseg) throws StorageException;

    void read(long rseg, int offset, byte[] dst, int dstOffset, int length) throws StorageException;

    /**
     * The byte ranges {@code {start, end}} inside RSEG {@code rseg} (0 .. segment bytes) that a read answers
     * with UNRECOVERABLE_READ now because the store below lost their redundancy, sorted and disjoint; empty
     * when all of it is readable. Changes nothing.
     */
    java.util.List<long[]> lostRanges(long rseg) throws StorageException;

    /** Id of the redundant store (RSD) holding RSEG {@code rseg}, or -1 for a store without RSDs. */
    long rstoreId(long rseg) throws StorageException;

    /**
     * Reads {@code dst.remaining()} bytes inside one RSEG into dst's position.., advancing the
     * position. This default goes through the byte[] read; a store over positional file I/O reads
     * straight into the buffer.
     */
    default void read(long rseg, int offset, ByteBuffer dst) throws StorageException {
        int len = dst.remaining();
        if (dst.hasArray()) {
            read(rseg, offset, dst.array(), dst.arrayOffset() + dst.position(), len);
            dst.position(dst.position() + len);
            return;
        }
        byte[] b = new byte[len];
        read(rseg, offset, b, 0, len);
        dst.put(b);
    }

    /** Durable write inside one RSEG. */
    void write(long rseg, int offset, byte[] src, int srcOffset, int length) throws StorageException;

    /**
     * Durable write of {@code src.remaining()} bytes inside one RSEG, advancing {@code src}'s position
     * (a direct buffer can go to the drives without a copy); this default goes through the byte[] write.
     */
    default void write(long rseg, int offset, ByteBuffer src) throws StorageException {
        int len = src.remaining();
        if (src.hasArray()) {
            write(rseg, offset, src.array(), src.arrayOffset() + src.position(), len);
        } else {
            byte[] b = new byte[len];
            src.duplicate().get(b);
            write(rseg, offset, b, 0, len);
        }
        src.position(src.position() + len);
    }

    /** Reserves capacity for later {@code allocate(.., true)} calls; false (nothing reserved) if short. */
    boolean reserveCapacity(long segments);

    void releaseCapacity(long segments);

    /** Segments still allocatable without a reservation. */
    long freeSegments();

    /**
     * Reserves capacity in {@code disk}'s disk group for later {@code allocate(d, .., true)} calls of
     * disks of that group; false (nothing reserved) if short.
     */
    default boolean reserveCapacity(long disk, long segments) {
        return reserveCapacity(segments);
    }

    /** Gives back capacity reserved with {@link #reserveCapacity(long, long)} for {@code disk} (which must still exist). */
    default void releaseCapacity(long disk, long segments) {
        releaseCapacity(segments);
    }

    /** Segments still allocatable without a reservation in {@code disk}'s disk group. */
    default long freeSegments(long disk) {
        return freeSegments();
    }

    /** The last stored catalog, or null when none was ever stored. */
    byte[] loadCatalog() throws StorageException;

    /** Atomically and durably replaces the catalog. */
    void storeCatalog(byte[] catalog) throws StorageException;

    @Override
    void close();
}
