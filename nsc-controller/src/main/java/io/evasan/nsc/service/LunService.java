package io.evasan.nsc.service;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.api.CellRecord;
import io.evasan.nsc.Controller;
import io.evasan.nsc.backup.impl.SnapshotBackupEngineImpl;
import io.evasan.nsc.cache.WriteCache;
import io.evasan.nsc.lun.LunRecord;
import io.evasan.nsc.lun.LunTable;
import io.evasan.nsc.lun.LunInUseException;
import io.evasan.nsc.lun.Presentation;
import io.evasan.nsc.lun.PresentationRule;
import io.evasan.nsc.lun.SnapshotRecord;
import io.evasan.nsc.lun.impl.CachedLogicalUnit;
import io.evasan.nsc.lun.impl.TreeDestageTarget;
import io.evasan.raid.rstore.RaidLevel;
import io.evasan.scsi.lu.LogicalUnit;
import io.evasan.scsi.lu.impl.PresentationTable;
import io.evasan.scsi.target.impl.DiskTarget;
import io.evasan.sharing.DeleteOption;
import io.evasan.sharing.SharingTrees;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The LUN service of a {@link Controller}: LUN create (primary and the seed 003 log LUN), delete,
 * resize, present / unpresent and rollback to a snapshot.
 *
 * <p>Locking (the controller's invariant, kept here): the public operations are management operations
 * and run under the controller's monitor (its {@code synchronized} façade methods call them); each
 * commits its change (LUN table write plus the tree work that goes with it, destage registration and
 * the change report) under the catalogue commit lock {@code catalog}, the one lock shared with
 * {@link SnapshotService} (whose marker snapshots commit under it on cache workers) and
 * {@link SnapclonePromotion}. Hence each catalogue change is atomic with respect to every other and
 * they form one serial history. Lock order: monitor, then {@code catalog}; {@code catalog} is never
 * held while waiting on the cache (a marker fires under it) nor across host I/O. A LUN id still named
 * by a pending marker is not given to a new LUN, and names reserved by queued markers are honoured.
 */
public final class LunService {
    /** What the service needs of the controller. */
    public interface Host extends SnapshotService.Host {
        List<LunRecord> promoteDetachedSnapclones();

        LogicalUnit unit(int lunId);

        CachedLogicalUnit newUnit(LunRecord r);
    }

    private final Host host;
    /** The catalogue commit lock, shared with the controller, {@link SnapshotService} and {@link SnapclonePromotion}. */
    private final Object catalog;
    private final SharingTrees trees;
    private final LunTable table;
    private final TreeDestageTarget destage;
    private final PresentationTable presentation;
    private final DiskTarget target;
    private final SnapshotBackupEngineImpl backup;
    private final Map<Integer, CachedLogicalUnit> lus;
    private final Map<Integer, CachedLogicalUnit> snapUnits;
    private WriteCache cache;

    /**
     * @param catalog       the catalogue commit lock (shared)
     * @param lus           the controller's LUs of primary LUNs, by unit id
     * @param snapUnits     the controller's LUs of presented snapshots, by unit id
     */
    public LunService(Host host, Object catalog, SharingTrees trees, LunTable table, TreeDestageTarget destage,
                      PresentationTable presentation, DiskTarget target, SnapshotBackupEngineImpl backup,
                      Map<Integer, CachedLogicalUnit> lus, Map<Integer, CachedLogicalUnit> snapUnits) {
        this.host = host;
        this.catalog = catalog;
        this.trees = trees;
        this.table = table;
        this.destage = destage;
        this.presentation = presentation;
        this.target = target;
        this.backup = backup;
        this.lus = lus;
        this.snapUnits = snapUnits;
    }

    /** The write-back cache (made after the services: the snapshot action is theirs). */
    public void attach(WriteCache cache) {
        this.cache = cache;
    }

    /**
     * Creates a thin LUN of {@code sizeBytes} (a multiple of 512) over a new sharing tree, at the
     * sharing trees' default RAID level.
     *
     * @throws StorageException INVALID_ARGUMENT (size, name), ALREADY_EXISTS (name)
     */
    public LunRecord createLun(String name, long sizeBytes) {
        return createLun(name, sizeBytes, null);
    }

    /**
     * Creates a thin LUN whose allocations use RAID level {@code raid} (null: the sharing trees'
     * default level, the one the launcher gave its segment store).
     *
     * @throws StorageException INVALID_ARGUMENT (size, name), ALREADY_EXISTS (name)
     */
    public LunRecord createLun(String name, long sizeBytes, RaidLevel raid) {
        return createLun(name, sizeBytes, raid, -1);
    }

    /**
     * Creates a thin LUN in disk group {@code diskGroup} (negative: the segment store's default, the
     * first group); its snapshots and snapclones allocate in the same group.
     *
     * @throws StorageException INVALID_ARGUMENT (size, name), ALREADY_EXISTS (name), NOT_FOUND (disk group)
     */
    public LunRecord createLun(String name, long sizeBytes, RaidLevel raid, int diskGroup) {
        host.checkOpen();
        host.checkName(name);
        host.checkNameFree(name);
        if (sizeBytes <= 0 || sizeBytes % 512 != 0) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "LUN size " + sizeBytes
                    + " must be a positive multiple of 512 bytes");
        }
        long segs = (sizeBytes + trees.segmentBytes() - 1) / trees.segmentBytes();
        if (segs > Integer.MAX_VALUE) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "LUN size " + sizeBytes + " too large");
        }
        java.util.Set<Integer> referenced = referencedLunIds();
        synchronized (catalog) {
            host.checkNameFree(name);   // again under the commit lock: a marker may have taken the name meanwhile
            long disk = diskGroup >= 0 ? trees.createLun((int) segs, raid, diskGroup)
                    : raid == null ? trees.createLun((int) segs) : trees.createLun((int) segs, raid);
            LunRecord r;
            try {
                r = table.create(name, LunRecord.Kind.PRIMARY, disk, sizeBytes, referenced::contains);
            } catch (RuntimeException e) {
                trees.delete(disk, DeleteOption.DELETE_SNAPSHOTS);
                throw e;
            }
            destage.register(r.id(), disk, sizeBytes);
            lus.put(r.id(), host.newUnit(r));
            host.record(new CellRecord.LunCreated(r.id(), r.name(), CellRecord.LunKind.PRIMARY, r.uid(), r.disk(),
                    r.sizeBytes(), trees.diskGroup(r.disk())));
            return r;
        }
    }

    /**
     * Defines the seed 003 log LUN: {@code capacityBytes} bounds what a backup snapshot may preserve;
     * present it to hosts (presentLun) to give them the backup LUN. One per controller.
     *
     * @throws StorageException ALREADY_EXISTS (a log LUN exists, or the name is taken), INVALID_ARGUMENT
     */
    public LunRecord defineLogLun(String name, long capacityBytes) {
        host.checkOpen();
        host.checkName(name);
        if (capacityBytes < trees.segmentBytes() || capacityBytes % 512 != 0) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "log capacity " + capacityBytes
                    + " must be a multiple of 512 and at least one segment (" + trees.segmentBytes() + " bytes)");
        }
        if (backup.logUnit() != null) {
            throw new StorageException(ErrorCode.ALREADY_EXISTS, "a log LUN is already defined: " + backup.logUnit().name());
        }
        java.util.Set<Integer> referenced = referencedLunIds();
        LunRecord r;
        synchronized (catalog) {
            host.checkNameFree(name);
            r = table.create(name, LunRecord.Kind.LOG, -1, capacityBytes, referenced::contains);
            host.record(new CellRecord.LunCreated(r.id(), r.name(), CellRecord.LunKind.LOG, r.uid(), r.disk(),
                    r.sizeBytes(), -1));
        }
        backup.defineLog(r);   // outside the commit lock: the engine has its own, held around cache work
        return r;
    }

    /**
     * Deletes a LUN (and its snapshots): unpresents it, refuses new I/O, destages its cached writes,
     * removes it from the table, then frees its tree. A LUN that hosts see (it or one of its snapshots is
     * presented) or that has snapshots is deleted only when {@code force} is set; a quarantined LUN serves
     * nothing, so deleting it (its repair) needs no force.
     *
     * @throws StorageException NOT_FOUND; INVALID_STATE while it takes part in a snapshot backup or copy;
     *                          {@link LunInUseException} (INVALID_STATE) when it is presented or has snapshots and
     *                          {@code force} is not set (nothing changed)
     */
    public void deleteLun(String name, boolean force) {
        host.checkOpen();
        host.promoteDetachedSnapclones();   // a finished snapclone is an independent LUN: it outlives its source
        LunRecord r = host.lun(name);
        if (host.isQuarantined(r.id())) {
            host.repairQuarantined("lun-" + r.id());
            return;
        }
        LunGuard.check(table, r, "deleting LUN " + name, "its hosts lose the LUN and its snapshots are deleted with it", force);
        if (r.kind() == LunRecord.Kind.LOG) {
            backup.removeLog();
        } else if (backup.involves(r.id())) {
            throw new StorageException(ErrorCode.INVALID_STATE, "LUN " + name
                    + " takes part in a snapshot backup or copy; terminate it first");
        }
        for (Presentation p : table.presentations()) {
            if (p.lunId() == r.id()) {
                presentation.unpresent(p.initiator(), p.hostLun());
            }
        }
        List<SnapshotRecord> snaps = new ArrayList<>();
        for (SnapshotRecord s : table.snapshots()) {
            if (s.lunId() == r.id()) {
                snaps.add(s);
            }
        }
        for (SnapshotRecord s : snaps) {   // presented snapshots go with their LUN
            for (Presentation p : table.presentations()) {
                if (p.lunId() == s.id()) {
                    presentation.unpresent(p.initiator(), p.hostLun());
                }
            }
            CachedLogicalUnit su = snapUnits.get(s.id());
            if (su != null) {
                su.markGone();
            }
            cache.synchronize(s.id(), 0, 0);
        }
        if (r.kind() == LunRecord.Kind.PRIMARY) {
            CachedLogicalUnit lu = lus.get(r.id());
            lu.markGone();
            cache.synchronize(r.id(), 0, 0);
            synchronized (catalog) {
                snaps.clear();   // again under the commit lock: a marker may have taken one since (unpresented, nothing cached)
                for (SnapshotRecord s : table.snapshots()) {
                    if (s.lunId() == r.id()) {
                        snaps.add(s);
                    }
                }
                table.remove(r.id());
                lus.remove(r.id());
                target.stats().remove(lu);
                destage.unregister(r.id());
                host.record(new CellRecord.LunDeleted(r.id(), r.name()));
                trees.delete(r.disk(), DeleteOption.DELETE_SNAPSHOTS);
                for (SnapshotRecord s : snaps) {   // detached snapclones are independent disks
                    destage.unregister(s.id());
                    CachedLogicalUnit su = snapUnits.remove(s.id());
                    if (su != null) {
                        target.stats().remove(su);
                    }
                    host.deleteDiskQuietly(s.disk());
                }
            }
            backup.lunDeleted(r.id());   // outside the commit lock: the engine has its own, held around cache work
        } else {
            synchronized (catalog) {
                table.remove(r.id());
                host.record(new CellRecord.LunDeleted(r.id(), r.name()));
            }
        }
    }

    /**
     * Grows or shrinks LUN {@code name} to {@code sizeBytes} (a positive multiple of 512). Hosts get BUSY
     * while it runs; writes acknowledged and markers requested before the call reach the tree first.
     * Shrinking discards the data beyond the new end (it reads zeros if the LUN grows again); data
     * below the new end is untouched. Growing adds space that reads zeros; the tree disk grows only
     * when the LUN outgrows it, which the sharing tree refuses while the LUN has snapshots or
     * snapclones. Every nexus gets the unit attention CAPACITY DATA HAS CHANGED (2A/09); READ
     * CAPACITY reports the new size. The new size is in the LUN table when this returns.
     *
     * <p>Crash order: a shrink commits the table first and then unmaps; a grow unmaps (zeros) the
     * space it is about to expose before it commits, so the space beyond a LUN's end never leaks
     * older data, whichever step a crash interrupts.
     *
     * <p>A shrink of a LUN that hosts see (it or one of its snapshots is presented) or that has snapshots is
     * refused unless {@code force} is set: it would discard data under a host's file system.
     *
     * @return the new record
     * @throws StorageException NOT_FOUND; INVALID_ARGUMENT (size, or the log LUN); INVALID_STATE while
     *                          the LUN takes part in a snapshot backup or copy, or when the tree refuses
     *                          to grow a disk with snapshots; SPACE_ALLOCATION_FAILED from the tree;
     *                          {@link LunInUseException} (INVALID_STATE) for an unforced shrink of a LUN in use
     */
    public LunRecord resizeLun(String name, long sizeBytes, boolean force) {
        host.checkOpen();
        LunRecord r = host.lun(name);
        host.checkNotQuarantined(r.id(), "LUN " + name);
        if (r.kind() != LunRecord.Kind.PRIMARY) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "LUN " + name + " is the log LUN; it is not resized");
        }
        if (sizeBytes <= 0 || sizeBytes % 512 != 0) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "LUN size " + sizeBytes
                    + " must be a positive multiple of 512 bytes");
        }
        long segBytes = trees.segmentBytes();
        long segs = (sizeBytes + segBytes - 1) / segBytes;
        if (segs > Integer.MAX_VALUE) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "LUN size " + sizeBytes + " too large");
        }
        if (backup.involves(r.id())) {
            throw new StorageException(ErrorCode.INVALID_STATE, "LUN " + name
                    + " takes part in a snapshot backup or copy; terminate it first");
        }
        if (sizeBytes == r.sizeBytes()) {
            return r;
        }
        if (sizeBytes < r.sizeBytes()) {
            LunGuard.check(table, r, "shrinking LUN " + name + " from " + LunGuard.size(r.sizeBytes()) + " to "
                    + LunGuard.size(sizeBytes), "the LUN's data beyond " + LunGuard.size(sizeBytes) + " is discarded (a host's file system may still use it)", force);
        }
        long old = r.sizeBytes();
        LunRecord next = new LunRecord(r.id(), r.name(), r.kind(), r.uid(), r.disk(), sizeBytes);
        CachedLogicalUnit lu = lus.get(r.id());
        LunRecord[] stored = new LunRecord[1];
        lu.resize(next, () -> {
            synchronized (catalog) {   // after the LU waited for the cache: a marker of this LUN may fire meanwhile
                if (sizeBytes < old) {
                    stored[0] = table.resize(r.id(), sizeBytes);
                    destage.register(r.id(), r.disk(), sizeBytes);
                    trees.unmap(r.disk(), sizeBytes, old - sizeBytes);
                } else {
                    long diskBytes = (long) trees.segments(r.disk()) * segBytes;
                    long zeroEnd = Math.min(sizeBytes, diskBytes);
                    if (zeroEnd > old) {
                        trees.unmap(r.disk(), old, zeroEnd - old);
                    }
                    if (segs > trees.segments(r.disk())) {
                        trees.resize(r.disk(), (int) segs);
                    }
                    stored[0] = table.resize(r.id(), sizeBytes);
                    destage.register(r.id(), r.disk(), sizeBytes);
                }
                host.record(new CellRecord.LunResized(r.id(), r.name(), sizeBytes));
            }
            backup.lunDeleted(r.id());   // change tracking and copy baselines were sized for the old LUN
        });
        target.capacityChanged(lu);
        return stored[0];
    }

    /**
     * Presents LUN {@code name} to {@code initiator} ("*" = everyone) as host LUN {@code hostLun}.
     *
     * @throws StorageException NOT_FOUND, ALREADY_EXISTS (host LUN taken, the initiator already sees the LUN at another
     *                          host LUN, or it would shadow or be shadowed: {@link PresentationRule}), INVALID_ARGUMENT
     *                          (initiator name, host LUN range)
     */
    public void presentLun(String initiator, int hostLun, String name) {
        host.checkOpen();
        if (initiator == null || initiator.isEmpty() || hostLun < 0 || hostLun > PresentationTable.MAX_LUN) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "initiator must be non-empty and host LUN 0.."
                    + PresentationTable.MAX_LUN);
        }
        io.evasan.nsc.lun.InitiatorName.checkPresentable(initiator);
        LunRecord r = host.lun(name);
        host.checkNotQuarantined(r.id(), "LUN " + name);
        synchronized (catalog) {
            boolean had = table.presentations().contains(new Presentation(initiator, hostLun, r.id()));
            PresentationRule.check(table, initiator, hostLun, r.id());
            table.present(initiator, hostLun, r.id());
            presentation.present(initiator, hostLun, host.unit(r.id()));
            if (!had) {
                host.record(new CellRecord.Presented(initiator, hostLun, r.id(), r.name()));
            }
        }
    }

    /** @return whether the presentation existed */
    public boolean unpresentLun(String initiator, int hostLun) {
        host.checkOpen();
        synchronized (catalog) {
            Presentation was = presented(initiator, hostLun);
            String unitName = was == null ? null : unitName(was.lunId());
            boolean had = table.unpresent(initiator, hostLun);
            presentation.unpresent(initiator, hostLun);
            if (had) {
                host.record(new CellRecord.Unpresented(initiator, hostLun, was.lunId(), unitName == null ? "" : unitName));
            }
            return had;
        }
    }

    /**
     * Rolls LUN {@code lunName} back to its snapshot {@code snapshotName}: afterwards it reads exactly
     * what the snapshot reads; the snapshot and every other disk keep their data. Writes acknowledged
     * before the call are overwritten by the rollback; hosts get BUSY while it runs.
     *
     * @throws StorageException NOT_FOUND; INVALID_ARGUMENT when the snapshot is not of this LUN;
     *                          INVALID_STATE while the LUN takes part in a snapshot backup or copy;
     *                          SPACE_ALLOCATION_FAILED (from the tree, nothing changed)
     */
    public void rollbackLun(String lunName, String snapshotName) {
        host.checkOpen();
        LunRecord r = host.lun(lunName);
        SnapshotRecord s = table.snapshotByName(snapshotName);
        if (s == null) {
            throw new StorageException(ErrorCode.NOT_FOUND, "no snapshot named '" + snapshotName + "'");
        }
        if (s.lunId() != r.id() || r.kind() != LunRecord.Kind.PRIMARY) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "snapshot " + snapshotName + " is not a snapshot of LUN " + lunName);
        }
        host.checkNotQuarantined(r.id(), "LUN " + lunName);
        host.checkNotQuarantined(s.id(), "snapshot " + snapshotName);
        if (backup.involves(r.id())) {
            throw new StorageException(ErrorCode.INVALID_STATE, "LUN " + lunName
                    + " takes part in a snapshot backup or copy; terminate it first");
        }
        CachedLogicalUnit su = snapUnits.get(s.id());
        if (su != null) {   // a presented snapshot: its hosts wait (BUSY) and their acknowledged writes count
            su.setBusy(true);
        }
        try {
            cache.synchronize(s.id(), 0, 0);
            lus.get(r.id()).rollback(s.disk());
        } finally {
            if (su != null) {
                su.setBusy(false);
            }
        }
        synchronized (catalog) {
            host.record(new CellRecord.LunRolledBack(r.id(), r.name(), s.id(), s.name()));
        }
    }

    /**
     * Refuses, unless {@code force}, a backup copy of LUN unit {@code source} onto LUN {@code destination}: one hosts
     * see, with snapshots, or holding data other than an untouched earlier copy of {@code source} (the copy
     * overwrites all of it). Only reads.
     *
     * @throws StorageException NOT_FOUND; INVALID_STATE (a {@link LunInUseException} when it is presented or has snapshots)
     */
    public void checkBackupDestination(String destination, int source, boolean force) {
        LunRecord d = host.lun(destination);
        if (d.kind() == LunRecord.Kind.PRIMARY) {   // the engine refuses the log LUN itself
            LunGuard.checkOverwrite(table, trees, d, backup.holdsCopyOf(d.id(), source), force);
        }
    }

    /** LUN ids named by markers still in the cache (a new LUN must not get one of them). */
    private java.util.Set<Integer> referencedLunIds() {
        java.util.Set<Integer> ids = new java.util.HashSet<>();
        for (io.evasan.nsc.cache.CachedItem item : cache.pendingItems()) {
            if (item.marker() && item.request() != null) {
                for (int i = 0; i < item.request().lunCount(); i++) {
                    ids.add(item.request().lunId(i));
                }
            }
        }
        return ids;
    }

    /** The presentation at (initiator, host LUN), or null. */
    private Presentation presented(String initiator, int hostLun) {
        for (Presentation p : table.presentations()) {
            if (p.initiator().equals(initiator) && p.hostLun() == hostLun) {
                return p;
            }
        }
        return null;
    }

    /** The name of LUN or snapshot unit {@code unitId}, or null. */
    private String unitName(int unitId) {
        LunRecord r = table.byId(unitId);
        if (r != null) {
            return r.name();
        }
        SnapshotRecord s = table.snapshotById(unitId);
        return s == null ? null : s.name();
    }
}
