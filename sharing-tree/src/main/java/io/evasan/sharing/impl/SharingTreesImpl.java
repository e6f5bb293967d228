package io.evasan.sharing.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.sharing.AllocationPolicy;
import io.evasan.sharing.BgCopyProgress;
import io.evasan.sharing.DeleteOption;
import io.evasan.sharing.DiskKind;
import io.evasan.sharing.SharingConfig;
import io.evasan.sharing.SharingStats;
import io.evasan.sharing.SharingTrees;
import io.evasan.sharing.SnapcloneMode;
import io.evasan.sharing.TreeDescription;
import io.evasan.sharing.bgcopy.BgCopyEngine;
import io.evasan.sharing.bgcopy.BgCopyThrottle;
import io.evasan.sharing.spi.SegmentMaps;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The sharing-tree engine over a {@link SegmentMaps}.
 *
 * <p><b>Invariants</b> (per segment, for every adjacent pair {@code P <- X} of a chain):
 * <ol>
 *   <li>I1: {@code P.Ss => X.Sp}, and when {@code P.Ss} P's content is X's content.</li>
 *   <li>I2 (snapclone C still in its tree, predecessor S, successor N):
 *       {@code S.Ss && N.Sp => content(C) == content(N)}; so when C leaves, segments with
 *       {@code S.Ss && !N.Sp} are copied C -> S first (Fig. 15c), and then {@code N.Sp := S.Ss} (Fig. 14).</li>
 *   <li>A holder entry never has Ss set; a disk's content changes only after every disk that read
 *       it through share bits got its own copy.</li>
 * </ol>
 *
 * <p><b>Crash safety</b> (kill -9 at any instant): every metadata change is one durable SPI call,
 * and they are ordered so that each intermediate state satisfies I1-I3 with every disk's content
 * unchanged: data is copied into a fresh, unlinked RSEG first; then the copy is linked (the
 * receiving disk stops sharing, {@code P.Ss := 0}); only then the giver's bit is cleared
 * ({@code X.Sp := 0}); only then user data is written. A crash between leaves {@code X.Sp} set
 * with {@code P.Ss} clear, which only costs a redundant check later. A pointer hand-off is one
 * atomic {@code transferHolder}; the only non-steady entry it can leave (a non-holder with a
 * pointer and Ss clear) is turned into a private copy on open. Structural operations commit the
 * catalog last (snapshot, leave) or record themselves in it first and are redone on open
 * (delete, rollback), each step of which is idempotent. Allocated but unlinked RSEGs are free
 * again after a crash (SPI contract).
 *
 * <p><b>Concurrency</b>: per tree a structure lock (I/O takes it shared; snapshot, delete,
 * rollback and a snapclone leaving take it exclusively — the seed's quiesce) and striped
 * per-segment locks (a segment of all disks of one tree is one lock: a CFW touches neighbours), taken from
 * one pool shared by all trees ({@link StripeLocks}), so a tree's locks cost nothing per segment.
 *
 * <p><b>Structure</b>: this class is the facade and coordinator. It owns the trees, disks and the catalog
 * monitor ({@link #catalogMonitor}, {@link #commit}), takes every tree lock and runs the host I/O loops
 * (read/write/unmap per segment under the locks, invalidation and retry). Its parts, each with its lock
 * invariant: {@link SegmentEntries} (entry reads and changes, holder resolution [0096]),
 * {@link SegmentWriter} (the write rules of one segment: CFW, hand-off, share bits, unmap),
 * {@link TreeCatalog} (writing the catalog), {@link TreeDescriber} (describe and raw entries),
 * {@link Recovery} (open), {@link StructureOps} (tree-shape changes, called with the tree's structure write
 * lock held), {@link CloneCopy} (BGCOPY steps, leaving, pause/resume/progress) and, in
 * {@code io.evasan.sharing.bgcopy}, the BGCOPY thread ({@link io.evasan.sharing.bgcopy.BgCopyEngine}) and
 * throttle ({@link io.evasan.sharing.bgcopy.BgCopyThrottle}). {@link Tree} and {@link Disk} are the state.
 */
public final class SharingTreesImpl implements SharingTrees {
    static final System.Logger LOG = System.getLogger(SharingTreesImpl.class.getName());

    final SegmentMaps maps;
    /** Entry reads and changes of one disk and segment, holder resolution ([0096]). */
    final SegmentEntries entries;
    /** Writes the trees and invalidated disks as the catalog blob. */
    private final TreeCatalog catalog;
    final SharingConfig config;
    final SharingStats stats;
    private final int segBytes;
    /** Zeros for partial-segment unmaps (never written to). */
    private final byte[] zeros;
    /** The segment stripe locks of every tree (a fixed pool: a tree has none of its own). */
    final StripeLocks stripes = new StripeLocks();
    final ConcurrentHashMap<Long, Disk> disks = new ConcurrentHashMap<>();
    final Set<Tree> trees = ConcurrentHashMap.newKeySet();
    final Object catalogMonitor = new Object();
    /** The BGCOPY throttle (rate in force). */
    private final BgCopyThrottle throttle;
    /** The BGCOPY thread; started only when {@code config.bgcopyBackground()}. */
    final BgCopyEngine bgEngine;

    /** Invalidated disks: out of every tree, maps gone, reads fail until deleted. */
    final ConcurrentHashMap<Long, Disk> invalid = new ConcurrentHashMap<>();
    /** Snapshot/snapclone creation, delete, invalidate, rollback, a clone leaving: run under the tree's write lock. */
    final StructureOps structure = new StructureOps(this);
    /** BGCOPY steps, the leave loop, pause/resume/progress; the host of {@link #bgEngine}. */
    private final CloneCopy cloneCopy = new CloneCopy(this);
    /** The write rules of one segment (CFW, hand-off, share bits, unmap); called under the locks taken here. */
    final SegmentWriter writer;

    public SharingTreesImpl(SegmentMaps maps, SharingConfig config, SharingStats stats) {
        this.maps = maps;
        this.entries = new SegmentEntries(maps);
        this.catalog = new TreeCatalog(maps, trees, invalid);
        this.config = config;
        this.stats = stats;
        this.segBytes = maps.segmentBytes();
        this.zeros = new byte[segBytes];
        this.writer = new SegmentWriter(this);
        this.throttle = new BgCopyThrottle(config.bgcopyBytesPerSecond());
        this.bgEngine = new BgCopyEngine(cloneCopy, throttle, config.bgcopyBatch(), segBytes);
        new Recovery(this).run();
        if (config.bgcopyBackground()) {
            bgEngine.start();
        }
    }

    // ------------------------------------------------------------------------------------------
    // lookup and locking

    Disk disk(long id) {
        Disk d = disks.get(id);
        if (d == null || d.deleted) {
            throw new StorageException(ErrorCode.NOT_FOUND, "no logical disk " + id + " in the sharing trees");
        }
        return d;
    }

    Disk validDisk(long id) {
        Disk d = disk(id);
        if (!d.valid) {
            throw new StorageException(ErrorCode.SNAPSHOT_INVALIDATED,
                    "snapshot " + id + " was invalidated: the disk group ran out of space for its copy-on-first-write");
        }
        return d;
    }

    /** Locks d's tree shared; re-checks that d is still in that tree and alive. */
    Tree lockShared(Disk d) {
        while (true) {
            Tree t = d.tree;
            if (t == null) {
                throw gone(d);
            }
            t.structure.readLock().lock();
            if (d.tree == t && !d.deleted && d.valid) {
                return t;
            }
            t.structure.readLock().unlock();
            if (d.deleted || !d.valid) {
                throw gone(d);
            }
        }
    }

    Tree lockExclusive(Disk d) {
        while (true) {
            Tree t = d.tree;
            if (t == null) {
                throw gone(d);
            }
            t.structure.writeLock().lock();
            if (d.tree == t && !d.deleted) {
                return t;
            }
            t.structure.writeLock().unlock();
            if (d.deleted) {
                throw gone(d);
            }
        }
    }

    static StorageException gone(Disk d) {
        if (!d.valid) {
            return new StorageException(ErrorCode.SNAPSHOT_INVALIDATED, "snapshot " + d.id + " was invalidated");
        }
        return new StorageException(ErrorCode.NOT_FOUND, "logical disk " + d.id + " was deleted");
    }

    private void checkRange(Disk d, long offset, int length, int bufLen, int bufOff) {
        if (bufOff < 0 || length < 0 || bufOff + length > bufLen) {
            throw new IllegalArgumentException("buffer range " + bufOff + "+" + length + " outside " + bufLen);
        }
        if (offset % 512 != 0 || length % 512 != 0 || offset < 0) {
            throw new StorageException(ErrorCode.UNALIGNED_IO, "offset " + offset + " / length " + length
                    + " not multiples of 512");
        }
        if (offset + length > (long) d.segments * segBytes) {
            throw new StorageException(ErrorCode.OUT_OF_RANGE, "range " + offset + "+" + length
                    + " beyond disk " + d.id + " of " + ((long) d.segments * segBytes) + " bytes");
        }
    }

    // ------------------------------------------------------------------------------------------
    // I/O

    /** The ByteBuffer read over the array (one set of read rules and locking for both). */
    @Override
    public void read(long diskId, long offset, byte[] dst, int dstOffset, int length) {
        Disk d = validDisk(diskId);
        checkRange(d, offset, length, dst.length, dstOffset);
        read(diskId, offset, ByteBuffer.wrap(dst, dstOffset, length));
    }

    @Override
    public java.util.List<long[]> lostRanges(long diskId) {
        java.util.List<long[]> out = new java.util.ArrayList<>();
        forEachContent(diskId, (s, ptr) -> {
            long base = (long) s * segBytes;
            for (long[] r : maps.lostRanges(ptr)) {
                long[] last = out.isEmpty() ? null : out.get(out.size() - 1);
                if (last != null && last[1] == base + r[0]) {
                    last[1] = base + r[1];
                } else {
                    out.add(new long[]{base + r[0], base + r[1]});
                }
            }
        });
        return out;
    }

    @Override
    public java.util.SortedSet<Long> rstoreIds(long diskId) {
        java.util.SortedSet<Long> out = new java.util.TreeSet<>();
        forEachContent(diskId, (s, ptr) -> {
            long id = maps.rstoreId(ptr);
            if (id >= 0) {
                out.add(id);
            }
        });
        return out;
    }

    /** Calls {@code each} with (segment, content pointer) for every segment of the disk that reads stored data. */
    private void forEachContent(long diskId, java.util.function.ObjLongConsumer<Integer> each) {
        Disk d = validDisk(diskId);
        Tree t = lockShared(d);
        try {
            for (int s = 0; s < d.segments; s++) {
                ReentrantReadWriteLock.ReadLock l = t.stripe(s).readLock();
                l.lock();
                try {
                    long ptr = entries.contentPtr(d, s);
                    if (ptr != 0) {
                        each.accept(s, ptr);
                    }
                } finally {
                    l.unlock();
                }
            }
        } finally {
            t.structure.readLock().unlock();
        }
    }

    /** Zeros for unheld segments read into a buffer (read-only, duplicated per use). */
    private static final ByteBuffer ZERO_SEGMENT = ByteBuffer.allocateDirect(1 << 20).asReadOnlyBuffer();

    /**
     * The byte[] read's rules, straight into {@code dst} (position.., advanced): each segment piece is
     * read by the segment maps into the buffer itself, so a direct buffer is filled by the drives'
     * positional reads without an intermediate heap copy.
     */
    @Override
    public void read(long diskId, long offset, ByteBuffer dst) {
        Disk d = validDisk(diskId);
        int length = dst.remaining();
        checkRange(d, offset, length, length, 0);
        int pos = dst.position();
        int lim = dst.limit();
        Tree t = lockShared(d);
        try {
            while (length > 0) {
                int s = (int) (offset / segBytes);
                int off = (int) (offset % segBytes);
                int n = Math.min(length, segBytes - off);
                dst.limit(pos + n).position(pos);
                ReentrantReadWriteLock.ReadLock l = t.stripe(s).readLock();
                l.lock();
                try {
                    long ptr = entries.contentPtr(d, s);
                    if (ptr == 0) {
                        while (dst.hasRemaining()) {
                            ByteBuffer z = ZERO_SEGMENT.duplicate();
                            z.limit(Math.min(z.capacity(), dst.remaining()));
                            dst.put(z);
                        }
                    } else {
                        maps.read(ptr, off, dst);
                    }
                } finally {
                    l.unlock();
                }
                offset += n;
                pos += n;
                length -= n;
            }
        } finally {
            t.structure.readLock().unlock();
            dst.limit(lim).position(pos);
        }
    }

    @Override
    public void write(long diskId, long offset, byte[] src, int srcOffset, int length) {
        Disk d = validDisk(diskId);
        checkRange(d, offset, length, src.length, srcOffset);
        write(d, offset, ByteBuffer.wrap(src, srcOffset, length));
    }

    /** Same locking and CFW path as the byte[] write; a direct buffer reaches the drives without a heap copy. */
    @Override
    public void write(long diskId, long offset, ByteBuffer src) {
        Disk d = validDisk(diskId);
        int length = src.remaining();
        checkRange(d, offset, length, length, 0);
        write(d, offset, src);
    }

    /** Writes {@code src.remaining()} checked bytes at {@code offset}, advancing {@code src} segment by segment. */
    private void write(Disk d, long offset, ByteBuffer src) {
        int srcOffset = src.position();
        int length = src.remaining();
        while (length > 0) {
            int s = (int) (offset / segBytes);
            int off = (int) (offset % segBytes);
            int n = Math.min(length, segBytes - off);
            underSegmentLock(d, s, WRITE_SEGMENT, off, src.slice(srcOffset, n));
            offset += n;
            srcOffset += n;
            length -= n;
            src.position(srcOffset);
        }
    }

    /** One host operation on one segment of a disk, run under the tree's shared lock and the segment's stripe lock. */
    @FunctionalInterface
    private interface SegmentOp {
        void apply(SharingTreesImpl trees, Tree t, Disk d, int s, int off, ByteBuffer data);
    }

    private static final SegmentOp WRITE_SEGMENT = (trees, t, d, s, off, data) -> trees.writer.writeSegment(d, s, off, data);
    private static final SegmentOp UNMAP_SEGMENT = (trees, t, d, s, off, data) -> trees.writer.unmapSegment(t, d, s);
    private static final ByteBuffer NO_DATA = ByteBuffer.allocate(0).asReadOnlyBuffer();
    /** The metadata half of a write: a write of no bytes (every allocation and CFW a write would make). */
    private static final SegmentOp PREPARE_SEGMENT = (trees, t, d, s, off, data) -> {
        if (!trees.writer.privatelyHeld(d, s)) {
            trees.writer.writeSegment(d, s, off, NO_DATA.duplicate());
        }
    };

    @Override
    public void prepareWrite(long diskId, long offset, long length) {
        Disk d = validDisk(diskId);
        if (length < 0 || length > Integer.MAX_VALUE) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "prepareWrite length " + length);
        }
        checkRange(d, offset, (int) length, (int) length, 0);
        if (length == 0) {
            return;
        }
        int first = (int) (offset / segBytes);
        int last = (int) ((offset + length - 1) / segBytes);
        for (int s = first; s <= last; s++) {
            if (!writer.privatelyHeld(d, s)) {
                underSegmentLock(d, s, PREPARE_SEGMENT, (int) (offset > (long) s * segBytes ? offset % segBytes : 0), null);
            }
        }
    }

    /**
     * Runs {@code op} on segment {@code s} of {@code d} under the tree's shared structure lock and the
     * segment's stripe write lock. When the operation needs a snapshot to be invalidated (it could not get
     * space for that snapshot's copy, [0087]), the locks are dropped, the snapshot is invalidated and the
     * operation is retried; if the snapshot is {@code d} itself, the operation fails instead.
     */
    private void underSegmentLock(Disk d, int s, SegmentOp op, int off, ByteBuffer data) {
        while (true) {
            Disk victim = null;
            Tree t = lockShared(d);
            try {
                ReentrantReadWriteLock.WriteLock l = t.stripe(s).writeLock();
                l.lock();
                try {
                    op.apply(this, t, d, s, off, data);
                } finally {
                    l.unlock();
                }
            } catch (NeedsInvalidation ni) {
                victim = ni.disk;
            } finally {
                t.structure.readLock().unlock();
            }
            if (victim == null) {
                return;
            }
            invalidate(victim);
            if (victim == d) {
                throw new StorageException(ErrorCode.SNAPSHOT_INVALIDATED, "snapshot " + d.id
                        + " was invalidated: no space for its copy of segment " + s);
            }
        }
    }

    @Override
    public void unmap(long diskId, long offset, long length) {
        Disk d = validDisk(diskId);
        if (length < 0 || length > Integer.MAX_VALUE * 512L) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "unmap length " + length);
        }
        if (offset % 512 != 0 || length % 512 != 0 || offset < 0) {
            throw new StorageException(ErrorCode.UNALIGNED_IO, "unmap offset " + offset + " / length " + length
                    + " not multiples of 512");
        }
        if (offset + length > (long) d.segments * segBytes) {
            throw new StorageException(ErrorCode.OUT_OF_RANGE, "unmap range " + offset + "+" + length
                    + " beyond disk " + d.id);
        }
        while (length > 0) {
            int s = (int) (offset / segBytes);
            int off = (int) (offset % segBytes);
            int n = (int) Math.min(length, segBytes - off);
            if (n < segBytes) {
                write(diskId, offset, zeros, 0, n);
            } else {
                underSegmentLock(d, s, UNMAP_SEGMENT, 0, null);
            }
            offset += n;
            length -= n;
        }
    }

    @Override
    public void resize(long diskId, int newSegments) {
        Disk d = validDisk(diskId);
        Tree t = lockExclusive(d);
        try {
            if (t.chain.size() != 1) {
                throw new StorageException(ErrorCode.INVALID_STATE, "disk " + diskId + " has "
                        + (t.chain.size() - 1) + " snapshots/snapclones in its tree; resize is for a LUN alone in its tree");
            }
            if (newSegments < d.segments) {
                throw new StorageException(ErrorCode.INVALID_ARGUMENT, "shrinking disk " + diskId + " from "
                        + d.segments + " to " + newSegments + " segments is not supported");
            }
            if (newSegments == d.segments) {
                return;
            }
            maps.grow(d.id, newSegments);
            synchronized (catalogMonitor) {
                d.segments = newSegments;   // a tree has no per-segment state to resize
                commit();
            }
        } finally {
            t.structure.writeLock().unlock();
        }
    }

    @Override
    public boolean mapped(long diskId, int segment) {
        Disk d = validDisk(diskId);
        if (segment < 0 || segment >= d.segments) {
            throw new StorageException(ErrorCode.OUT_OF_RANGE, "segment " + segment + " beyond disk " + diskId);
        }
        Tree t = lockShared(d);
        try {
            ReentrantReadWriteLock.ReadLock l = t.stripe(segment).readLock();
            l.lock();
            try {
                return entries.contentPtr(d, segment) != 0;
            } finally {
                l.unlock();
            }
        } finally {
            t.structure.readLock().unlock();
        }
    }

    @Override
    public void flush(long diskId) {
        Disk d = validDisk(diskId);
        maps.flush(d.id);
    }

    // ------------------------------------------------------------------------------------------
    // structure

    @Override
    public long createLun(int segments) {
        return createLun(segments, null);
    }

    @Override
    public long createLun(int segments, io.evasan.raid.rstore.RaidLevel level) {
        return createLun(segments, level, -1);
    }

    @Override
    public long createLun(int segments, io.evasan.raid.rstore.RaidLevel level, int diskGroup) {
        if (segments <= 0) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "LUN size must be at least one segment");
        }
        long id = diskGroup >= 0 ? maps.createDisk(segments, level, diskGroup)
                : level == null ? maps.createDisk(segments) : maps.createDisk(segments, level);
        Disk d = new Disk(id, DiskKind.LUN, AllocationPolicy.ON_DEMAND, SnapcloneMode.EAGER, segments);
        Tree t = new Tree(stripes);
        t.chain.add(d);
        t.relink();
        synchronized (catalogMonitor) {
            trees.add(t);
            disks.put(id, d);
            commit();
        }
        return id;
    }

    @Override
    public int diskGroup(long disk) {
        return maps.diskGroup(disk(disk).id);
    }

    @Override
    public io.evasan.raid.rstore.RaidLevel raidLevel(long disk) {
        return maps.raidLevel(disk(disk).id);
    }

    @Override
    public long snapshot(long diskId, AllocationPolicy policy) {
        return insertPredecessor(diskId, policy, DiskKind.SNAPSHOT, SnapcloneMode.EAGER, 0);
    }

    @Override
    public long snapclone(long diskId, AllocationPolicy policy, SnapcloneMode mode) {
        return insertPredecessor(diskId, policy, DiskKind.SNAPCLONE, mode, 0);
    }

    @Override
    public long snapshot(long diskId, AllocationPolicy policy, long tag) {
        return insertPredecessor(diskId, policy, DiskKind.SNAPSHOT, SnapcloneMode.EAGER, tag);
    }

    @Override
    public long snapclone(long diskId, AllocationPolicy policy, SnapcloneMode mode, long tag) {
        return insertPredecessor(diskId, policy, DiskKind.SNAPCLONE, mode, tag, -1);
    }

    @Override
    public long snapclone(long diskId, AllocationPolicy policy, SnapcloneMode mode, long tag, int diskGroup) {
        return insertPredecessor(diskId, policy, DiskKind.SNAPCLONE, mode, tag, diskGroup, 0);
    }

    @Override
    public long snapclone(long diskId, AllocationPolicy policy, SnapcloneMode mode, long tag, int diskGroup,
                          int quiesceThresholdM) {
        if (quiesceThresholdM < 0 || quiesceThresholdM > SharingTrees.MAX_QUIESCE_THRESHOLD) {
            throw new IllegalArgumentException("quiesce threshold M " + quiesceThresholdM + " outside 0.."
                    + SharingTrees.MAX_QUIESCE_THRESHOLD);
        }
        return insertPredecessor(diskId, policy, DiskKind.SNAPCLONE, mode, tag, diskGroup, quiesceThresholdM);
    }

    /** Fig. 15d's M of snapclone {@code c}: its own, else the configured one. */
    int quiesceThreshold(Disk c) {
        return c.quiesceM > 0 ? c.quiesceM : config.quiesceThresholdM();
    }

    /** Ends the foreign pointers of a disk that left its tree (idempotent; logged, never thrown: the disk stays readable). */
    void settleGroup(Disk d) {
        try {
            maps.settleGroup(d.id);
        } catch (StorageException ex) {
            LOG.log(System.Logger.Level.WARNING, "disk " + d.id + " still points into its former source's disk group: "
                    + ex.getMessage() + "; it takes no snapshots until a restart settles it");
        }
    }

    private long insertPredecessor(long diskId, AllocationPolicy policy, DiskKind kind, SnapcloneMode mode, long tag) {
        return insertPredecessor(diskId, policy, kind, mode, tag, -1, 0);
    }

    private long insertPredecessor(long diskId, AllocationPolicy policy, DiskKind kind, SnapcloneMode mode, long tag,
                                   int diskGroup) {
        return insertPredecessor(diskId, policy, kind, mode, tag, diskGroup, 0);
    }

    private long insertPredecessor(long diskId, AllocationPolicy policy, DiskKind kind, SnapcloneMode mode, long tag,
                                   int diskGroup, int quiesceM) {
        if (policy == null || mode == null) {
            throw new IllegalArgumentException("policy and mode are required");
        }
        if (diskGroup >= 0 && kind != DiskKind.SNAPCLONE) {
            throw new IllegalArgumentException("only a snapclone may be placed in another disk group");
        }
        long t0 = System.nanoTime();
        Disk x = validDisk(diskId);
        Tree t = lockExclusive(x);
        try {
            return structure.insertPredecessor(t, x, policy, kind, mode, tag, diskGroup, quiesceM, t0);
        } finally {
            t.structure.writeLock().unlock();
        }
    }

    @Override
    public void delete(long diskId, DeleteOption option) {
        if (option == null) {
            throw new IllegalArgumentException("delete option is required");
        }
        Disk x = disk(diskId);
        if (!x.valid) {
            structure.deleteInvalid(x);
            return;
        }
        Tree t = lockExclusive(x);
        try {
            structure.delete(t, x, option);
        } finally {
            t.structure.writeLock().unlock();
        }
    }

    /** [0087]: an on-demand snapshot that cannot get space leaves its tree and reads fail from now on. */
    void invalidate(Disk v) {
        Tree t;
        try {
            t = lockExclusive(v);
        } catch (StorageException gone) {
            return;
        }
        try {
            structure.invalidate(t, v);
        } finally {
            t.structure.writeLock().unlock();
        }
    }

    @Override
    public void rollback(long lunId, long snapId) {
        Disk l = validDisk(lunId);
        Disk s = validDisk(snapId);
        if (l == s) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "cannot roll disk " + lunId + " back to itself");
        }
        Tree t = lockExclusive(l);
        try {
            structure.rollback(t, l, s);
        } finally {
            t.structure.writeLock().unlock();
        }
    }

    /** Wakes the BGCOPY thread (a snapclone was created or resumed). */
    void wakeBgcopy() {
        bgEngine.wake();
    }

    // ------------------------------------------------------------------------------------------
    // BGCOPY (the copy itself: CloneCopy; the thread and throttle: io.evasan.sharing.bgcopy)

    @Override
    public int bgcopyStep(long cloneId, int maxSegments) {
        return cloneCopy.bgcopyStep(cloneId, maxSegments);
    }

    @Override
    public void pauseBgcopy(long cloneId) {
        cloneCopy.pauseBgcopy(cloneId);
    }

    @Override
    public void resumeBgcopy(long cloneId) {
        cloneCopy.resumeBgcopy(cloneId);
    }

    @Override
    public BgCopyProgress bgcopyProgress(long cloneId) {
        return cloneCopy.bgcopyProgress(cloneId);
    }

    /** The configuration the trees were opened with (its BGCOPY rate is the one the first resumed copy ran at). */
    public SharingConfig config() {
        return config;
    }

    /** The BGCOPY throttle in force, bytes per second (0 = unthrottled). */
    public long bgcopyRate() {
        return throttle.rate();
    }

    @Override
    public void setBgcopyRate(long bytesPerSecond) {
        throttle.setRate(bytesPerSecond);
    }

    // ------------------------------------------------------------------------------------------
    // catalog

    /** Writes the catalog of every tree and invalidated disk; caller holds {@link #catalogMonitor}. */
    void commit() {
        catalog.commit();
    }

    // ------------------------------------------------------------------------------------------
    // describe

    @Override
    public TreeDescription describe(long diskId) {
        Disk x = validDisk(diskId);
        Tree t = lockShared(x);
        try {
            return TreeDescriber.describe(t, entries);
        } finally {
            t.structure.readLock().unlock();
        }
    }

    /**
     * Raw entry of one disk and segment (for the figure tests and diagnostics): effective bits,
     * i.e. Sp reads false without a predecessor and Ss false without a successor.
     */
    public long entry(long diskId, int segment) {
        Disk d = validDisk(diskId);
        Tree t = lockShared(d);
        try {
            return TreeDescriber.effectiveEntry(d, segment, entries);
        } finally {
            t.structure.readLock().unlock();
        }
    }

    static List<Long> chainIds(Tree t) {
        List<Long> ids = new ArrayList<>();
        for (Disk d : t.chain) {
            ids.add(d.id);
        }
        return ids;
    }

    /** Number of chain walks of two or more hops so far (each one fills the holder cache). */
    public long longWalks() {
        return entries.longWalks();
    }

    /** Chain of the tree {@code diskId} belongs to, oldest first. */
    public List<Long> chain(long diskId) {
        Disk d = validDisk(diskId);
        Tree t = lockShared(d);
        try {
            return chainIds(t);
        } finally {
            t.structure.readLock().unlock();
        }
    }

    @Override
    public List<Long> disks() {
        List<Long> ids = new ArrayList<>(disks.keySet());
        ids.sort(null);
        return ids;
    }

    @Override
    public DiskKind kind(long diskId) {
        return disk(diskId).kind;
    }

    @Override
    public boolean isValid(long diskId) {
        return disk(diskId).valid;
    }

    @Override
    public int segments(long diskId) {
        return disk(diskId).segments;
    }

    @Override
    public int segmentBytes() {
        return segBytes;
    }

    @Override
    public SharingStats stats() {
        return stats;
    }

    @Override
    public void close() {
        bgEngine.close();
    }
}
