package io.evasan.sharing.impl;

import io.evasan.sharing.SharingStats;
import io.evasan.sharing.SnapcloneMode;
import io.evasan.sharing.spi.SegmentMaps;

import java.nio.ByteBuffer;

import static io.evasan.sharing.sharebits.ShareEntry.encode;
import static io.evasan.sharing.sharebits.ShareEntry.holder;
import static io.evasan.sharing.sharebits.ShareEntry.pointer;
import static io.evasan.sharing.sharebits.ShareEntry.sp;
import static io.evasan.sharing.sharebits.ShareEntry.ss;
import static io.evasan.sharing.sharebits.ShareEntry.withSp;

/**
 * The write rules of one segment of one disk ([0097]-[0099], [0104], Figs. 11-13): copy-on-first-write
 * for a predecessor that reads through (a private copy, or the old RSEG handed over by pointer on a
 * whole-segment overwrite), the disk's own copy when it still reads through its successor, the share-bit
 * updates, allocation on first write, and the whole-segment unmap.
 *
 * <p><b>Invariant (locks and order)</b>: every method runs with the disk's tree structure lock held
 * (shared for host I/O, exclusively for structure changes) and the segment's stripe write lock, both
 * taken by {@link SharingTreesImpl}; none takes or releases a lock. Each keeps I1/I2 of
 * {@link SharingTreesImpl} at every durable step: data goes into a fresh unlinked RSEG first, the receiver
 * is linked (its Ss cleared) before the giver's Sp is cleared, and user data is written last. Against power
 * loss, the fresh RSEG's data is forced before the link that makes a disk read it, and that link before an
 * RSEG the disk read until then can be overwritten in place ({@link SegmentEntries}, invariant). When an
 * on-demand snapshot cannot get space, {@link NeedsInvalidation} leaves the entries as they were.
 */
final class SegmentWriter {
    private final SegmentEntries entries;
    private final SegmentMaps maps;
    private final SharingStats stats;
    private final int segBytes;

    SegmentWriter(SharingTreesImpl engine) {
        this.entries = engine.entries;
        this.maps = engine.maps;
        this.stats = engine.stats;
        this.segBytes = engine.segmentBytes();
    }

    /**
     * Write path of one segment ([0097]-[0099], [0104]) for the {@code src.remaining()} bytes of
     * {@code src} (a fresh view: consumed by the one RSEG write made); caller holds the structure
     * (shared) and stripe locks.
     */
    void writeSegment(Disk x, int s, int off, ByteBuffer src) {
        boolean full = off == 0 && src.remaining() == segBytes;
        long xe = entries.e(x, s);
        Disk p = x.pred;
        // 1. preserve for the predecessor (CFW destination)
        if (p != null && sp(xe)) {
            long pe = entries.e(p, s);
            if (ss(pe)) {
                if (full && holder(xe) && !p.crossGroup) {
                    // whole-segment overwrite: the old RSEG goes to P by pointer, X gets a fresh one
                    // (not to a clone in another group: RSEGs never change group, so that one gets a copy)
                    clearSuccessorSpOfClone(x, s);
                    long r = entries.allocFor(p, x, s);
                    entries.writeFresh(r, 0, src);   // forced before the link: X must not read an empty RSEG
                    long ptr = pointer(xe);
                    long xMid = encode(ptr, false, true, false);
                    maps.transferHolder(x.id, s, xe, xMid, p.id, pe, encode(ptr, true, sp(pe), false));
                    x.tree.changed(s);
                    entries.linkOwn(x, s, xMid, r, false, false);   // P now writes its RSEG in place
                    stats.cfwHandoffs.increment();
                    eagerCloneCopy(p, s);
                    return;
                }
                entries.copyInto(p, s, pe, entries.contentPtr(x, s), sp(pe), false);
                stats.cfwCopies.increment();
            }
            eagerCloneCopy(p, s);
            long xe2 = withSp(xe, false);
            entries.set(x, s, xe, xe2);
            xe = xe2;
        }
        // 2. X must hold the segment privately
        boolean xss = SegmentEntries.ssEff(x, xe);
        if (xss || (!holder(xe) && pointer(xe) != 0)) {
            long hp = xss ? entries.contentPtr(x, s) : pointer(xe);
            if (x.copying) {
                full = false;   // a copying snapclone first holds the old data, then clears N.Sp (I2), then writes
            }
            if (full || hp != 0) {
                long r = entries.allocFor(x, s);
                if (full) {
                    entries.writeFresh(r, 0, src);
                } else {
                    entries.copyFresh(hp, r);
                }
                entries.linkOwn(x, s, xe, r, sp(xe), false);   // before the successor may overwrite hp in place
                if (!full) {
                    stats.cfwCopies.increment();
                }
            } else {
                entries.set(x, s, xe, encode(0, false, sp(xe), false));
            }
            if (xss) {
                Disk nx = x.succ;
                long ne = entries.e(nx, s);
                if (sp(ne)) {
                    entries.set(nx, s, ne, withSp(ne, false));
                }
            }
            if (full) {
                return;
            }
            xe = entries.e(x, s);
        }
        // 3. write (allocating on first write)
        clearSuccessorSpOfClone(x, s);
        long ptr = pointer(xe);
        if (ptr == 0) {
            long r = entries.allocFor(x, s);
            try {
                if (src.hasRemaining()) {
                    maps.write(r, off, src);
                }
            } catch (RuntimeException ex) {
                maps.release(r);
                throw ex;
            }
            entries.link(x, s, xe, r, sp(xe), false);
            return;
        }
        if (src.hasRemaining()) {
            maps.write(ptr, off, src);
        }
    }

    /**
     * Whether a write to segment {@code s} of {@code d} needs no allocation nor copy for {@code d}: it
     * holds the RSEG, shares it with no successor and owes its predecessor nothing. One atomic entry
     * read: a stale answer can only be "not private" (taking the locked path), or "private" just
     * before a snapshot, whose copies are then charged to the snapshot.
     */
    boolean privatelyHeld(Disk d, int s) {
        long xe = entries.e(d, s);
        return holder(xe) && pointer(xe) != 0 && !sp(xe) && !SegmentEntries.ssEff(d, xe) && !d.copying;
    }

    /** A whole-segment unmap: X's content becomes zeros with no RSEG; caller holds the locks. */
    void unmapSegment(Tree t, Disk x, int s) {
        long xe = entries.e(x, s);
        Disk p = x.pred;
        if (p != null && sp(xe) && holder(xe) && !p.crossGroup) {
            long pe = entries.e(p, s);
            if (ss(pe)) {
                // the predecessor keeps the old data by pointer: no allocation
                clearSuccessorSpOfClone(x, s);
                maps.transferHolder(x.id, s, xe, 0L, p.id, pe, encode(pointer(xe), true, sp(pe), false));
                t.changed(s);
                maps.forceMaps();   // P now writes its RSEG in place
                stats.cfwHandoffs.increment();
                eagerCloneCopy(p, s);
                return;
            }
        }
        preserveForPredecessor(x, s);
        xe = entries.e(x, s);
        boolean xss = SegmentEntries.ssEff(x, xe);
        if (holder(xe)) {
            clearSuccessorSpOfClone(x, s);
            entries.repointStale(t, s, pointer(xe), x);
            entries.unlink(x, s, xe, 0L);
        } else if (xe != 0L) {
            if (!xss) {
                clearSuccessorSpOfClone(x, s);
            }
            entries.set(x, s, xe, 0L);
        }
        if (xss) {
            Disk nx = x.succ;
            long ne = entries.e(nx, s);
            if (sp(ne)) {
                entries.set(nx, s, ne, withSp(ne, false));
            }
        }
    }


    /**
     * I2 for a snapclone C still copying: {@code N.Sp} may stay set only while C and its successor N
     * read the same data; before C's own data changes, {@code N.Sp} is cleared (C holds privately by then).
     */
    private void clearSuccessorSpOfClone(Disk x, int s) {
        if (x.copying && x.succ != null) {
            long ne = entries.e(x.succ, s);
            if (sp(ne)) {
                entries.set(x.succ, s, ne, withSp(ne, false));
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
        long ce = entries.e(c, s);
        if (!sp(ce)) {
            return;
        }
        Disk pp = c.pred;
        long ppe = entries.e(pp, s);
        if (ss(ppe)) {
            entries.copyInto(pp, s, ppe, entries.contentPtr(c, s), sp(ppe), false);
            stats.cfwCopies.increment();
        }
        entries.set(c, s, ce, withSp(ce, false));
    }

    /** Preserves X's current content for its predecessor and clears X.Sp (write Phase 1 without hand-off). */
    void preserveForPredecessor(Disk x, int s) {
        long xe = entries.e(x, s);
        Disk p = x.pred;
        if (p != null && sp(xe)) {
            long pe = entries.e(p, s);
            if (ss(pe)) {
                entries.copyInto(p, s, pe, entries.contentPtr(x, s), sp(pe), false);
                stats.cfwCopies.increment();
            }
            eagerCloneCopy(p, s);
            entries.set(x, s, xe, withSp(xe, false));
        }
    }
}
