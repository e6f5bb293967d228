package io.evasan.sharing.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.sharing.AllocationPolicy;
import io.evasan.sharing.DiskKind;
import io.evasan.sharing.SnapcloneMode;
import io.evasan.sharing.catalog.Catalog;
import io.evasan.sharing.catalog.CatalogDescriptor;
import io.evasan.sharing.sharebits.ShareEntry;

import java.util.HashSet;
import java.util.Set;

import static io.evasan.sharing.sharebits.ShareEntry.holder;
import static io.evasan.sharing.sharebits.ShareEntry.pointer;
import static io.evasan.sharing.sharebits.ShareEntry.sp;
import static io.evasan.sharing.sharebits.ShareEntry.ss;

/**
 * What runs at open, before the trees serve anything: rebuilds the trees and invalid disks from the
 * catalog, deletes orphan maps (a snapshot whose catalog commit never happened, a deleted disk whose
 * maps were not yet dropped), settles the disk group of a cross-group snapclone that left its tree
 * before a crash, re-reserves RESERVE_FULL capacity, turns interrupted hand-offs into private copies,
 * and redoes the delete / invalidate / rollback a tree's catalog record says was under way.
 *
 * <p><b>Invariant (locks)</b>: {@link #run()} is called once, from the {@link SharingTreesImpl}
 * constructor, before the BGCOPY thread starts and before the engine is published; no other thread
 * can reach a tree, so it takes no structure or stripe lock. The catalog commits made by the redone
 * structure operations take {@link SharingTreesImpl#catalogMonitor} as they always do. After it returns
 * every tree has {@code op == OP_NONE} and every entry is steady (no non-holder with a pointer and Ss clear).
 */
final class Recovery {
    private final SharingTreesImpl engine;

    Recovery(SharingTreesImpl engine) {
        this.engine = engine;
    }

    void run() {
        byte[] blob = engine.maps.loadCatalog();
        Catalog c = Catalog.decode(blob);
        Set<Long> known = new HashSet<>();
        for (Catalog.TreeRec tr : c.trees) {
            int treeSegs = tr.chain().get(0).segments();
            if (tr.chain().size() == 1) {
                // a grow whose catalog commit was interrupted: the maps already have the new size
                treeSegs = Math.max(treeSegs, engine.maps.segments(tr.chain().get(0).id()));
            }
            Tree t = new Tree(engine.stripes);
            for (Catalog.DiskRec r : tr.chain()) {
                Disk d = new Disk(r.id(), DiskKind.values()[r.kind()], AllocationPolicy.values()[r.policy()],
                        SnapcloneMode.values()[r.mode()], tr.chain().size() == 1 ? treeSegs : r.segments());
                d.copying = d.kind == DiskKind.SNAPCLONE;
                d.paused = (r.flags() & CatalogDescriptor.FLAG_PAUSED) != 0;
                d.stalled = (r.flags() & CatalogDescriptor.FLAG_STALLED) != 0;
                d.tag = r.tag();
                d.quiesceM = r.quiesceM();
                t.chain.add(d);
                engine.disks.put(d.id, d);
                known.add(d.id);
            }
            t.relink();
            t.op = tr.op();
            t.argA = tr.argA();
            t.argB = tr.argB();
            engine.trees.add(t);
        }
        for (Catalog.DiskRec r : c.invalid) {
            Disk d = new Disk(r.id(), DiskKind.values()[r.kind()], AllocationPolicy.values()[r.policy()],
                    SnapcloneMode.values()[r.mode()], r.segments());
            d.valid = false;
            d.tag = r.tag();
            engine.invalid.put(d.id, d);
            engine.disks.put(d.id, d);
        }
        // maps created by a snapshot whose catalog commit never happened, or deleted disks whose
        // maps were not yet dropped: they hold nothing anyone reads
        for (long id : engine.maps.disks()) {
            if (!known.contains(id)) {
                engine.maps.deleteDisk(id);
            }
        }
        for (Tree t : engine.trees) {
            for (Disk d : t.chain) {
                d.crossGroup = d.copying && d.succ != null && engine.maps.diskGroup(d.id) != engine.maps.diskGroup(d.succ.id);
            }
            if (t.chain.size() == 1 && t.chain.get(0).kind == DiskKind.LUN) {
                engine.settleGroup(t.chain.get(0));   // a snapclone from another group that left its tree before a crash
            }
        }
        for (Tree t : engine.trees) {
            for (Disk d : t.chain) {
                if (d.policy == AllocationPolicy.RESERVE_FULL) {
                    long held = 0;
                    for (int s = next(d, 0); s >= 0; s = next(d, s + 1)) {
                        if (holder(engine.maps.entry(d.id, s))) {
                            held++;
                        }
                    }
                    long want = d.segments - held;
                    if (want > 0) {
                        if (engine.maps.reserveCapacity(d.id, want)) {
                            d.reservedRemaining.set(want);
                        } else {
                            // the pool shrank below the reservation while the tree was closed: the disk
                            // now allocates on demand, and is invalidated ([0087]) if a copy finds no space
                            SharingTreesImpl.LOG.log(System.Logger.Level.WARNING, "disk " + d.id + " (RESERVE_FULL): cannot re-reserve "
                                    + want + " segments at open; its copies now allocate on demand");
                        }
                    }
                }
            }
        }
        for (Tree t : engine.trees) {
            // an interrupted hand-off can leave a non-holder entry with a pointer and Ss clear
            for (Disk d : t.chain) {
                for (int s = next(d, 0); s >= 0; s = next(d, s + 1)) {
                    long e = engine.maps.entry(d.id, s);
                    if (!holder(e) && pointer(e) != 0 && !SegmentEntries.ssEff(d, e)) {
                        SharingTreesImpl.LOG.log(System.Logger.Level.WARNING, "repairing interrupted hand-off: disk " + d.id + " segment " + s
                                + " " + io.evasan.sharing.sharebits.ShareEntry.toString(e));
                        long r;
                        try {
                            r = engine.entries.allocFor(d, s);
                        } catch (NeedsInvalidation ni) {
                            throw new StorageException(ErrorCode.SPACE_ALLOCATION_FAILED, "no space to repair segment "
                                    + s + " of disk " + d.id + " after a crash (interrupted hand-off)");
                        }
                        engine.entries.copyFresh(pointer(e), r);
                        engine.entries.linkOwn(d, s, e, r, sp(e), false);
                    }
                }
            }
            if (t.op == CatalogDescriptor.OP_DELETE || t.op == CatalogDescriptor.OP_INVALIDATE) {
                Disk x = engine.disks.get(t.argA);
                if (x != null && x.tree == t) {
                    engine.structure.doDelete(t, x, t.op == CatalogDescriptor.OP_INVALIDATE);
                }
            } else if (t.op == CatalogDescriptor.OP_ROLLBACK) {
                engine.structure.doRollback(t, engine.disks.get(t.argA), engine.disks.get(t.argB));
            }
        }
        if (blob != null && c.version == CatalogDescriptor.VERSION_INEXACT_SP) {
            upgradeShareBits();
            synchronized (engine.catalogMonitor) {
                engine.commit();   // stored as the current version: the upgrade is not redone
            }
        }
    }

    /**
     * The next segment at or after {@code from} of {@code d} that may have an entry, or -1: the walks of open
     * cost time for what is mapped, not for the disks' virtual size.
     */
    private int next(Disk d, int from) {
        if (from >= d.segments) {
            return -1;
        }
        int s = engine.maps.nextEntry(d.id, from);
        return s < d.segments ? s : -1;
    }

    /**
     * Makes the stored share bits of a tree written by the code before exact bits (catalog version 1) those
     * of seed 004 Figs. 10-15: a disk without predecessor has Sp clear, a disk without successor Ss clear,
     * and a disk whose predecessor P is not a copying snapclone has {@code Sp = P.Ss} (the old code set Sp on
     * every allocated segment of a new snapshot; a set Sp whose predecessor does not read through changed
     * nothing, so clearing it keeps every disk's content). After a copying snapclone the bits were already
     * exact and may be asymmetric (Fig. 13e), so they stay. Idempotent: a crash in between redoes it.
     */
    private void upgradeShareBits() {
        long changed = 0;
        for (Tree t : engine.trees) {
            for (Disk d : t.chain) {
                for (int s = next(d, 0); s >= 0; s = next(d, s + 1)) {
                    long e = engine.maps.entry(d.id, s);
                    if (pointer(e) == 0) {
                        continue;
                    }
                    boolean wantSp = d.pred == null ? false
                            : d.pred.copying ? sp(e) : ss(engine.maps.entry(d.pred.id, s));
                    boolean wantSs = d.succ != null && ss(e);
                    long u = ShareEntry.withBits(e, wantSp, wantSs);
                    if (u != e) {
                        engine.entries.set(d, s, e, u);
                        changed++;
                    }
                }
            }
        }
        SharingTreesImpl.LOG.log(System.Logger.Level.INFO, "sharing-tree catalog version "
                + CatalogDescriptor.VERSION_INEXACT_SP + ": " + changed + " share bits upgraded to the figures'");
    }
}
