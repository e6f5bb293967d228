package io.evasan.sharing.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.sharing.AllocationPolicy;
import io.evasan.sharing.BgCopyProgress;
import io.evasan.sharing.BgCopyState;
import io.evasan.sharing.DeleteOption;
import io.evasan.sharing.DiskDescription;
import io.evasan.sharing.DiskKind;
import io.evasan.sharing.SharingConfig;
import io.evasan.sharing.SharingStats;
import io.evasan.sharing.SharingTrees;
import io.evasan.sharing.SnapcloneMode;
import io.evasan.sharing.TreeDescription;
import io.evasan.sharing.bgcopy.BgCopyEngine;
import io.evasan.sharing.bgcopy.BgCopyThrottle;
import io.evasan.sharing.catalog.Catalog;
import io.evasan.sharing.catalog.CatalogDescriptor;
import io.evasan.sharing.sharebits.ShareBitRules;
import io.evasan.sharing.spi.SegmentMaps;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import static io.evasan.sharing.sharebits.ShareEntry.encode;
import static io.evasan.sharing.sharebits.ShareEntry.holder;
import static io.evasan.sharing.sharebits.ShareEntry.pointer;
import static io.evasan.sharing.sharebits.ShareEntry.sp;
import static io.evasan.sharing.sharebits.ShareEntry.ss;
import static io.evasan.sharing.sharebits.ShareEntry.withSp;

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
 * per-segment locks (a segment of all disks of one tree is one lock: a CFW touches neighbours).
 *
 * <p><b>Structure</b>: this class is the facade and coordinator. It owns the trees, disks, catalog
 * ({@link #catalogMonitor}, {@link #commit}) and takes every tree lock; the hot path (read/write/unmap,
 * CFW, {@link #resolve}) stays here with no extra call objects. Its parts: {@link Recovery} (open),
 * {@link StructureOps} (tree-shape changes, called with the tree's structure write lock held),
 * {@link CloneCopy} (BGCOPY steps, leaving, pause/resume/progress) and, in {@code io.evasan.sharing.bgcopy},
 * the BGCOPY thread ({@link io.evasan.sharing.bgcopy.BgCopyEngine}) and throttle
 * ({@link io.evasan.sharing.bgcopy.BgCopyThrottle}).
 */
public final class SharingTreesImpl implements SharingTrees {
    private static final int MAX_STRIPES = 256;
    static final System.Logger LOG = System.getLogger(SharingTreesImpl.class.getName());

    final SegmentMaps maps;
    final SharingConfig config;
    final SharingStats stats;
    private final int segBytes;
    /** Zeros for partial-segment unmaps (never written to). */
    private final byte[] zeros;
    final ConcurrentHashMap<Long, Disk> disks = new ConcurrentHashMap<>();
    final Set<Tree> trees = ConcurrentHashMap.newKeySet();
    final Object catalogMonitor = new Object();
    /** Walks of two or more hops (holder-cache misses); diagnostics for the 256-snapshot test. */
    private final java.util.concurrent.atomic.LongAdder longWalks = new java.util.concurrent.atomic.LongAdder();
    /** The BGCOPY throttle (rate in force). */
    private final BgCopyThrottle throttle;
    /** The BGCOPY thread; started only when {@code config.bgcopyBackground()}. */
    final BgCopyEngine bgEngine;

    /** Thrown inside an I/O when an on-demand disk cannot get space: invalidate it, then retry. */
    static final class NeedsInvalidation extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient Disk disk;

        NeedsInvalidation(Disk disk, Throwable cause) {
            super(null, cause, false, false);
            this.disk = disk;
        }
    }

    static final class Tree {
        final ArrayList<Disk> chain = new ArrayList<>();
        final ReentrantReadWriteLock structure = new ReentrantReadWriteLock();
        final ReentrantReadWriteLock[] stripes;
        /** Bumped under the stripe write lock on every entry change of the segment in this tree. */
        final int[] segVersion;
        int op = CatalogDescriptor.OP_NONE;
        long argA;
        long argB;

        Tree(int segments) {
            int n = Math.max(1, Math.min(MAX_STRIPES, segments));
            stripes = new ReentrantReadWriteLock[n];
            for (int i = 0; i < n; i++) {
                stripes[i] = new ReentrantReadWriteLock();
            }
            segVersion = new int[segments];
        }

        ReentrantReadWriteLock stripe(int s) {
            return stripes[s % stripes.length];
        }

        void relink() {
            for (int i = 0; i < chain.size(); i++) {
                Disk d = chain.get(i);
                d.tree = this;
                d.pos = i;
                d.pred = i == 0 ? null : chain.get(i - 1);
                d.succ = i == chain.size() - 1 ? null : chain.get(i + 1);
                d.holderCache = null;
            }
        }

        Disk copyingClone() {
            for (Disk d : chain) {
                if (d.copying) {
                    return d;
                }
            }
            return null;
        }
    }

    static final class Disk {
        final long id;
        volatile DiskKind kind;
        final AllocationPolicy policy;
        final SnapcloneMode mode;
        volatile int segments;
        volatile Tree tree;
        volatile int pos;
        volatile Disk pred;
        volatile Disk succ;
        final AtomicLong reservedRemaining = new AtomicLong();
        volatile boolean copying;
        /** A copying snapclone in another disk group than its successor's (its tree takes no other changes). */
        volatile boolean crossGroup;
        volatile boolean paused;
        volatile boolean stalled;
        volatile boolean valid = true;
        volatile boolean deleted;
        volatile long tag;
        final Object bgLock = new Object();
        int bgCursor;
        volatile long[] holderCache;

        Disk(long id, DiskKind kind, AllocationPolicy policy, SnapcloneMode mode, int segments) {
            this.id = id;
            this.kind = kind;
            this.policy = policy;
            this.mode = mode;
            this.segments = segments;
        }
    }

    /** Invalidated disks: out of every tree, maps gone, reads fail until deleted. */
    final ConcurrentHashMap<Long, Disk> invalid = new ConcurrentHashMap<>();
    /** Snapshot/snapclone creation, delete, invalidate, rollback, a clone leaving: run under the tree's write lock. */
    final StructureOps structure = new StructureOps(this);
    /** BGCOPY steps, the leave loop, pause/resume/progress; the host of {@link #bgEngine}. */
    private final CloneCopy cloneCopy = new CloneCopy(this);

    public SharingTreesImpl(SegmentMaps maps, SharingConfig config, SharingStats stats) {
        this.maps = maps;
        this.config = config;
        this.stats = stats;
        this.segBytes = maps.segmentBytes();
        this.zeros = new byte[segBytes];
        this.throttle = new BgCopyThrottle(config.bgcopyBytesPerSecond());
        this.bgEngine = new BgCopyEngine(cloneCopy, throttle, config.bgcopyBatch(), segBytes);
        new Recovery(this).run();
        if (config.bgcopyBackground()) {
            bgEngine.start();
        }
    }

    // ------------------------------------------------------------------------------------------
    // entries

    long e(Disk d, int s) {
        return maps.entry(d.id, s);
    }

    static boolean ssEff(Disk d, long e) {
        return d.succ != null && ss(e);
    }

    void set(Disk d, int s, long expect, long update) {
        if (expect != update) {
            maps.setEntry(d.id, s, expect, update);
            d.tree.segVersion[s]++;
        }
    }

    void link(Disk d, int s, long expect, long rseg, boolean sp, boolean ss) {
        maps.link(d.id, s, expect, rseg, sp, ss);
        d.tree.segVersion[s]++;
    }

    void unlink(Disk d, int s, long expect, long update) {
        maps.unlink(d.id, s, expect, update);
        d.tree.segVersion[s]++;
    }

    long allocFor(Disk d, int s) {
        return allocFor(d, d, s);
    }

    /** Allocates for {@code d}'s space policy an RSEG placed with {@code home}, the disk that will hold it. */
    long allocFor(Disk d, Disk home, int s) {
        AtomicLong res = d.reservedRemaining;
        for (long r = res.get(); r > 0; r = res.get()) {
            if (res.compareAndSet(r, r - 1)) {
                return maps.allocate(home.id, s, true);
            }
        }
        try {
            return maps.allocate(home.id, s, false);
        } catch (StorageException ex) {
            if (ex.code() == ErrorCode.SPACE_ALLOCATION_FAILED && d.kind != DiskKind.LUN) {
                throw new NeedsInvalidation(d, ex);
            }
            throw ex;
        }
    }

    /** Gives {@code dst} its own copy of content {@code srcPtr} (0 = zeros); dst must not hold. */
    void copyInto(Disk dst, int s, long dstExpect, long srcPtr, boolean sp, boolean ss) {
        if (srcPtr == 0) {
            set(dst, s, dstExpect, encode(0, false, sp, ss));
            return;
        }
        long r = allocFor(dst, s);
        try {
            maps.copy(srcPtr, r);
        } catch (RuntimeException ex) {
            maps.release(r);
            throw ex;
        }
        link(dst, s, dstExpect, r, sp, ss);
    }

    /** The disk whose entry holds what {@code d} reads at segment s ([0096]), with a holder cache. */
    Disk resolve(Disk d, int s) {
        if (d.succ == null) {
            return d;
        }
        Tree t = d.tree;
        int ver = t.segVersion[s];
        long[] cache = d.holderCache;
        if (cache != null) {
            long c = cache[s];
            if ((int) c != 0 && (int) (c >>> 32) == ver) {
                return t.chain.get((int) c - 1);
            }
        }
        Disk h = d;
        int hops = 0;
        while (h.succ != null && ss(e(h, s))) {
            h = h.succ;
            hops++;
        }
        if (hops >= 2) {
            longWalks.increment();
            if (cache == null) {
                cache = new long[d.segments];
                d.holderCache = cache;
            }
            cache[s] = ((long) ver << 32) | (h.pos + 1);
        }
        return h;
    }

    /**
     * Before RSEG {@code ptr} of segment s is freed: pointer copies in other disks of the tree that
     * still name it (non-holder entries, whose pointer is only a hint while Ss is set) are re-pointed
     * at the RSEG they actually read, so no map ever names a freed RSEG (the mapping checks this).
     */
    void repointStale(Tree t, int s, long ptr, Disk freeing) {
        for (Disk d : t.chain) {
            if (d == freeing) {
                continue;
            }
            long de = e(d, s);
            if (!holder(de) && pointer(de) == ptr) {
                Disk h = resolve(d, s);
                long np = h == freeing ? 0 : pointer(e(h, s));
                if (np == ptr) {
                    throw new IllegalStateException("disk " + d.id + " reads RSEG " + ptr + " that disk "
                            + freeing.id + " is freeing");
                }
                set(d, s, de, encode(np, false, sp(de), ss(de) && np != 0));
            }
        }
    }

    /** Content pointer of what d reads at s (0 = zeros). */
    long contentPtr(Disk d, int s) {
        return pointer(e(resolve(d, s), s));
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
                    long ptr = contentPtr(d, s);
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

    /**
     * Write path of one segment ([0097]-[0099], [0104]) for the {@code src.remaining()} bytes of
     * {@code src} (a fresh view: consumed by the one RSEG write made); caller holds the structure
     * (shared) and stripe locks.
     */
    /** One host operation on one segment of a disk, run under the tree's shared lock and the segment's stripe lock. */
    @FunctionalInterface
    private interface SegmentOp {
        void apply(SharingTreesImpl trees, Tree t, Disk d, int s, int off, ByteBuffer data);
    }

    private static final SegmentOp WRITE_SEGMENT = (trees, t, d, s, off, data) -> trees.writeSegment(d, s, off, data);
    private static final SegmentOp UNMAP_SEGMENT = (trees, t, d, s, off, data) -> trees.unmapSegment(t, d, s);
    private static final ByteBuffer NO_DATA = ByteBuffer.allocate(0).asReadOnlyBuffer();
    /** The metadata half of a write: a write of no bytes (every allocation and CFW a write would make). */
    private static final SegmentOp PREPARE_SEGMENT = (trees, t, d, s, off, data) -> {
        if (!trees.privatelyHeld(d, s)) {
            trees.writeSegment(d, s, off, NO_DATA.duplicate());
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
            if (!privatelyHeld(d, s)) {
                underSegmentLock(d, s, PREPARE_SEGMENT, (int) (offset > (long) s * segBytes ? offset % segBytes : 0), null);
            }
        }
    }

    /**
     * Whether a write to segment {@code s} of {@code d} needs no allocation nor copy for {@code d}: it
     * holds the RSEG, shares it with no successor and owes its predecessor nothing. One atomic entry
     * read: a stale answer can only be "not private" (taking the locked path), or "private" just
     * before a snapshot, whose copies are then charged to the snapshot.
     */
    private boolean privatelyHeld(Disk d, int s) {
        long xe = e(d, s);
        return holder(xe) && pointer(xe) != 0 && !sp(xe) && !ssEff(d, xe) && !d.copying;
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

    private void writeSegment(Disk x, int s, int off, ByteBuffer src) {
        boolean full = off == 0 && src.remaining() == segBytes;
        long xe = e(x, s);
        Disk p = x.pred;
        // 1. preserve for the predecessor (CFW destination)
        if (p != null && sp(xe)) {
            long pe = e(p, s);
            if (ss(pe)) {
                if (full && holder(xe) && !p.crossGroup) {
                    // whole-segment overwrite: the old RSEG goes to P by pointer, X gets a fresh one
                    // (not to a clone in another group: RSEGs never change group, so that one gets a copy)
                    clearSuccessorSpOfClone(x, s);
                    long r = allocFor(p, x, s);
                    try {
                        maps.write(r, 0, src);
                    } catch (RuntimeException ex) {
                        maps.release(r);
                        throw ex;
                    }
                    long ptr = pointer(xe);
                    long xMid = encode(ptr, false, true, false);
                    maps.transferHolder(x.id, s, xe, xMid, p.id, pe, encode(ptr, true, sp(pe), false));
                    x.tree.segVersion[s]++;
                    link(x, s, xMid, r, false, false);
                    stats.cfwHandoffs.increment();
                    eagerCloneCopy(p, s);
                    return;
                }
                copyInto(p, s, pe, contentPtr(x, s), sp(pe), false);
                stats.cfwCopies.increment();
            }
            eagerCloneCopy(p, s);
            long xe2 = withSp(xe, false);
            set(x, s, xe, xe2);
            xe = xe2;
        }
        // 2. X must hold the segment privately
        boolean xss = ssEff(x, xe);
        if (xss || (!holder(xe) && pointer(xe) != 0)) {
            long hp = xss ? contentPtr(x, s) : pointer(xe);
            if (x.copying) {
                full = false;   // a copying snapclone first holds the old data, then clears N.Sp (I2), then writes
            }
            if (full || hp != 0) {
                long r = allocFor(x, s);
                try {
                    if (full) {
                        maps.write(r, 0, src);
                    } else {
                        maps.copy(hp, r);
                    }
                } catch (RuntimeException ex) {
                    maps.release(r);
                    throw ex;
                }
                link(x, s, xe, r, sp(xe), false);
                if (!full) {
                    stats.cfwCopies.increment();
                }
            } else {
                set(x, s, xe, encode(0, false, sp(xe), false));
            }
            if (xss) {
                Disk nx = x.succ;
                long ne = e(nx, s);
                if (sp(ne)) {
                    set(nx, s, ne, withSp(ne, false));
                }
            }
            if (full) {
                return;
            }
            xe = e(x, s);
        }
        // 3. write (allocating on first write)
        clearSuccessorSpOfClone(x, s);
        long ptr = pointer(xe);
        if (ptr == 0) {
            long r = allocFor(x, s);
            try {
                if (src.hasRemaining()) {
                    maps.write(r, off, src);
                }
            } catch (RuntimeException ex) {
                maps.release(r);
                throw ex;
            }
            link(x, s, xe, r, sp(xe), false);
            return;
        }
        if (src.hasRemaining()) {
            maps.write(ptr, off, src);
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

    /** A whole-segment unmap: X's content becomes zeros with no RSEG; caller holds the locks. */
    private void unmapSegment(Tree t, Disk x, int s) {
        long xe = e(x, s);
        Disk p = x.pred;
        if (p != null && sp(xe) && holder(xe) && !p.crossGroup) {
            long pe = e(p, s);
            if (ss(pe)) {
                // the predecessor keeps the old data by pointer: no allocation
                clearSuccessorSpOfClone(x, s);
                maps.transferHolder(x.id, s, xe, 0L, p.id, pe, encode(pointer(xe), true, sp(pe), false));
                t.segVersion[s]++;
                stats.cfwHandoffs.increment();
                eagerCloneCopy(p, s);
                return;
            }
        }
        preserveForPredecessor(x, s);
        xe = e(x, s);
        boolean xss = ssEff(x, xe);
        if (holder(xe)) {
            clearSuccessorSpOfClone(x, s);
            repointStale(t, s, pointer(xe), x);
            unlink(x, s, xe, 0L);
        } else if (xe != 0L) {
            if (!xss) {
                clearSuccessorSpOfClone(x, s);
            }
            set(x, s, xe, 0L);
        }
        if (xss) {
            Disk nx = x.succ;
            long ne = e(nx, s);
            if (sp(ne)) {
                set(nx, s, ne, withSp(ne, false));
            }
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
                Tree nt = new Tree(newSegments);
                nt.chain.add(d);
                d.segments = newSegments;
                trees.remove(t);
                t.chain.clear();
                trees.add(nt);
                nt.relink();
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
                return contentPtr(d, segment) != 0;
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

    /**
     * I2 for a snapclone C still copying: {@code N.Sp} may stay set only while C and its successor N
     * read the same data; before C's own data changes, {@code N.Sp} is cleared (C holds privately by then).
     */
    private void clearSuccessorSpOfClone(Disk x, int s) {
        if (x.copying && x.succ != null) {
            long ne = e(x.succ, s);
            if (sp(ne)) {
                set(x.succ, s, ne, withSp(ne, false));
            }
        }
    }

    /**
     * [0104] Fig. 13f: when the CFW destination is a snapclone still copying (EAGER mode), the data
     * is also copied into the snapclone's predecessor if that one reads through it.
     */
    private void eagerCloneCopy(Disk c, int s) {
        if (!c.copying || c.mode != SnapcloneMode.EAGER || c.pred == null) {
            return;
        }
        long ce = e(c, s);
        if (!sp(ce)) {
            return;
        }
        Disk pp = c.pred;
        long ppe = e(pp, s);
        if (ss(ppe)) {
            copyInto(pp, s, ppe, contentPtr(c, s), sp(ppe), false);
            stats.cfwCopies.increment();
        }
        set(c, s, ce, withSp(ce, false));
    }

    /** Preserves X's current content for its predecessor and clears X.Sp (write Phase 1 without hand-off). */
    void preserveForPredecessor(Disk x, int s) {
        long xe = e(x, s);
        Disk p = x.pred;
        if (p != null && sp(xe)) {
            long pe = e(p, s);
            if (ss(pe)) {
                copyInto(p, s, pe, contentPtr(x, s), sp(pe), false);
                stats.cfwCopies.increment();
            }
            eagerCloneCopy(p, s);
            set(x, s, xe, withSp(xe, false));
        }
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
        Tree t = new Tree(segments);
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
        return insertPredecessor(diskId, policy, DiskKind.SNAPCLONE, mode, tag, diskGroup);
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
        return insertPredecessor(diskId, policy, kind, mode, tag, -1);
    }

    private long insertPredecessor(long diskId, AllocationPolicy policy, DiskKind kind, SnapcloneMode mode, long tag,
                                   int diskGroup) {
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
            return structure.insertPredecessor(t, x, policy, kind, mode, tag, diskGroup, t0);
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

    /** Caller holds {@link #catalogMonitor}. */
    void commit() {
        Catalog c = new Catalog();
        for (Tree t : trees) {
            List<Catalog.DiskRec> chain = new ArrayList<>(t.chain.size());
            for (Disk d : t.chain) {
                chain.add(rec(d));
            }
            if (!chain.isEmpty()) {
                c.trees.add(new Catalog.TreeRec(chain, t.op, t.argA, t.argB));
            }
        }
        for (Disk d : invalid.values()) {
            c.invalid.add(rec(d));
        }
        maps.storeCatalog(c.encode());
    }

    private static Catalog.DiskRec rec(Disk d) {
        int flags = (d.paused ? CatalogDescriptor.FLAG_PAUSED : 0) | (d.stalled ? CatalogDescriptor.FLAG_STALLED : 0);
        return new Catalog.DiskRec(d.id, d.kind.ordinal(), d.policy.ordinal(), d.mode.ordinal(), flags, d.segments, d.tag);
    }

    // ------------------------------------------------------------------------------------------
    // describe

    @Override
    public TreeDescription describe(long diskId) {
        Disk x = validDisk(diskId);
        Tree t = lockShared(x);
        try {
            List<DiskDescription> out = new ArrayList<>();
            for (Disk d : t.chain) {
                long spN = 0;
                long ssN = 0;
                long priv = 0;
                long zero = 0;
                for (int s = 0; s < d.segments; s++) {
                    long de = e(d, s);
                    if (d.pred != null && ss(e(d.pred, s))) {
                        spN++;                    // the predecessor reads through this disk
                    }
                    if (ssEff(d, de)) {
                        ssN++;
                    } else if (holder(de)) {
                        priv++;
                    } else {
                        zero++;
                    }
                }
                BgCopyProgress bg = null;
                if (d.copying) {
                    BgCopyState st = BgCopyEngine.state(d.paused, d.stalled);
                    bg = new BgCopyProgress(d.id, d.segments - ssN, d.segments, st);
                }
                out.add(new DiskDescription(d.id, d.kind, d.policy, d.pos, d.segments, spN, ssN, priv, zero, d.valid, bg));
            }
            return new TreeDescription(out);
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
            long de = e(d, segment);
            boolean spE = d.pred != null && sp(de);
            boolean ssE = ssEff(d, de);
            return io.evasan.sharing.sharebits.ShareEntry.withBits(de, spE, ssE);
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
        return longWalks.sum();
    }

    /** Chain of the tree {@code diskId} belongs to, oldest first. */
    public List<Long> chain(long diskId) {
        Disk d = validDisk(diskId);
        Tree t = lockShared(d);
        try {
            List<Long> ids = new ArrayList<>();
            for (Disk x : t.chain) {
                ids.add(x.id);
            }
            return ids;
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
