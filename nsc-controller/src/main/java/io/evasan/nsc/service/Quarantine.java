package io.evasan.nsc.service;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.api.CellRecord;
import io.evasan.nsc.api.QuarantineEntry;
import io.evasan.nsc.cell.CommandLog;
import io.evasan.nsc.lun.LunRecord;
import io.evasan.nsc.lun.LunTable;
import io.evasan.nsc.lun.SnapshotRecord;
import io.evasan.sharing.DiskKind;
import io.evasan.sharing.SharingTrees;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.LongConsumer;

/**
 * The controller's quarantine: LUNs, snapshots and logical disks found inconsistent at open, set aside instead
 * of refusing to start, and their repair by deletion.
 *
 * <p>Invariants: an entry is added only at open (or when a repair leaves a disk it could not delete) and removed
 * only by {@link #repair}, which appends one {@link CellRecord.QuarantineRepaired}; a quarantined LUN or snapshot
 * keeps its table record (its name and unit id stay taken); a disk that a record outside quarantine names is never
 * deleted. Every read and change runs under the catalogue commit lock shared with the controller's services.
 */
public final class Quarantine {
    /** The controller's logger: quarantine lines are the controller's to operators (and their log filters). */
    private static final System.Logger LOG = System.getLogger("io.evasan.nsc.Controller");

    private final Object catalog;
    private final LunTable table;
    private final SharingTrees trees;
    private final CommandLog log;
    private final LongConsumer deleteDisk;
    /** Quarantined objects by {@link QuarantineEntry#id()}, in the order found; guarded by {@code catalog}. */
    private final java.util.Map<String, QuarantineEntry> quarantined = new java.util.LinkedHashMap<>();

    /**
     * @param catalog    the catalogue commit lock (shared)
     * @param deleteDisk deletes a tree disk, keeping its snapshots (throws StorageException when it cannot)
     */
    public Quarantine(Object catalog, LunTable table, SharingTrees trees, CommandLog log, LongConsumer deleteDisk) {
        this.catalog = Objects.requireNonNull(catalog, "catalog");
        this.table = Objects.requireNonNull(table, "table");
        this.trees = Objects.requireNonNull(trees, "trees");
        this.log = Objects.requireNonNull(log, "log");
        this.deleteDisk = Objects.requireNonNull(deleteDisk, "deleteDisk");
    }

    /** Whether LUN or snapshot unit {@code unitId} is quarantined. */
    public boolean isQuarantined(int unitId) {
        synchronized (catalog) {
            return quarantined.containsKey("lun-" + unitId) || quarantined.containsKey("snapshot-" + unitId);
        }
    }

    public void checkNotQuarantined(int unitId, String what) {
        QuarantineEntry q;
        synchronized (catalog) {
            q = quarantined.get("lun-" + unitId);
            if (q == null) {
                q = quarantined.get("snapshot-" + unitId);
            }
        }
        if (q != null) {
            throw new StorageException(ErrorCode.INVALID_STATE, what + " is quarantined (" + q.reason() + "); repair: " + q.repair());
        }
    }

    /** The objects quarantined at open and not repaired yet, in the order found. */
    public List<QuarantineEntry> entries() {
        synchronized (catalog) {
            return List.copyOf(quarantined.values());
        }
    }

    private void quarantine(QuarantineEntry q) {
        quarantined.put(q.id(), q);
        LOG.log(System.Logger.Level.WARNING, "quarantined " + q.kind().name().toLowerCase(java.util.Locale.ROOT) + " "
                + q.name() + " (" + q.id() + "): " + q.reason() + "; the controller starts without it; repair: " + q.repair());
    }

    /** Whether {@code disk} is a live disk of the sharing trees. */
    private boolean liveDisk(long disk) {
        if (disk < 0) {
            return false;
        }
        try {
            trees.kind(disk);
            return true;
        } catch (StorageException e) {
            if (e.code() == ErrorCode.NOT_FOUND) {
                return false;
            }
            throw e;
        }
    }

    /**
     * At open, before anything is registered: quarantines each primary LUN whose disk is missing, and
     * each snapshot whose disk is missing, whose source LUN is not in the table or is quarantined, or
     * whose disk is (still in a tree but) not in its source LUN's tree — the shapes an interrupted or
     * raced delete leaves. Records are kept (nothing is lost); repair decides.
     */
    public void quarantineInconsistentRecords() {
        synchronized (catalog) {
            for (LunRecord r : table.luns()) {
                if (r.kind() == LunRecord.Kind.PRIMARY && !liveDisk(r.disk())) {
                    quarantine(new QuarantineEntry("lun-" + r.id(), QuarantineEntry.Kind.LUN, r.name(), r.id(), r.disk(),
                            "its logical disk " + r.disk() + " is missing from the sharing trees"));
                }
            }
            for (SnapshotRecord s : table.snapshots()) {
                LunRecord src = table.byId(s.lunId());
                String reason = null;
                if (!liveDisk(s.disk())) {
                    reason = "its logical disk " + s.disk() + " is missing from the sharing trees";
                } else if (src == null || src.kind() != LunRecord.Kind.PRIMARY) {
                    reason = "its source LUN id " + s.lunId() + " is not in the LUN table";
                } else if (isQuarantined(src.id())) {
                    reason = "its source LUN " + src.name() + " is quarantined";
                } else if (!inTreeOf(s.disk(), src.disk())) {
                    reason = "its logical disk " + s.disk() + " is not in the sharing tree of LUN " + src.name()
                            + " (disk " + src.disk() + "), which holds its source's id";
                }
                if (reason != null) {
                    quarantine(new QuarantineEntry("snapshot-" + s.id(), QuarantineEntry.Kind.SNAPSHOT, s.name(), s.id(),
                            s.disk(), reason));
                }
            }
        }
    }

    /** Whether snapshot disk {@code disk} is in the tree of {@code lunDisk}, or left it (a finished snapclone). */
    private boolean inTreeOf(long disk, long lunDisk) {
        try {
            if (trees.kind(disk) == DiskKind.LUN) {
                return true;   // a finished snapclone: promoted below, an independent disk
            }
            for (io.evasan.sharing.DiskDescription d : trees.describe(disk).disks()) {
                if (d.id() == lunDisk) {
                    return true;
                }
            }
            return false;
        } catch (StorageException e) {
            return true;   // the tree cannot describe it now (e.g. invalid); not evidence of a foreign tree
        }
    }

    /** At open, after the log replay: quarantines each live disk that no LUN or snapshot record names. */
    public void quarantineOrphanDisks() {
        synchronized (catalog) {
            java.util.Set<Long> named = new java.util.HashSet<>();
            for (LunRecord r : table.luns()) {
                named.add(r.disk());
            }
            for (SnapshotRecord s : table.snapshots()) {
                named.add(s.disk());
            }
            named.add(table.backupSnapshotDisk());
            named.add(table.backupLogDisk());
            for (long d : trees.disks()) {
                if (!named.contains(d) && liveDisk(d)) {
                    quarantine(new QuarantineEntry("disk-" + d, QuarantineEntry.Kind.DISK, "disk " + d, -1, d,
                            "logical disk " + d + " is named by no LUN and no snapshot record"));
                }
            }
        }
    }

    /**
     * Repairs quarantined object {@code id} (see {@link #entries()}) by deleting it: a LUN's record
     * goes with its snapshot records and presentations, then whatever disks of them remain; a
     * snapshot's record and presentations go, then its disk if it remains; an orphan disk is deleted
     * (its own snapshots, if any, stay). A disk that a record outside quarantine names is never deleted.
     * Durable when it returns.
     *
     * @return what was repaired
     * @throws StorageException NOT_FOUND when no such quarantine entry exists
     */
    public QuarantineEntry repair(String id) {
        synchronized (catalog) {
            QuarantineEntry q = quarantined.get(id);
            if (q == null) {
                throw new StorageException(ErrorCode.NOT_FOUND, "no quarantined object " + id);
            }
            java.util.Set<Long> inUse = new java.util.HashSet<>();   // disks that healthy records name
            for (LunRecord r : table.luns()) {
                if (!isQuarantined(r.id())) {
                    inUse.add(r.disk());
                }
            }
            for (SnapshotRecord s : table.snapshots()) {
                if (!isQuarantined(s.id())) {
                    inUse.add(s.disk());
                }
            }
            List<Long> disks = new ArrayList<>();
            List<String> cleared = new ArrayList<>();
            switch (q.kind()) {
                case LUN -> {
                    for (SnapshotRecord s : table.snapshots()) {
                        if (s.lunId() == q.unitId()) {
                            disks.add(s.disk());
                            cleared.add("snapshot-" + s.id());
                        }
                    }
                    disks.add(q.disk());
                    if (table.byId(q.unitId()) != null) {
                        table.remove(q.unitId());
                    }
                }
                case SNAPSHOT -> {
                    table.removeSnapshot(q.name());
                    disks.add(q.disk());
                }
                case DISK -> disks.add(q.disk());
            }
            quarantined.remove(id);
            for (String c : cleared) {
                quarantined.remove(c);
            }
            log.append(new CellRecord.QuarantineRepaired(id,
                    CellRecord.RepairKind.valueOf(q.kind().name()), q.unitId(), q.name()));
            for (long d : disks) {
                if (!inUse.contains(d)) {
                    try {
                        deleteDisk.accept(d);
                    } catch (StorageException e) {   // the records are gone; the disk stays reported, nothing is hidden
                        quarantine(new QuarantineEntry("disk-" + d, QuarantineEntry.Kind.DISK, "disk " + d, -1, d,
                                "logical disk " + d + " was left by the repair of " + id + ": " + e.getMessage()));
                    }
                }
            }
            LOG.log(System.Logger.Level.INFO, "repaired quarantined " + q.id() + " (" + q.name() + ") by deleting it");
            return q;
        }
    }

}
