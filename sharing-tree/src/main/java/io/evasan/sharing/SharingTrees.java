package io.evasan.sharing;

import io.evasan.error.StorageException;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * Snapshots, stacked snapshots and snapclones over the segment maps, by the share-bit rules of
 * seed 004 [0084]-[0109] (see DESIGN §4 and notes/sharing-tree-cases.md).
 *
 * <p>Invariants kept at every instant, and after a crash at any point:
 * <ul>
 *   <li>every disk reads exactly the bytes last written to it (or, for a snapshot, to its source
 *       before the snapshot), whatever is written to any other disk;</li>
 *   <li>in a chain {@code P <- X}: {@code P.Ss => X.Sp}, and P reads what X reads when P.Ss;</li>
 *   <li>an RSEG is held by exactly one disk; unheld space is free.</li>
 * </ul>
 * Offsets and lengths are bytes, multiples of 512. Reads and writes of different segments run
 * in parallel; structural operations (snapshot, delete, rollback, a snapclone leaving) quiesce
 * one tree for a metadata-only moment.
 */
public interface SharingTrees extends AutoCloseable {

    /** Creates a thin LUN of {@code segments} segments, alone in a new tree. */
    long createLun(int segments) throws StorageException;

    /** Same with a RAID level for its allocations (and its snapshots' copies). */
    long createLun(int segments, io.evasan.raid.rstore.RaidLevel level) throws StorageException;

    /**
     * Same in disk group {@code diskGroup} (negative: the segment store's default group); the
     * LUN's snapshots, snapclones and their copies allocate in the same group.
     *
     * @throws StorageException NOT_FOUND (no such disk group)
     */
    long createLun(int segments, io.evasan.raid.rstore.RaidLevel level, int diskGroup) throws StorageException;

    /** RAID level of {@code disk}'s new allocations (at its first segment); null for a store without RAID. */
    io.evasan.raid.rstore.RaidLevel raidLevel(long disk) throws StorageException;

    /** Disk group whose space {@code disk} allocates (0 for a segment store without disk groups). */
    int diskGroup(long disk) throws StorageException;

    /**
     * Unmaps a byte range (multiples of 512): it reads zeros afterwards. Whole segments are
     * semantically a write of zeros that keeps no RSEG: a predecessor that read through the disk
     * keeps the old data (by pointer hand-off when the disk held the segment, so no allocation;
     * by a CFW copy otherwise); the disk's RSEG is freed. Partial segments get zeros written.
     */
    void unmap(long disk, long offset, long length) throws StorageException;

    /** Whether the disk reads an RSEG at {@code segment} (held or shared); false = reads zeros with none. */
    boolean mapped(long disk, int segment) throws StorageException;

    /**
     * Grows a LUN that is alone in its tree to {@code newSegments} (the new segments read zeros).
     *
     * @throws StorageException INVALID_STATE when the disk has snapshots or snapclones in its tree;
     *                          INVALID_ARGUMENT for a smaller size (shrinking is not supported)
     */
    void resize(long disk, int newSegments) throws StorageException;

    /** Every write to {@code disk} that returned before this call is on stable storage. */
    void flush(long disk) throws StorageException;

    /**
     * Takes a snapshot of {@code disk} (a LUN or any disk of a tree): a new predecessor inserted
     * just before it, sharing all its data. Cost depends on the maps only.
     *
     * @throws StorageException NOT_FOUND, SNAPSHOT_INVALIDATED (source invalid), INVALID_STATE
     *                          (too many disks in the tree), SPACE_ALLOCATION_FAILED (RESERVE_FULL
     *                          and not enough free space); nothing changed on error
     */
    long snapshot(long disk, AllocationPolicy policy) throws StorageException;

    /**
     * Idempotent {@link #snapshot}: when a disk created with the same non-zero {@code tag} still
     * exists (in any tree), its id is returned and nothing is created. For callers that deliver a
     * snapshot request at least once (the cache's snapshot marker after a restart).
     */
    long snapshot(long disk, AllocationPolicy policy, long tag) throws StorageException;

    /** Idempotent {@link #snapclone}, see {@link #snapshot(long, AllocationPolicy, long)}. */
    long snapclone(long disk, AllocationPolicy policy, SnapcloneMode mode, long tag) throws StorageException;

    /**
     * Idempotent {@link #snapclone} into disk group {@code diskGroup} (negative or the source's: the
     * source's group). In another group every RSEG the clone gets (BGCOPY and CFW copies, the
     * RESERVE_FULL reservation) comes from {@code diskGroup}, the other disks keep allocating in
     * theirs, and the clone leaves the tree as an independent LUN wholly in {@code diskGroup}; this is
     * how a LUN moves between disk groups. Such a clone is taken only of a disk alone in its tree, and
     * until it has left the tree takes no snapshots, no rollback to it and no KEEP_SNAPSHOTS delete of
     * its source (INVALID_STATE): RSEGs never change group, so nothing may hand one over to it.
     *
     * @throws StorageException NOT_FOUND (no such disk or disk group), INVALID_STATE (see above),
     *                          SPACE_ALLOCATION_FAILED (RESERVE_FULL short in {@code diskGroup});
     *                          nothing changed on error
     */
    long snapclone(long disk, AllocationPolicy policy, SnapcloneMode mode, long tag, int diskGroup) throws StorageException;

    /** Largest per-snapclone quiesce threshold M (16 bits where requests carry it). */
    int MAX_QUIESCE_THRESHOLD = 0xFFFF;

    /**
     * As {@link #snapclone(long, AllocationPolicy, SnapcloneMode, long, int)} with this snapclone's own quiesce
     * threshold M (Fig. 15d: fewer than M segments left to copy into its predecessor when it leaves: quiesce and
     * copy; else copy online and count again); 0 = the configured {@code SharingConfig.quiesceThresholdM}. Kept
     * in the catalog (a restart keeps it).
     *
     * @throws IllegalArgumentException M outside 0..{@link #MAX_QUIESCE_THRESHOLD}
     */
    default long snapclone(long disk, AllocationPolicy policy, SnapcloneMode mode, long tag, int diskGroup,
                           int quiesceThresholdM) throws StorageException {
        if (quiesceThresholdM != 0) {
            throw new UnsupportedOperationException("per-snapclone quiesce threshold");
        }
        return snapclone(disk, policy, mode, tag, diskGroup);
    }

    /**
     * Takes a snapclone of {@code disk}: a snapshot that BGCOPY unshares, then leaves the tree as an
     * independent LUN. Several snapclones may copy at once in one tree (a snapclone's predecessor can
     * then be a snapclone, Fig. 14); only one copying into another disk group keeps its tree to itself.
     */
    long snapclone(long disk, AllocationPolicy policy, SnapcloneMode mode) throws StorageException;

    void read(long disk, long offset, byte[] dst, int dstOffset, int length) throws StorageException;

    /**
     * Reads {@code dst.remaining()} bytes at {@code offset} into dst's position.., advancing the
     * position; same rules as the byte[] read. An implementation reads straight into the buffer (a
     * direct buffer is filled by the drives' positional reads without an intermediate copy); this
     * default goes through the byte[] read.
     */
    default void read(long disk, long offset, ByteBuffer dst) throws StorageException {
        int len = dst.remaining();
        if (dst.hasArray()) {
            read(disk, offset, dst.array(), dst.arrayOffset() + dst.position(), len);
            dst.position(dst.position() + len);
            return;
        }
        byte[] b = new byte[len];
        read(disk, offset, b, 0, len);
        dst.put(b);
    }

    void write(long disk, long offset, byte[] src, int srcOffset, int length) throws StorageException;

    /**
     * Space before acknowledgement: makes every segment of the range one that {@code disk} holds
     * privately, as the metadata half of a write of the range would (allocating an unallocated
     * segment, copying a shared one, preserving the predecessor's data first: CFW), without changing
     * what any disk reads. Afterwards a write of the range needs no new space for {@code disk} itself
     * unless a snapshot is taken of it meanwhile (whose copies are charged to the snapshot: an
     * ON_DEMAND one is invalidated when they find no space, a RESERVE_FULL one has its reservation).
     * The allocation is the map entry itself, durable like any map change, so it survives a restart.
     * An ON_DEMAND snapshot whose CFW finds no space is invalidated ([0087]) and the call goes on.
     * Segments already held privately cost one entry read each, without locks.
     *
     * @throws StorageException SPACE_ALLOCATION_FAILED when the disk's group has no space for it
     *                          (segments prepared before the failing one stay allocated, reading what
     *                          they read before); UNALIGNED_IO, OUT_OF_RANGE, NOT_FOUND,
     *                          SNAPSHOT_INVALIDATED as for a write
     */
    default void prepareWrite(long disk, long offset, long length) throws StorageException {
    }

    /**
     * Writes {@code src.remaining()} bytes at {@code offset}, advancing {@code src}'s position, with the
     * same checks and copy-on-first-write semantics as the byte[] write. Implementations may pass a
     * direct buffer down to the drives' positional writes without an intermediate copy; this default
     * goes through the byte[] write.
     */
    default void write(long disk, long offset, ByteBuffer src) throws StorageException {
        int len = src.remaining();
        if (src.hasArray()) {
            write(disk, offset, src.array(), src.arrayOffset() + src.position(), len);
        } else {
            byte[] b = new byte[len];
            src.duplicate().get(b);
            write(disk, offset, b, 0, len);
        }
        src.position(src.position() + len);
    }

    /**
     * Deletes a disk. Segments it holds that its predecessor still reads move to the predecessor by
     * pointer; the rest is freed.
     *
     * @throws StorageException NOT_FOUND; INVALID_STATE for a LUN with snapshots and
     *                          {@link DeleteOption#REFUSE_IF_SNAPSHOTS}
     */
    void delete(long disk, DeleteOption option) throws StorageException;

    /**
     * Makes {@code lun} read exactly what {@code snapshot} reads. Every other disk keeps its data.
     *
     * @throws StorageException NOT_FOUND; INVALID_ARGUMENT when the snapshot is not an older disk
     *                          of the LUN's tree; SPACE_ALLOCATION_FAILED (checked before changing anything)
     */
    void rollback(long lun, long snapshot) throws StorageException;

    /**
     * Copies up to {@code maxSegments} segments of a snapclone's BGCOPY now (on the caller's thread);
     * when the copy is complete the snapclone leaves the tree (Figs. 14/15d).
     *
     * @return segments copied
     */
    int bgcopyStep(long clone, int maxSegments) throws StorageException;

    /**
     * Pauses a snapclone's BGCOPY, durably (in the catalog when it returns): a step in progress links at most its
     * batch in progress, and the snapclone stays in its tree, paused, until {@link #resumeBgcopy}, across a reopen.
     *
     * @throws StorageException INVALID_STATE (nothing changed) when the copy is finished, or complete and the
     *                          snapclone is leaving its tree
     */
    void pauseBgcopy(long clone) throws StorageException;

    void resumeBgcopy(long clone) throws StorageException;

    BgCopyProgress bgcopyProgress(long clone) throws StorageException;

    /** Sets the BGCOPY throttle in bytes per second (0 = unthrottled). */
    void setBgcopyRate(long bytesPerSecond);

    /** Describes the tree that {@code disk} belongs to. */
    TreeDescription describe(long disk) throws StorageException;

    /** All live disk ids (invalidated disks included until deleted). */
    List<Long> disks();

    DiskKind kind(long disk) throws StorageException;

    boolean isValid(long disk) throws StorageException;

    int segments(long disk) throws StorageException;

    /** Size of one segment in bytes. */
    int segmentBytes();

    SharingStats stats();

    @Override
    void close();

    /**
     * The byte ranges {@code {start, end}} of disk {@code disk} whose reads answer UNRECOVERABLE_READ now
     * because the storage they read from lost its redundancy (through whatever it shares), sorted, disjoint
     * and merged; empty when every byte is readable. Changes nothing.
     *
     * @throws StorageException NOT_FOUND for an unknown disk
     */
    java.util.List<long[]> lostRanges(long disk) throws StorageException;

    /**
     * Ids of the redundant stores (RSDs) that disk {@code disk}'s data is read from now (its own and the
     * ones it shares), ascending; empty for storage without RSDs.
     *
     * @throws StorageException NOT_FOUND for an unknown disk
     */
    java.util.SortedSet<Long> rstoreIds(long disk) throws StorageException;
}
