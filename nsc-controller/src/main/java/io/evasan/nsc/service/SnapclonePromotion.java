package io.evasan.nsc.service;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.api.CellRecord;
import io.evasan.nsc.lun.LunRecord;
import io.evasan.nsc.lun.LunTable;
import io.evasan.nsc.lun.Presentation;
import io.evasan.nsc.lun.PromotedSnapclone;
import io.evasan.nsc.lun.SnapshotRecord;
import io.evasan.nsc.lun.impl.CachedLogicalUnit;
import io.evasan.nsc.lun.impl.TreeDestageTarget;
import io.evasan.scsi.lu.impl.PresentationTable;
import io.evasan.scsi.target.ScsiStats;
import io.evasan.sharing.DiskKind;
import io.evasan.sharing.SharingTrees;

import java.util.ArrayList;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.IntPredicate;

/**
 * The snapclone promotion service of a {@link io.evasan.nsc.Controller}: a snapclone whose BGCOPY
 * finished (its disk left the tree: {@link DiskKind#LUN}) becomes a primary LUN with the same id, uid,
 * disk, size and presentations, in one LUN table write. Run at open, by the controller's background
 * check, and before LUN deletes.
 *
 * <p>Locking (the controller's invariant, kept here): a promotion is a management operation, so it runs
 * under the controller's monitor ({@code management}); it commits (LUN table write, destage
 * registration, change report) under the one catalogue commit lock ({@code catalog}) that the LUN and
 * snapshot services and the marker snapshot action share, so each catalogue change is atomic with
 * respect to every other and they form one serial history. Lock order: monitor, then {@code catalog},
 * then {@code promotions}; {@code catalog} is never held while waiting on the cache nor across host I/O.
 */
public final class SnapclonePromotion {
    private static final int REMEMBERED_PROMOTIONS = 64;

    private final Object management;
    private final Object catalog;
    private final BooleanSupplier closed;
    private final IntPredicate quarantined;
    private final CatalogChanges changes;
    private final LunTable table;
    private final SharingTrees trees;
    private final TreeDestageTarget destage;
    private final PresentationTable presentation;
    private final Map<Integer, CachedLogicalUnit> lus;
    private final Map<Integer, CachedLogicalUnit> snapUnits;
    private final Function<LunRecord, CachedLogicalUnit> newUnit;
    private final ScsiStats meters;
    private final Deque<PromotedSnapclone> promotions = new ArrayDeque<>();

    /**
     * @param management  the controller's monitor (serializes management operations)
     * @param catalog     the catalogue commit lock, shared with the other services and the marker action
     * @param quarantined whether a unit id is quarantined (takes {@code catalog})
     * @param lus         the controller's LUs of primary LUNs, by unit id
     * @param snapUnits   the controller's LUs of presented snapshots, by unit id
     * @param newUnit     makes the LU of a primary LUN (with its meters)
     * @param meters      the SCSI target's per-LU meters (a replaced snapshot LU's are removed)
     */
    public SnapclonePromotion(Object management, Object catalog, BooleanSupplier closed, IntPredicate quarantined,
                              CatalogChanges changes, LunTable table, SharingTrees trees,
                              TreeDestageTarget destage,
                              PresentationTable presentation,
                              Map<Integer, CachedLogicalUnit> lus, Map<Integer, CachedLogicalUnit> snapUnits,
                              Function<LunRecord, CachedLogicalUnit> newUnit, ScsiStats meters) {
        this.management = management;
        this.catalog = catalog;
        this.closed = closed;
        this.quarantined = quarantined;
        this.changes = changes;
        this.table = table;
        this.trees = trees;
        this.destage = destage;
        this.presentation = presentation;
        this.lus = lus;
        this.snapUnits = snapUnits;
        this.newUnit = newUnit;
        this.meters = meters;
    }

    /**
     * Promotes every snapclone whose BGCOPY finished (its disk left the tree) to a primary LUN: same
     * name (suffixed {@code #<request id hex>} if a LUN already has it), unit id, uid, disk, size (the
     * source's size when the clone was taken), disk group and RAID level (the disk's), presentations;
     * the snapshot record goes in the same LUN table write. Idempotent; cheap when nothing finished (no
     * lock taken).
     *
     * @return the LUNs promoted by this call
     */
    public List<LunRecord> promoteDetachedSnapclones() {
        boolean any = false;
        for (SnapshotRecord s : table.snapshots()) {
            any |= s.snapclone() && !quarantined.test(s.id()) && detached(s);
        }
        if (!any) {
            return List.of();
        }
        synchronized (management) {
            List<LunRecord> out = new ArrayList<>();
            if (closed.getAsBoolean()) {
                return out;
            }
            for (SnapshotRecord s : table.snapshots()) {
                if (s.snapclone() && !quarantined.test(s.id()) && detached(s)) {
                    out.add(promote(s));
                }
            }
            return out;
        }
    }

    private boolean detached(SnapshotRecord s) {
        try {
            return trees.kind(s.disk()) == DiskKind.LUN;
        } catch (StorageException e) {
            return false;   // the disk is gone (deleted with its LUN): nothing to promote
        }
    }

    private LunRecord promote(SnapshotRecord s) {
        LunRecord r;
        String name = s.name();
        long segments = trees.segments(s.disk());
        synchronized (catalog) {
            for (int n = 0; table.byName(name) != null; n++) {
                name = s.name() + "#" + Long.toHexString(s.requestId()) + (n == 0 ? "" : "." + n);
            }
            // published before the snapshot record goes (the LUN keeps the snapshot's id and disk), so a reader that
            // lists the snapshots and then the promotions (GET /api/jobs) never misses a snapclone being promoted
            PromotedSnapclone done = new PromotedSnapclone(s.name(), name, s.id(), s.lunId(), segments,
                    System.currentTimeMillis());
            synchronized (promotions) {
                promotions.addLast(done);
                while (promotions.size() > REMEMBERED_PROMOTIONS) {
                    promotions.removeFirst();
                }
            }
            try {
                r = table.promote(s.name(), name);   // the one durable step
            } catch (RuntimeException e) {
                synchronized (promotions) {
                    promotions.remove(done);
                }
                throw e;
            }
            destage.register(r.id(), r.disk(), r.sizeBytes());
            changes.record(new CellRecord.SnapclonePromoted(r.id(), s.name(), r.name()));
        }
        CachedLogicalUnit su = snapUnits.remove(r.id());
        CachedLogicalUnit lu;
        if (su != null && su.record().name().equals(name)) {
            lu = su;   // same id, uid, disk, size and name: hosts keep the same unit, no unit attention
        } else {
            if (su != null) {
                meters.remove(su);   // before the new unit registers its own (the names may coincide)
            }
            lu = newUnit.apply(r);
            for (Presentation p : table.presentations()) {
                if (p.lunId() == r.id()) {
                    presentation.present(p.initiator(), p.hostLun(), lu);
                }
            }
        }
        lus.put(r.id(), lu);
        return r;
    }

    /** Snapclones promoted to LUNs in this run, oldest first (the last {@value #REMEMBERED_PROMOTIONS}). */
    public List<PromotedSnapclone> promotedSnapclones() {
        synchronized (promotions) {
            return List.copyOf(promotions);
        }
    }
}
