package io.evasan.sharing.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.sharing.DiskKind;
import io.evasan.sharing.spi.SegmentMaps;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import static io.evasan.sharing.sharebits.ShareEntry.encode;
import static io.evasan.sharing.sharebits.ShareEntry.holder;
import static io.evasan.sharing.sharebits.ShareEntry.pointer;
import static io.evasan.sharing.sharebits.ShareEntry.sp;
import static io.evasan.sharing.sharebits.ShareEntry.ss;

/**
 * The entries of the trees' disks, one disk and segment at a time, over the {@link SegmentMaps}: read an
 * entry, change it (set, link, unlink), allocate for a disk's space policy, give a disk its own copy, and
 * resolve what a disk reads ([0096]: walk successors while Ss is set, with a per-disk holder cache).
 *
 * <p><b>Invariant</b>: every entry change made here counts as a change of that segment's version in the tree
 * ({@link Tree#changed}), so a holder cached for an older version is never returned by {@link #resolve}. Callers
 * hold the tree's structure lock (shared or exclusive) and, for a change, the segment's stripe write lock, for
 * {@link #resolve} its stripe lock (read or write) or the structure lock exclusively; no method here takes a
 * lock. The holder cache and the versions are paged ({@link PagedLongs}): they cost memory only for segments
 * whose reads walked two hops or more, never in proportion to a disk's virtual size.
 *
 * <p><b>Invariant (power loss: data before the map that points at it)</b>: a map record that makes a disk
 * read a newly written RSEG instead of the data it read before is durable only after that RSEG's data is.
 * So a fresh RSEG filled with content a disk already had (a copy on first write into a predecessor, a disk's
 * private copy of what it read through its successor, a BGCOPY or EAGER copy, the repair of an interrupted
 * hand-off) or with a whole-segment overwrite replacing it (the hand-off's new RSEG, a private whole-segment
 * write) is forced ({@link SegmentMaps#force}) between its fill and its {@code link}: {@link #copyFresh},
 * {@link #writeFresh}. Without that a cut could keep the record and drop the data, and the disk (and every
 * older snapshot reading through it) would read the fresh RSEG: zeros or a freed segment's bytes, not the
 * data it owned. And conversely, the record that ends a disk's read-through of another disk's RSEG is forced
 * ({@link SegmentMaps#forceMaps}, a no-op when every record is forced) before that RSEG can be overwritten in
 * place ({@link #linkOwn}, and after a hand-off), else a cut could drop the record and keep the overwrite.
 * A first write into a segment without content needs neither: the disk read zeros before and reads zeros
 * or the unforced write's data after a cut (a write becomes durable at FUA / SYNCHRONIZE CACHE, {@code flush}).
 */
final class SegmentEntries {
    private final SegmentMaps maps;
    /** Walks of two or more hops (holder-cache misses); diagnostics for the 256-snapshot test. */
    private final LongAdder longWalks = new LongAdder();

    SegmentEntries(SegmentMaps maps) {
        this.maps = maps;
    }

    long e(Disk d, int s) {
        return maps.entry(d.id, s);
    }

    static boolean ssEff(Disk d, long e) {
        return d.succ != null && ss(e);
    }

    void set(Disk d, int s, long expect, long update) {
        if (expect != update) {
            maps.setEntry(d.id, s, expect, update);
            d.tree.changed(s);
        }
    }

    void link(Disk d, int s, long expect, long rseg, boolean sp, boolean ss) {
        maps.link(d.id, s, expect, rseg, sp, ss);
        d.tree.changed(s);
    }

    void unlink(Disk d, int s, long expect, long update) {
        maps.unlink(d.id, s, expect, update);
        d.tree.changed(s);
    }

    /**
     * Links fresh RSEG {@code r}, filled by {@link #copyFresh} or {@link #writeFresh} (so forced), as {@code d}'s
     * own, then forces the map change: {@code d} no longer reads the RSEG it read before, which its holder may
     * now overwrite in place.
     */
    void linkOwn(Disk d, int s, long expect, long r, boolean sp, boolean ss) {
        link(d, s, expect, r, sp, ss);
        maps.forceMaps();
    }

    /** Copies content {@code srcPtr} into fresh unlinked RSEG {@code r} and forces it; releases {@code r} on failure. */
    void copyFresh(long srcPtr, long r) {
        copyUnforced(srcPtr, r);
        try {
            maps.force(r);
        } catch (RuntimeException ex) {
            maps.release(r);
            throw ex;
        }
    }

    /**
     * Copies content {@code srcPtr} into fresh unlinked RSEG {@code r}, not forced: the caller forces it before
     * linking it (a batch of copies, one force); releases {@code r} on failure.
     */
    void copyUnforced(long srcPtr, long r) {
        try {
            maps.copy(srcPtr, r);
        } catch (RuntimeException ex) {
            maps.release(r);
            throw ex;
        }
    }

    /**
     * Writes {@code src} at {@code off} into fresh unlinked RSEG {@code r} (consuming it) and forces it; releases
     * {@code r} on failure.
     */
    void writeFresh(long r, int off, ByteBuffer src) {
        try {
            maps.write(r, off, src);
            maps.force(r);
        } catch (RuntimeException ex) {
            maps.release(r);
            throw ex;
        }
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

    /**
     * Gives {@code dst} its own copy of content {@code srcPtr} (0 = zeros); dst must not hold. The copy is forced
     * before the link, the link before this returns (the class invariant).
     */
    void copyInto(Disk dst, int s, long dstExpect, long srcPtr, boolean sp, boolean ss) {
        if (srcPtr == 0) {
            set(dst, s, dstExpect, encode(0, false, sp, ss));
            return;
        }
        long r = allocFor(dst, s);
        copyFresh(srcPtr, r);
        linkOwn(dst, s, dstExpect, r, sp, ss);
    }

    /** The disk whose entry holds what {@code d} reads at segment s ([0096]), with a holder cache. */
    Disk resolve(Disk d, int s) {
        if (d.succ == null) {
            return d;
        }
        Tree t = d.tree;
        int ver = t.version(s);
        PagedLongs cache = d.holderCache;
        if (cache != null) {
            long c = cache.get(s);
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
                cache = new PagedLongs();
                d.holderCache = cache;
            }
            t.trackVersion(s);   // before the entry: every later change of s makes it stale
            cache.set(s, ((long) ver << 32) | (h.pos + 1));
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

    /** Number of chain walks of two or more hops so far (each one fills the holder cache). */
    long longWalks() {
        return longWalks.sum();
    }
}
