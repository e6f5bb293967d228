package io.evasan.sharing.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.sharing.AllocationPolicy;
import io.evasan.sharing.DeleteOption;
import io.evasan.sharing.DiskKind;
import io.evasan.sharing.SnapcloneMode;
import io.evasan.sharing.catalog.CatalogDescriptor;
import io.evasan.sharing.sharebits.ShareBitRules;
import io.evasan.sharing.sharebits.ShareEntry;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static io.evasan.sharing.sharebits.ShareEntry.encode;
import static io.evasan.sharing.sharebits.ShareEntry.holder;
import static io.evasan.sharing.sharebits.ShareEntry.pointer;
import static io.evasan.sharing.sharebits.ShareEntry.sp;
import static io.evasan.sharing.sharebits.ShareEntry.ss;
import static io.evasan.sharing.sharebits.ShareEntry.withSp;

/**
 * The tree-shape changes of {@link SharingTreesImpl}: a snapshot or snapclone inserted as a new
 * predecessor, delete (of one disk, of a whole tree, of an invalidated disk), invalidation ([0087]),
 * rollback, and a snapclone leaving its tree ({@link #detach}).
 *
 * <p><b>Invariant (locks)</b>: every method except {@link #deleteInvalid} and {@link #taggedDisk} runs
 * with the tree's {@code structure} write lock held by the caller — {@link SharingTreesImpl} takes it
 * (its {@code lockExclusive}), or {@link Recovery} runs before any other thread exists. These methods
 * never take or release a structure or stripe lock themselves; they take
 * {@link SharingTreesImpl#catalogMonitor} (inside the structure lock, never the other way round) for
 * each catalog commit, which orders chain edits before the commit (snapshot and leave commit last;
 * delete, invalidate and rollback record themselves first and are redone on open — each step idempotent).
 * {@link #taggedDisk} is called with {@code catalogMonitor} held.
 */
final class StructureOps {
    private final SharingTreesImpl engine;

    StructureOps(SharingTreesImpl engine) {
        this.engine = engine;
    }

    Disk taggedDisk(long tag) {
        if (tag != 0) {
            for (Disk d : engine.disks.values()) {
                if (d.tag == tag && !d.deleted) {
                    return d;
                }
            }
        }
        return null;
    }

    /**
     * [0085]-[0091] Fig. 9: a new predecessor of {@code x} with a pointer copy of its maps; commits the
     * catalog last (an uncommitted new disk is an orphan, deleted on open). Caller holds {@code t} exclusively.
     */
    long insertPredecessor(Tree t, Disk x, AllocationPolicy policy, DiskKind kind, SnapcloneMode mode, long tag,
                           int diskGroup, int quiesceM, long t0) {
        long diskId = x.id;
        if (!x.valid) {
            throw engine.gone(x);
        }
        synchronized (engine.catalogMonitor) {
            Disk done = taggedDisk(tag);
            if (done != null) {
                return done.id;
            }
        }
        if (t.chain.size() >= engine.config.maxDisksPerTree()) {
            throw new StorageException(ErrorCode.INVALID_STATE, "tree of disk " + diskId + " already has "
                    + t.chain.size() + " disks (limit " + engine.config.maxDisksPerTree() + ")");
        }
        // several snapclones may copy at once in one tree (then a clone's predecessor can be a snapclone, Fig. 14);
        // only a clone copying into another disk group keeps its tree to itself
        Disk copyingClone = t.crossGroupClone();
        if (copyingClone != null) {
            throw new StorageException(ErrorCode.INVALID_STATE, "snapclone " + copyingClone.id
                    + " is copying into another disk group; its tree takes no snapshots until it has left");
        }
        boolean cross = diskGroup >= 0 && diskGroup != engine.maps.diskGroup(x.id);
        if (cross && t.chain.size() > 1) {
            throw new StorageException(ErrorCode.INVALID_STATE, "disk " + diskId + " has snapshots or snapclones;"
                    + " a snapclone into another disk group is taken of a disk alone in its tree");
        }
        long reserve = policy == AllocationPolicy.RESERVE_FULL ? x.segments : 0;
        if (!cross && reserve > 0 && !engine.maps.reserveCapacity(x.id, reserve)) {
            throw new StorageException(ErrorCode.SPACE_ALLOCATION_FAILED, "cannot reserve " + reserve
                    + " segments for a fully reserved " + kind.name().toLowerCase() + " of disk " + diskId);
        }
        long pid;
        try {
            // P.Sp = X.Sp(old), exactly, in both stores (Figs. 10-15)
            pid = cross ? engine.maps.createPredecessor(x.id, true, diskGroup)
                    : engine.maps.createPredecessor(x.id, true);
        } catch (RuntimeException ex) {
            if (!cross && reserve > 0) {
                engine.maps.releaseCapacity(x.id, reserve);
            }
            throw ex;
        }
        // a clone in another group reserves there, so only once its disk exists
        if (cross && reserve > 0 && !engine.maps.reserveCapacity(pid, reserve)) {
            engine.maps.deleteDisk(pid);
            throw new StorageException(ErrorCode.SPACE_ALLOCATION_FAILED, "cannot reserve " + reserve
                    + " segments in disk group " + diskGroup + " for a fully reserved snapclone of disk " + diskId);
        }
        Disk p = new Disk(pid, kind, policy, mode, x.segments);
        p.crossGroup = cross;
        p.tag = tag;
        p.quiesceM = kind == DiskKind.SNAPCLONE ? quiesceM : 0;
        p.reservedRemaining.set(reserve);
        p.copying = kind == DiskKind.SNAPCLONE;
        synchronized (engine.catalogMonitor) {
            t.chain.add(x.pos, p);
            t.relink();
            engine.disks.put(pid, p);
            try {
                engine.commit();
            } catch (RuntimeException ex) {
                t.chain.remove(p);
                t.relink();
                engine.disks.remove(pid);
                throw ex;
            }
        }
        if (kind == DiskKind.SNAPCLONE) {
            engine.stats.snapclones.increment();
            engine.wakeBgcopy();
        } else {
            engine.stats.snapshots.increment();
        }
        engine.stats.snapshotCreate.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
        return pid;
    }

    /** Deletes an invalidated disk (out of every tree already): only its catalog record goes. No tree lock needed. */
    void deleteInvalid(Disk x) {
        long diskId = x.id;
        synchronized (engine.catalogMonitor) {
            if (engine.invalid.remove(diskId) != null) {
                x.deleted = true;
                engine.disks.remove(diskId);
                engine.commit();
            }
        }
        engine.stats.deletes.increment();
    }

    /** [0106]-[0109] delete of any disk of the chain; records itself in the catalog first. Caller holds {@code t} exclusively. */
    void delete(Tree t, Disk x, DeleteOption option) {
        long diskId = x.id;
        boolean hasOthers = t.chain.size() > 1;
        if (x.kind == DiskKind.LUN && hasOthers) {
            switch (option) {
                case REFUSE_IF_SNAPSHOTS -> throw new StorageException(ErrorCode.INVALID_STATE, "LUN " + diskId
                        + " has " + (t.chain.size() - 1) + " snapshots/snapclones; say DELETE_SNAPSHOTS or KEEP_SNAPSHOTS");
                case DELETE_SNAPSHOTS -> {
                    deleteWholeTree(t);
                    return;
                }
                case KEEP_SNAPSHOTS -> {
                    if (x.pred != null && x.pred.crossGroup) {
                        // its segments would move to the clone by pointer, across disk groups
                        throw new StorageException(ErrorCode.INVALID_STATE, "LUN " + diskId + " has snapclone "
                                + x.pred.id + " copying into another disk group; delete it after the copy"
                                + " (or with DELETE_SNAPSHOTS)");
                    }
                }
            }
        }
        synchronized (engine.catalogMonitor) {
            t.op = CatalogDescriptor.OP_DELETE;
            t.argA = x.id;
            engine.commit();
        }
        doDelete(t, x, false);
        engine.stats.deletes.increment();
    }

    void deleteWholeTree(Tree t) {
        List<Disk> all = new ArrayList<>(t.chain);
        synchronized (engine.catalogMonitor) {
            engine.trees.remove(t);
            for (Disk d : all) {
                d.deleted = true;
                d.copying = false;
                engine.disks.remove(d.id);
            }
            engine.commit();
        }
        for (Disk d : all) {
            long r = d.reservedRemaining.getAndSet(0);
            if (r > 0) {
                engine.maps.releaseCapacity(d.id, r);
            }
            engine.maps.deleteDisk(d.id);
            engine.stats.deletes.increment();
        }
    }

    /**
     * Removes X from its chain (caller holds the tree exclusively): X's private segments that its
     * predecessor reads through it move there by pointer; then {@code N.Sp := P.Ss}. Idempotent (redone on open).
     */
    void doDelete(Tree t, Disk x, boolean invalidating) {
        Disk p = x.pred;
        Disk n = x.succ;
        for (int s = 0; s < x.segments; s++) {
            long xe = engine.entries.e(x, s);
            boolean pReads = p != null && ss(engine.entries.e(p, s));
            if (holder(xe) && !pReads) {
                // freed with X's maps below: no pointer copy elsewhere may keep naming it
                engine.entries.repointStale(t, s, pointer(xe), x);
                continue;
            }
            if (!pReads) {
                continue;
            }
            long pe = engine.entries.e(p, s);
            if (holder(xe)) {
                engine.maps.transferHolder(x.id, s, xe, 0L, p.id, pe, encode(pointer(xe), true, sp(pe), false));
                t.changed(s);
                AtomicLong res = p.reservedRemaining;
                for (long r = res.get(); r > 0; r = res.get()) {
                    if (res.compareAndSet(r, r - 1)) {
                        engine.maps.releaseCapacity(p.id, 1);
                        break;
                    }
                }
            } else if (!SegmentEntries.ssEff(x, xe)) {
                // X holds zeros (open repaired borrowed pointers before any delete runs): so does P now
                engine.entries.set(p, s, pe, encode(0, false, sp(pe), false));
            }
        }
        if (n != null) {
            for (int s = 0; s < x.segments; s++) {
                long ne = engine.entries.e(n, s);
                boolean want = p != null && ss(engine.entries.e(p, s));
                if (sp(ne) != want) {
                    engine.entries.set(n, s, ne, withSp(ne, want));
                }
            }
        }
        // the hand-offs to P before the catalog that ends the redo (and before P overwrites them in place)
        engine.maps.forceMaps();
        synchronized (engine.catalogMonitor) {
            t.chain.remove(x);
            t.relink();
            t.op = CatalogDescriptor.OP_NONE;
            t.argA = 0;
            x.copying = false;
            if (t.chain.isEmpty()) {
                engine.trees.remove(t);
            }
            if (invalidating) {
                x.valid = false;
                engine.invalid.put(x.id, x);
            } else {
                x.deleted = true;
                engine.disks.remove(x.id);
            }
            x.tree = null;
            engine.commit();
        }
        long r = x.reservedRemaining.getAndSet(0);
        if (r > 0) {
            engine.maps.releaseCapacity(x.id, r);
        }
        engine.maps.deleteDisk(x.id);
    }

    /** [0087]: an on-demand snapshot that cannot get space leaves its tree; caller holds {@code t} exclusively. */
    void invalidate(Tree t, Disk v) {
        if (!v.valid || v.tree != t) {
            return;
        }
        synchronized (engine.catalogMonitor) {
            t.op = CatalogDescriptor.OP_INVALIDATE;
            t.argA = v.id;
            engine.commit();
        }
        v.valid = false;
        doDelete(t, v, true);
        engine.stats.invalidations.increment();
    }

    /** Rollback of {@code l} to the older {@code s}; records itself in the catalog first. Caller holds {@code t} exclusively. */
    void rollback(Tree t, Disk l, Disk s) {
        long lunId = l.id;
        long snapId = s.id;
        if (s.tree != t) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "snapshot " + snapId
                    + " is not in the sharing tree of LUN " + lunId + " (rollback across trees)");
        }
        if (s.pos >= l.pos) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "disk " + snapId
                    + " is not an older snapshot of LUN " + lunId);
        }
        if (s.crossGroup) {
            throw new StorageException(ErrorCode.INVALID_STATE, "snapclone " + snapId
                    + " is still copying into another disk group; roll back after it has left the tree");
        }
        if (l.copying) {
            throw new StorageException(ErrorCode.INVALID_STATE, "disk " + lunId
                    + " is a snapclone still copying; roll it back after its BGCOPY completes");
        }
        long need = 0;
        for (int seg = 0; seg < l.segments; seg++) {
            Disk h = engine.entries.resolve(s, seg);
            if (h != l) {
                need += 2;
            }
        }
        if (need > engine.maps.freeSegments(l.id) + l.reservedRemaining.get()) {
            throw new StorageException(ErrorCode.SPACE_ALLOCATION_FAILED, "rollback of LUN " + lunId
                    + " may need " + need + " segments, only " + engine.maps.freeSegments(l.id) + " free");
        }
        synchronized (engine.catalogMonitor) {
            t.op = CatalogDescriptor.OP_ROLLBACK;
            t.argA = l.id;
            t.argB = s.id;
            engine.commit();
        }
        doRollback(t, l, s);
        engine.stats.rollbacks.increment();
    }

    void doRollback(Tree t, Disk l, Disk s) {
        while (true) {
            try {
                for (int seg = 0; seg < l.segments; seg++) {
                    Disk h = engine.entries.resolve(s, seg);
                    if (h == l) {
                        continue;
                    }
                    long hp = pointer(engine.entries.e(h, seg));
                    engine.writer.preserveForPredecessor(l, seg);
                    long le = engine.entries.e(l, seg);
                    if (hp == 0) {
                        if (holder(le)) {
                            engine.entries.repointStale(t, seg, pointer(le), l);
                            engine.entries.unlink(l, seg, le, encode(0, false, sp(le), false));
                        } else {
                            engine.entries.set(l, seg, le, encode(0, false, sp(le), false));
                        }
                    } else if (holder(le)) {
                        engine.maps.copy(hp, pointer(le));
                        t.changed(seg);
                    } else {
                        engine.entries.copyInto(l, seg, le, hp, sp(le), false);
                    }
                    // L no longer reads through its successor (Fig. 12c): the successor's Sp goes too
                    Disk n = l.succ;
                    if (n != null && !ss(engine.entries.e(l, seg))) {
                        long ne = engine.entries.e(n, seg);
                        if (sp(ne)) {
                            engine.entries.set(n, seg, ne, withSp(ne, false));
                        }
                    }
                }
                // the copies (in place ones included) and their links before the catalog that ends the redo
                engine.maps.flush(l.id);
                break;
            } catch (NeedsInvalidation ni) {
                // a predecessor lost its space: invalidate it (we hold the tree) and go on
                synchronized (engine.catalogMonitor) {
                    t.op = CatalogDescriptor.OP_INVALIDATE;
                    t.argA = ni.disk.id;
                    engine.commit();
                }
                ni.disk.valid = false;
                doDelete(t, ni.disk, true);
                engine.stats.invalidations.increment();
                synchronized (engine.catalogMonitor) {
                    t.op = CatalogDescriptor.OP_ROLLBACK;
                    t.argA = l.id;
                    t.argB = s.id;
                    engine.commit();
                }
            }
        }
        synchronized (engine.catalogMonitor) {
            t.op = CatalogDescriptor.OP_NONE;
            t.argA = 0;
            t.argB = 0;
            engine.commit();
        }
    }

    /** C leaves the tree (Figs. 14a-14c) and becomes an independent LUN; caller holds the tree exclusively. */
    void detach(Tree t, Disk c) {
        Disk p = c.pred;
        Disk n = c.succ;
        if (n != null) {
            for (int s = 0; s < c.segments; s++) {
                long ne = engine.entries.e(n, s);
                if (sp(ne)) {
                    boolean keep = ShareBitRules.successorSpAfterCloneLeaves(true, p != null,
                            p != null && p.copying, p != null && ss(engine.entries.e(p, s)), sp(engine.entries.e(c, s)));
                    if (!keep) {
                        engine.entries.set(n, s, ne, withSp(ne, false));
                    }
                }
            }
        }
        synchronized (engine.catalogMonitor) {
            t.chain.remove(c);
            t.relink();
            // pointer copies in the old tree must not keep naming RSEGs C takes with it
            for (int s = 0; s < c.segments; s++) {
                long ce = engine.entries.e(c, s);
                if (holder(ce)) {
                    engine.entries.repointStale(t, s, pointer(ce), c);
                }
            }
            Tree own = new Tree(engine.stripes);
            own.chain.add(c);
            own.relink();
            engine.trees.add(own);
            c.kind = DiskKind.LUN;
            c.copying = false;
            engine.commit();
        }
        // an independent LUN has no share bits (Fig. 14); a crash before this leaves only bits nothing reads
        for (int s = 0; s < c.segments; s++) {
            long ce = engine.entries.e(c, s);
            if (pointer(ce) != 0 && (sp(ce) || ss(ce))) {
                engine.entries.set(c, s, ce, ShareEntry.withBits(ce, false, false));
            }
        }
        if (c.crossGroup) {
            c.crossGroup = false;
            engine.settleGroup(c);
        }
        long r = c.reservedRemaining.getAndSet(0);
        if (r > 0) {
            engine.maps.releaseCapacity(c.id, r);
        }
        engine.stats.clonesDetached.increment();
        SharingTreesImpl.LOG.log(System.Logger.Level.INFO, "snapclone " + c.id + " left its tree; remaining chain " + engine.chainIds(t));
    }
}
