package io.evasan.sharing.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.sharing.BgCopyProgress;
import io.evasan.sharing.BgCopyState;
import io.evasan.sharing.bgcopy.BgCopyEngine;
import io.evasan.sharing.catalog.CatalogDescriptor;
import io.evasan.sharing.sharebits.ShareBitRules;

import java.util.Arrays;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import static io.evasan.sharing.sharebits.ShareEntry.holder;
import static io.evasan.sharing.sharebits.ShareEntry.pointer;
import static io.evasan.sharing.sharebits.ShareEntry.sp;
import static io.evasan.sharing.sharebits.ShareEntry.ss;
import static io.evasan.sharing.sharebits.ShareEntry.withSp;

/**
 * The per-clone half of BGCOPY ([0100]-[0105], Figs. 13-15): a copy step over a snapclone's segments
 * (C.Ss := 0, the successor's Sp stays: 13e / 15a), the Fig. 15c/15d leave loop (online copies, then
 * quiesced copies under the tree's write lock below {@code quiesceThresholdM}), pause / resume /
 * progress, and the {@link BgCopyEngine.Host} the background thread ({@code io.evasan.sharing.bgcopy})
 * drives. The leave itself is {@link StructureOps#detach}.
 *
 * <p><b>Invariant (locks)</b>: entered holding no tree lock. {@link #bgcopyStep} takes the clone's
 * {@code bgLock}, then its tree's structure lock shared, then the stripe write locks of one batch of copies
 * ({@link #copyBatch}; order {@code bgLock} -> structure -> stripe, as in ARCHITECTURE), and {@link SharingTreesImpl#catalogMonitor}
 * only with no tree lock held or inside them; {@code finishClone} runs inside {@code bgLock} and takes the
 * tree shared or exclusively (never both, never upgrading). Pause and resume take only the catalog monitor.
 *
 * <p><b>Invariant (pause)</b>: a clone whose pause returned does not leave its tree until resumed: the step stops
 * at its next batch boundary and starts its leave ({@link Disk#finishing}) only, under the catalog monitor, when
 * not paused; a pause during a leave is refused.
 */
final class CloneCopy implements BgCopyEngine.Host {
    private final SharingTreesImpl engine;

    CloneCopy(SharingTreesImpl engine) {
        this.engine = engine;
    }

    /** {@link io.evasan.sharing.SharingTrees#bgcopyStep}; takes {@code c.bgLock}, then the tree shared, then stripes. */
    int bgcopyStep(long cloneId, int maxSegments) {
        Disk c = engine.disk(cloneId);
        synchronized (c.bgLock) {
            if (!c.copying || c.paused || c.deleted || !c.valid) {
                return 0;
            }
            int copied = 0;
            Tree t;
            try {
                t = engine.lockShared(c);
            } catch (StorageException gone) {
                return 0;
            }
            boolean stalled = false;
            try {
                if (!c.copying) {
                    return 0;
                }
                while (copied < maxSegments && c.bgCursor < c.segments && !stalled && !c.paused) {
                    int before = copied;
                    copied += copyBatch(t, c, Math.min(BATCH, maxSegments - copied));
                    stalled = copied - before < Math.min(BATCH, maxSegments - before) && c.bgCursor < c.segments;
                }
            } finally {
                t.structure.readLock().unlock();
            }
            if (stalled) {
                c.bgCursor = Math.max(0, c.bgCursor);
                c.stalled = true;
                synchronized (engine.catalogMonitor) {
                    engine.commit();
                }
                return copied;
            }
            if (copied > 0 && c.stalled) {
                c.stalled = false;
                synchronized (engine.catalogMonitor) {
                    engine.commit();
                }
            }
            if (c.bgCursor >= c.segments) {
                if (remainingToCopy(c) > 0) {
                    c.bgCursor = 0;
                } else if (beginFinish(c)) {
                    try {
                        finishClone(c);
                    } finally {
                        synchronized (engine.catalogMonitor) {
                            c.finishing = false;
                        }
                    }
                }
            }
            return copied;
        }
    }

    /**
     * The point of no return of a complete copy: false (the clone stays in its tree, copied, until resumed) when a
     * pause came first; else marks it {@link Disk#finishing}, so a pause from now on is refused.
     */
    private boolean beginFinish(Disk c) {
        synchronized (engine.catalogMonitor) {
            if (c.paused) {
                return false;
            }
            c.finishing = true;
            return true;
        }
    }

    /** Copies per batch: one force of the copies' RSEGs and one of the map log per batch, not per segment. */
    static final int BATCH = 16;

    /**
     * Copies up to {@code max} segments of {@code c} from its cursor on, in batches: each segment to copy gets
     * its fresh RSEG filled under its stripe write lock, which stays held; then one force of the fresh RSEGs, the
     * links (C.Ss := 0, the successor's Sp stays set: 13e / 15a), one force of the map log, and the locks go.
     * Holding the stripes keeps every copied segment's source and entry as they were until its link is durable
     * (the {@link SegmentEntries} invariant, for a batch). Returns the segments copied; fewer than {@code max}
     * with the cursor short of the end only when an allocation failed ({@link NeedsInvalidation}: stalled).
     * Caller holds {@code bgLock} and the tree's structure lock shared. Stripes are shared by all trees
     * ({@link StripeLocks}) and another batch may hold several: while it holds one, a batch takes the next only
     * with {@code tryLock} and, when that fails, ends there (links what it holds, lets go) and starts the next
     * batch at that segment, so a thread holding a stripe never waits for another and no deadlock can form.
     */
    private int copyBatch(Tree t, Disk c, int max) {
        int[] segs = new int[max];
        long[] expect = new long[max];
        long[] fresh = new long[max];
        ReentrantReadWriteLock.WriteLock[] held = new ReentrantReadWriteLock.WriteLock[max];
        int copied = 0;
        boolean stalled = false;
        while (!stalled && copied < max && c.bgCursor < c.segments) {
            int n = 0;
            boolean linked = false;
            try {
                while (copied < max && c.bgCursor < c.segments) {
                    int s = c.bgCursor;
                    ReentrantReadWriteLock.WriteLock l = t.stripe(s).writeLock();
                    if (n == 0) {
                        l.lock();
                    } else if (!l.tryLock()) {
                        break;   // holding stripes: never wait for another one
                    }
                    boolean keep = false;
                    try {
                        long ce = engine.entries.e(c, s);
                        if (SegmentEntries.ssEff(c, ce) || (!holder(ce) && pointer(ce) != 0)) {
                            long hp = SegmentEntries.ssEff(c, ce) ? engine.entries.contentPtr(c, s) : pointer(ce);
                            if (hp == 0) {
                                engine.entries.copyInto(c, s, ce, 0, sp(ce), false);   // zeros: an entry change only
                            } else {
                                long r = engine.entries.allocFor(c, s);
                                engine.entries.copyUnforced(hp, r);
                                segs[n] = s;
                                expect[n] = ce;
                                fresh[n] = r;
                                held[n++] = l;
                                keep = true;
                            }
                            copied++;
                            engine.stats.bgcopySegments.increment();
                        }
                    } catch (NeedsInvalidation ni) {
                        stalled = true;
                        break;
                    } finally {
                        if (!keep) {
                            l.unlock();
                        }
                    }
                    c.bgCursor++;
                }
                if (n > 0) {
                    engine.maps.force(fresh, n);   // the copies before the records that make C read them
                    linked = true;
                    for (int i = 0; i < n; i++) {
                        engine.entries.link(c, segs[i], expect[i], fresh[i], sp(expect[i]), false);
                        fresh[i] = 0;
                    }
                    engine.maps.forceMaps();   // the links before the successor overwrites its RSEGs in place
                }
            } finally {
                if (!linked) {
                    for (int i = 0; i < n; i++) {
                        engine.maps.release(fresh[i]);   // never linked (a failed force)
                    }
                }
                for (int i = n - 1; i >= 0; i--) {
                    held[i].unlock();
                }
            }
        }
        return copied;
    }

    long remainingToCopy(Disk c) {
        Tree t = engine.lockShared(c);
        try {
            long n = 0;
            for (int s = 0; s < c.segments; s++) {
                long ce = engine.entries.e(c, s);
                if (SegmentEntries.ssEff(c, ce) || (!holder(ce) && pointer(ce) != 0)) {
                    n++;
                }
            }
            return n;
        } finally {
            t.structure.readLock().unlock();
        }
    }

    /** Fig. 15d loop, then Fig. 14 bit rules: make the predecessor independent of C, then C leaves. */
    void finishClone(Disk c) {
        while (true) {
            Tree t = engine.lockShared(c);
            int[] needed;
            try {
                needed = segmentsNeedingCopy(c);
            } finally {
                t.structure.readLock().unlock();
            }
            if (needed.length < engine.quiesceThreshold(c)) {
                t = engine.lockExclusive(c);
                try {
                    while (true) {
                        try {
                            for (int s : segmentsNeedingCopy(c)) {
                                copyCloneToPredecessor(c, s);
                                engine.stats.leaveQuiescedCopies.increment();
                            }
                            break;
                        } catch (NeedsInvalidation ni) {
                            synchronized (engine.catalogMonitor) {
                                t.op = CatalogDescriptor.OP_INVALIDATE;
                                t.argA = ni.disk.id;
                                engine.commit();
                            }
                            ni.disk.valid = false;
                            engine.structure.doDelete(t, ni.disk, true);
                            engine.stats.invalidations.increment();
                        }
                    }
                    engine.structure.detach(t, c);
                    return;
                } finally {
                    t.structure.writeLock().unlock();
                }
            }
            // not quiesced: copy what is needed now, then count again
            for (int s : needed) {
                Disk victim = null;
                t = engine.lockShared(c);
                try {
                    ReentrantReadWriteLock.WriteLock l = t.stripe(s).writeLock();
                    l.lock();
                    try {
                        Disk p = c.pred;
                        if (p != null && ShareBitRules.needsCopyBeforeLeave(ss(engine.entries.e(p, s)), c.succ != null,
                                c.succ != null && sp(engine.entries.e(c.succ, s)))) {
                            copyCloneToPredecessor(c, s);
                            engine.stats.leaveCopies.increment();
                        }
                    } catch (NeedsInvalidation ni) {
                        victim = ni.disk;
                    } finally {
                        l.unlock();
                    }
                } finally {
                    t.structure.readLock().unlock();
                }
                if (victim != null) {
                    engine.invalidate(victim);
                }
            }
        }
    }

    int[] segmentsNeedingCopy(Disk c) {
        Disk p = c.pred;
        if (p == null) {
            return new int[0];
        }
        Disk n = c.succ;
        int[] out = new int[16];
        int k = 0;
        for (int s = 0; s < c.segments; s++) {
            if (ShareBitRules.needsCopyBeforeLeave(ss(engine.entries.e(p, s)), n != null, n != null && sp(engine.entries.e(n, s)))) {
                if (k == out.length) {
                    out = Arrays.copyOf(out, k * 2);
                }
                out[k++] = s;
            }
        }
        return Arrays.copyOf(out, k);
    }

    void copyCloneToPredecessor(Disk c, int s) {
        Disk p = c.pred;
        long pe = engine.entries.e(p, s);
        engine.entries.copyInto(p, s, pe, pointer(engine.entries.e(c, s)), sp(pe), false);
        long ce = engine.entries.e(c, s);
        engine.entries.set(c, s, ce, withSp(ce, false));
    }

    /**
     * Pauses (durably: the catalog commit is done when it returns) the copy of a snapclone still copying. A step in
     * progress links at most its batch in progress and the copy does not complete until resumed; a copy already
     * complete and leaving its tree is not paused ({@link ErrorCode#INVALID_STATE}, nothing changed).
     */
    void pauseBgcopy(long cloneId) {
        synchronized (engine.catalogMonitor) {
            Disk c = cloneDisk(cloneId);
            if (c.finishing) {
                throw new StorageException(ErrorCode.INVALID_STATE, "snapclone " + cloneId
                        + ": its BGCOPY is complete and it is leaving its tree (to become a LUN); it cannot be paused");
            }
            c.paused = true;
            engine.commit();
        }
    }

    void resumeBgcopy(long cloneId) {
        Disk c = cloneDisk(cloneId);
        synchronized (engine.catalogMonitor) {
            c.paused = false;
            c.stalled = false;
            engine.commit();
        }
        engine.bgEngine.wake();
    }

    Disk cloneDisk(long id) {
        Disk c = engine.validDisk(id);
        if (!c.copying) {
            throw new StorageException(ErrorCode.INVALID_STATE, "disk " + id + " is not a snapclone that is copying");
        }
        return c;
    }

    BgCopyProgress bgcopyProgress(long cloneId) {
        Disk c = engine.validDisk(cloneId);
        if (!c.copying) {
            return new BgCopyProgress(c.id, c.segments, c.segments, BgCopyState.DONE);
        }
        long left = remainingToCopy(c);
        BgCopyState st = BgCopyEngine.state(c.paused, c.stalled);
        return new BgCopyProgress(c.id, c.segments - left, c.segments, st);
    }

    // BgCopyEngine.Host: the engine thread calls these holding no lock

    @Override
    public long[] clones() {
        return engine.disks.values().stream().filter(d -> d.copying).mapToLong(d -> d.id).toArray();
    }

    @Override
    public boolean runnable(long cloneId) {
        Disk c = engine.disks.get(cloneId);
        return c != null && c.copying && !c.paused && !c.stalled && !c.deleted && c.valid;
    }

    @Override
    public int step(long cloneId, int maxSegments) {
        return bgcopyStep(cloneId, maxSegments);
    }

    @Override
    public void stopped(long cloneId) {
        Disk c = engine.disks.get(cloneId);
        if (c != null) {
            c.stalled = true;
        }
    }
}
