package io.evasan.nsc.service;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.api.CellRecord;
import io.evasan.nsc.Controller;
import io.evasan.nsc.ControllerConfig;
import io.evasan.nsc.api.QuarantineEntry;
import io.evasan.nsc.backup.impl.SnapshotBackupEngineImpl;
import io.evasan.nsc.cache.WriteCache;
import io.evasan.nsc.lun.LunRecord;
import io.evasan.nsc.lun.LunTable;
import io.evasan.nsc.lun.Presentation;
import io.evasan.nsc.lun.SnapshotRecord;
import io.evasan.nsc.lun.impl.CachedLogicalUnit;
import io.evasan.nsc.lun.impl.TreeDestageTarget;
import io.evasan.nsc.marker.SnapshotMarker;
import io.evasan.nsc.marker.SnapshotRequest;
import io.evasan.scsi.lu.LogicalUnit;
import io.evasan.scsi.lu.impl.PresentationTable;
import io.evasan.scsi.target.ScsiStats;
import io.evasan.sharing.AllocationPolicy;
import io.evasan.sharing.SharingTrees;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The snapshot service of a {@link Controller}: snapshot requests as cache markers (API, schedules),
 * the snapshot action every marker runs when it leaves the cache ({@link #takeSnapshot}), snapshot
 * name reservation, and snapshot delete / presentation / reads.
 *
 * <p>Locking (the controller's invariant, kept here): the public operations are management operations
 * and run under the controller's monitor (its {@code synchronized} façade methods call them); the one
 * change not started by a management call, a marker's snapshot taken on a cache worker, commits under
 * the catalogue commit lock {@code catalog}, the one lock shared with the controller's LUN operations
 * and {@link SnapclonePromotion}, which every management operation also takes around its own commit.
 * Hence each catalogue change is atomic with respect to every other and they form one serial history.
 * Lock order: monitor, then {@code catalog}; {@code catalog} is never held while waiting on the cache
 * (a marker fires under it) nor across host I/O. A snapshot name is reserved, atomically with its
 * checks, when its marker is queued and stays reserved until the marker is taken or fails; a marker
 * whose LUN was deleted (or quarantined) before it left the cache fails with NOT_FOUND.
 */
public final class SnapshotService {
    /** Request-id space of host (vendor C0h) markers. */
    public static final long HOST_ID_BASE = 0x4000_0000L;
    /** Request-id space of snapshot-backup markers. */
    public static final long BACKUP_ID_BASE = 0x8000_0000L;
    /** Request ids of the former in-controller snapshot scheduler (may name stored snapshots): not reused. */
    @SuppressWarnings("unused")
    private static final long SCHEDULE_ID_BASE = 0x2000_0000L;
    private static final int REMEMBERED_SNAPSHOTS = 1024;

    /** What the service needs of the controller (its checks, quarantine and change reports). */
    public interface Host {
        void checkOpen();

        LunRecord lun(String name);

        void checkNotQuarantined(int unitId, String what);

        /** Takes {@code catalog}. */
        boolean isQuarantined(int unitId);

        void checkName(String name);

        /** Call under {@code catalog} to act on it. */
        void checkNameFree(String name);

        QuarantineEntry repairQuarantined(String id);

        void deleteDiskQuietly(long disk);

        /** Reports a committed change; called under {@code catalog}. */
        void record(CellRecord record);
    }

    private final Host host;
    /** The catalogue commit lock, shared with the controller and {@link SnapclonePromotion}. */
    private final Object catalog;
    private final ControllerConfig config;
    private final ScsiStats meters;
    private final SharingTrees trees;
    private final LunTable table;
    private final TreeDestageTarget destage;
    private final PresentationTable presentation;
    private final SnapshotBackupEngineImpl backup;
    private final Map<Integer, CachedLogicalUnit> snapUnits;
    private final long idBase;
    private final AtomicLong apiIds;
    private WriteCache cache;
    /**
     * Snapshot names of queued markers, name to request id; guarded by {@code catalog}. A name is released once its
     * marker's snapshot was taken or failed, or its marker failed without being taken.
     */
    private final java.util.Map<String, Long> reservedNames = new java.util.HashMap<>();
    /** Recently taken snapshots by marker request id (what the requester gets back); guarded by {@code catalog}. */
    private final java.util.Map<Long, SnapshotRecord> takenSnapshots = new java.util.LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(java.util.Map.Entry<Long, SnapshotRecord> e) {
            return size() > REMEMBERED_SNAPSHOTS;
        }
    };

    /**
     * @param catalog       the catalogue commit lock (shared)
     * @param meters        the SCSI target's per-LU meters (a snapshot LU's registered with it, removed with it)
     * @param snapUnits     the controller's LUs of presented snapshots, by unit id
     * @param idBase        {@code generation << 32}: the base of this run's request ids
     */
    public SnapshotService(Host host, Object catalog, ControllerConfig config, ScsiStats meters, SharingTrees trees,
                           LunTable table, TreeDestageTarget destage, PresentationTable presentation,
                           SnapshotBackupEngineImpl backup, Map<Integer, CachedLogicalUnit> snapUnits, long idBase) {
        this.host = host;
        this.catalog = catalog;
        this.config = config;
        this.meters = meters;
        this.trees = trees;
        this.table = table;
        this.destage = destage;
        this.presentation = presentation;
        this.backup = backup;
        this.snapUnits = snapUnits;
        this.idBase = idBase;
        this.apiIds = new AtomicLong(idBase);
    }

    /** The write-back cache the markers go to (made after this service: its snapshot action is ours). */
    public void attach(WriteCache cache) {
        this.cache = cache;
    }

    /** Whether a queued marker reserved {@code name}. Call under {@code catalog}. */
    public boolean reserved(String name) {
        return reservedNames.containsKey(name);
    }

    /**
     * The LU of a snapshot (created when first presented): a {@link CachedLogicalUnit} over the
     * snapshot's unit id, so reads and writes go through the write-back cache like a LUN's.
     */
    public CachedLogicalUnit snapshotUnit(SnapshotRecord s) {
        return snapUnits.computeIfAbsent(s.id(), id -> {
            String statsName = table.byName(s.name()) == null ? s.name() : s.name() + "#snapshot";
            LunRecord view = new LunRecord(s.id(), s.name(), LunRecord.Kind.PRIMARY, s.uid(), s.disk(), s.sizeBytes());
            CachedLogicalUnit lu = new CachedLogicalUnit(cache, destage, view, config.poolIdentity(),
                    cache.maxWriteBytes(), config.physicalBlockExponent());
            meters.register(lu, statsName);
            return lu;
        });
    }

    /**
     * The snapshot action of every marker (on a cache worker, or during the log replay at open): for
     * each LUN of the request, under {@code catalog}, takes the tree snapshot and stores its record, or
     * skips it when the LUN is gone. A one-LUN request whose LUN is gone (deleted, or quarantined,
     * before the marker left the cache) fails with NOT_FOUND, and its requester is told so. The name
     * reserved by {@link #snapshot(String, String, boolean, AllocationPolicy, int)} is released in
     * every case.
     */
    public void takeSnapshot(SnapshotRequest request) {
        long id = request.requestId();
        if ((id & BACKUP_ID_BASE) != 0 && (id & HOST_ID_BASE) == 0) {
            backup.takeBackupSnapshot(request);   // a replayed one from before a restart does nothing
            return;
        }
        StorageException gone = null;
        try {
            for (int i = 0; i < request.lunCount(); i++) {
                int lunId = request.lunId(i);
                synchronized (catalog) {
                    if (table.snapshot(id, lunId) != null) {
                        continue;   // replayed marker: already taken
                    }
                    LunRecord r = table.byId(lunId);
                    if (r == null || r.kind() != LunRecord.Kind.PRIMARY || host.isQuarantined(lunId)) {
                        gone = new StorageException(ErrorCode.NOT_FOUND, "LUN id " + lunId + " was deleted before snapshot "
                                + request.name() + " was taken; nothing was taken");
                        continue;
                    }
                    boolean clone = request.kind() == SnapshotRequest.Kind.SNAPCLONE;
                    // the snapshot shares the LUN's destaged data: stable before the snapshot is, so that a
                    // snapshot reported taken holds its request's writes across a power cut (SnapshotPowerCutTest)
                    trees.flush(r.disk());
                    long tag = snapshotTag(id, lunId);   // the tree returns the existing disk if this tag was taken before a crash
                    AllocationPolicy policy = request.policy() != null ? request.policy() : config.snapshotPolicy();
                    long disk = !clone ? trees.snapshot(r.disk(), policy, tag)
                            : request.diskGroup() >= 0 || request.quiesceThreshold() > 0
                            ? trees.snapclone(r.disk(), policy, request.snapcloneMode(), tag, request.diskGroup(), request.quiesceThreshold())
                            : trees.snapclone(r.disk(), policy, request.snapcloneMode(), tag);
                    String name = request.lunCount() == 1 ? request.name() : request.name() + "@" + r.name();
                    Long owner = reservedNames.get(name);
                    if (table.snapshotByName(name) != null || table.byName(name) != null
                            || (owner != null && owner != id)) {   // only generated names (schedules, hosts, replay) get here
                        name = name + "-" + Long.toHexString(id);
                    }
                    SnapshotRecord stored = table.addSnapshot(new SnapshotRecord(name, lunId, disk, id, clone,
                            System.currentTimeMillis(), -1, 0, r.sizeBytes()));
                    destage.register(stored.id(), stored.disk(), stored.sizeBytes());
                    takenSnapshots.put(id, stored);
                    host.record(new CellRecord.SnapshotTaken(stored.id(), stored.name(), lunId, disk, id, clone,
                            stored.createdMillis(), stored.uid(), stored.sizeBytes(), trees.diskGroup(disk), policy.name()));
                }
            }
        } finally {
            synchronized (catalog) {
                reservedNames.remove(request.name(), id);
            }
        }
        if (gone != null && request.lunCount() == 1) {
            throw gone;
        }
    }

    /**
     * The snapshot record the marker {@code m} (requested by this controller in this run) produced, if
     * it was taken: the requester's answer even when a later operation already deleted the snapshot
     * (its LUN was deleted right after), which keeps the requester's view one serial history.
     */
    public java.util.Optional<SnapshotRecord> takenSnapshot(SnapshotMarker m) {
        synchronized (catalog) {
            return java.util.Optional.ofNullable(takenSnapshots.get(m.request().requestId()));
        }
    }

    /** Non-zero tag identifying the snapshot of (marker request, LUN) in the sharing tree (64-bit mix). */
    public static long snapshotTag(long requestId, int lunId) {
        long z = requestId * 0x9E3779B97F4A7C15L + lunId;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        return z == 0 ? 1 : z;
    }

    /**
     * Requests a snapshot (or snapclone) of LUN {@code lunName} through a cache marker; the snapshot
     * holds exactly the writes acknowledged before this call. Wait on {@code marker.taken()}.
     *
     * @throws StorageException NOT_FOUND, ALREADY_EXISTS (snapshot name), INVALID_ARGUMENT
     */
    public SnapshotMarker snapshot(String lunName, String snapshotName, boolean snapclone) {
        return snapshot(lunName, snapshotName, snapclone, null);
    }

    /**
     * {@link #snapshot(String, String, boolean)} with an allocation policy for the new disk
     * ({@code null} = {@link #defaultSnapshotPolicy()}). The policy travels in the marker (also in
     * the non-volatile cache log), so a marker replayed after a restart takes it with the same policy.
     * RESERVE_FULL fails the marker's future with SPACE_ALLOCATION_FAILED when the pool cannot
     * reserve the LUN's capacity.
     */
    public SnapshotMarker snapshot(String lunName, String snapshotName, boolean snapclone,
                                                AllocationPolicy policy) {
        return snapshot(lunName, snapshotName, snapclone, policy, -1);
    }

    /**
     * {@link #snapshot(String, String, boolean, AllocationPolicy)} with the disk group of a snapclone's
     * new disk ({@code diskGroup < 0}: the LUN's group). The group travels in the marker like the
     * policy. In another group every copy the clone gets comes from that group and, once BGCOPY is
     * done, {@link Controller#promoteDetachedSnapclones()} makes it a LUN of that group: snapclone with a group,
     * then delete the source, moves a LUN between disk groups. The marker's future fails with
     * NOT_FOUND (no such group), INVALID_STATE (the LUN has snapshots or a copying snapclone) or
     * SPACE_ALLOCATION_FAILED (RESERVE_FULL short in the group); nothing is created then.
     *
     * @throws StorageException INVALID_ARGUMENT (a group for a plain snapshot: snapshots stay in their
     *                          LUN's group), and as the four-argument form
     */
    public SnapshotMarker snapshot(String lunName, String snapshotName, boolean snapclone,
                                                AllocationPolicy policy, int diskGroup) {
        return snapshot(lunName, snapshotName, snapclone, policy, diskGroup, null, 0);
    }

    /**
     * {@link #snapshot(String, String, boolean, AllocationPolicy, int)} with a snapclone's mode (seed 004: EAGER,
     * Figs. 13-14, copies into the clone's predecessor on a CFW; SCALING, Fig. 15, does not and copies what that
     * predecessor needs when the clone leaves; null = EAGER) and its quiesce threshold M (Fig. 15d; 0 = the
     * engine's configured one). Both travel in the marker (cache log and mirror: the kind word).
     *
     * @throws StorageException INVALID_ARGUMENT (a mode other than EAGER or an M for a plain snapshot, M beyond
     *                          {@link SnapshotRequest#MAX_QUIESCE_THRESHOLD}), and as the five-argument form
     */
    public SnapshotMarker snapshot(String lunName, String snapshotName, boolean snapclone,
                                   AllocationPolicy policy, int diskGroup, io.evasan.sharing.SnapcloneMode mode, int quiesceThreshold) {
        host.checkOpen();
        if (!snapclone && ((mode != null && mode != io.evasan.sharing.SnapcloneMode.EAGER) || quiesceThreshold != 0)) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "a snapclone mode and a quiesce threshold are for snapclones only");
        }
        if (quiesceThreshold < 0 || quiesceThreshold > SnapshotRequest.MAX_QUIESCE_THRESHOLD) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "quiesce threshold M " + quiesceThreshold
                    + " outside 0.." + SnapshotRequest.MAX_QUIESCE_THRESHOLD);
        }
        if (diskGroup >= 0 && !snapclone) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "a plain snapshot stays in its LUN's disk group;"
                    + " only a snapclone takes a disk group");
        }
        if (diskGroup > SnapshotRequest.MAX_DISK_GROUP) {
            throw new StorageException(ErrorCode.NOT_FOUND, "disk group " + diskGroup + " does not exist");
        }
        LunRecord r = host.lun(lunName);
        host.checkNotQuarantined(r.id(), "LUN " + lunName);
        if (r.kind() != LunRecord.Kind.PRIMARY) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "LUN " + lunName + " is the log LUN");
        }
        host.checkName(snapshotName);
        long id = apiIds.incrementAndGet();
        synchronized (catalog) {   // checked and reserved in one step; released when the marker is taken or fails
            host.checkNameFree(snapshotName);
            reservedNames.put(snapshotName, id);
        }
        try {
            SnapshotMarker m = cache.insertMarker(new SnapshotRequest(id, snapshotName,
                    snapclone ? SnapshotRequest.Kind.SNAPCLONE : SnapshotRequest.Kind.SNAPSHOT,
                    SnapshotRequest.Source.API, policy, r.id()).inDiskGroup(diskGroup)
                    .withSnapcloneMode(mode, quiesceThreshold));
            m.taken().whenComplete((taken, failure) -> {
                if (failure != null) {   // a marker failed without being taken (its cache's controller went down)
                    synchronized (catalog) {
                        reservedNames.remove(snapshotName, id);
                    }
                }
            });
            return m;
        } catch (RuntimeException e) {
            synchronized (catalog) {
                reservedNames.remove(snapshotName, id);
            }
            throw e;
        }
    }

    /** The allocation policy of snapshots whose request names none ({@link ControllerConfig#snapshotPolicy()}). */
    public AllocationPolicy defaultSnapshotPolicy() {
        return config.snapshotPolicy();
    }

    /** {@link #snapshot(String, String, boolean)} with a generated name {@code <lun>-snap-<requestId hex>}. */
    public SnapshotMarker snapshot(String lunName) {
        host.checkOpen();
        LunRecord r = host.lun(lunName);
        host.checkNotQuarantined(r.id(), "LUN " + lunName);
        if (r.kind() != LunRecord.Kind.PRIMARY) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "LUN " + lunName + " is the log LUN");
        }
        long id = apiIds.incrementAndGet();
        return cache.insertMarker(new SnapshotRequest(id, lunName + "-snap-" + Long.toHexString(id),
                SnapshotRequest.Kind.SNAPSHOT, SnapshotRequest.Source.API, r.id()));
    }

    /**
     * Deletes a snapshot taken through a marker. A presented snapshot is refused (unpresent it first):
     * hosts reading a backup must not lose their disk to a delete.
     *
     * @throws StorageException NOT_FOUND; INVALID_STATE while it is presented (the message names the
     *                          initiator and host LUN)
     */
    public void deleteSnapshot(String name) {
        host.checkOpen();
        SnapshotRecord s = table.snapshotByName(name);
        if (s == null) {
            throw new StorageException(ErrorCode.NOT_FOUND, "no snapshot named '" + name + "'");
        }
        if (host.isQuarantined(s.id())) {
            host.repairQuarantined("snapshot-" + s.id());
            return;
        }
        for (Presentation p : table.presentations()) {
            if (p.lunId() == s.id()) {
                throw new StorageException(ErrorCode.INVALID_STATE, "snapshot " + name + " is presented to "
                        + p.initiator() + " as host LUN " + p.hostLun() + "; unpresent it first");
            }
        }
        CachedLogicalUnit su = snapUnits.get(s.id());
        if (su != null) {
            su.markGone();
        }
        cache.synchronize(s.id(), 0, 0);   // its cached writes leave the cache before the disk goes
        synchronized (catalog) {
            destage.unregister(s.id());
            host.deleteDiskQuietly(s.disk());
            table.removeSnapshot(name);
            host.record(new CellRecord.SnapshotDeleted(s.id(), s.name()));
        }
        snapUnits.remove(s.id());
        if (su != null) {
            meters.remove(su);
        }
    }

    /**
     * Presents snapshot (or snapclone) {@code snapshotName} to {@code initiator} ("*" = everyone) as host
     * LUN {@code hostLun}, read-write: hosts see a disk of the snapshot's size (its source's size when it
     * was taken) holding the snapshot's data; their writes change the snapshot only (the source LUN never
     * sees them), through the same write-back cache as LUN writes. Persisted in the LUN table like LUN
     * presentations; a snapclone promoted to a LUN keeps its presentations.
     *
     * @throws StorageException NOT_FOUND (snapshot), ALREADY_EXISTS (host LUN taken, seen twice, shadowing:
     *                          {@link io.evasan.nsc.lun.PresentationRule}), INVALID_ARGUMENT (initiator, host LUN range)
     */
    public void presentSnapshot(String initiator, int hostLun, String snapshotName) {
        host.checkOpen();
        if (initiator == null || initiator.isEmpty() || hostLun < 0 || hostLun > PresentationTable.MAX_LUN) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "initiator must be non-empty and host LUN 0.."
                    + PresentationTable.MAX_LUN);
        }
        io.evasan.nsc.lun.InitiatorName.checkPresentable(initiator);
        SnapshotRecord s = table.snapshotByName(snapshotName);
        if (s == null) {
            throw new StorageException(ErrorCode.NOT_FOUND, "no snapshot named '" + snapshotName + "'");
        }
        host.checkNotQuarantined(s.id(), "snapshot " + snapshotName);
        synchronized (catalog) {
            boolean had = table.presentations().contains(new Presentation(initiator, hostLun, s.id()));
            io.evasan.nsc.lun.PresentationRule.check(table, initiator, hostLun, s.id());
            table.present(initiator, hostLun, s.id());
            presentation.present(initiator, hostLun, snapshotUnit(s));
            if (!had) {
                host.record(new CellRecord.Presented(initiator, hostLun, s.id(), s.name()));
            }
        }
    }

    /**
     * Removes the presentation of snapshot {@code snapshotName} to {@code initiator} at {@code hostLun}.
     *
     * @return false (nothing changed) when that host LUN of that initiator does not present this snapshot
     * @throws StorageException NOT_FOUND (snapshot)
     */
    public boolean unpresentSnapshot(String initiator, int hostLun, String snapshotName) {
        host.checkOpen();
        SnapshotRecord s = table.snapshotByName(snapshotName);
        if (s == null) {
            throw new StorageException(ErrorCode.NOT_FOUND, "no snapshot named '" + snapshotName + "'");
        }
        boolean mine = false;
        for (Presentation p : table.presentations()) {
            mine |= p.lunId() == s.id() && p.hostLun() == hostLun && p.initiator().equals(initiator);
        }
        if (!mine) {
            return false;
        }
        synchronized (catalog) {
            table.unpresent(initiator, hostLun);
            presentation.unpresent(initiator, hostLun);
            host.record(new CellRecord.Unpresented(initiator, hostLun, s.id(), s.name()));
        }
        return true;
    }

    /** The presentations of snapshot {@code snapshotName} (empty for an unknown name). */
    public List<Presentation> snapshotPresentations(String snapshotName) {
        SnapshotRecord s = table.snapshotByName(snapshotName);
        List<Presentation> out = new ArrayList<>();
        if (s != null) {
            for (Presentation p : table.presentations()) {
                if (p.lunId() == s.id()) {
                    out.add(p);
                }
            }
        }
        return out;
    }

    /** The SCSI logical unit hosts see for snapshot {@code snapshotName}. @throws StorageException NOT_FOUND */
    public LogicalUnit snapshotLogicalUnit(String snapshotName) {
        SnapshotRecord s = table.snapshotByName(snapshotName);
        if (s == null) {
            throw new StorageException(ErrorCode.NOT_FOUND, "no snapshot named '" + snapshotName + "'");
        }
        return snapshotUnit(s);
    }

    /** Reads snapshot bytes through the cache (management / tests): what a host of the snapshot reads. */
    public void readSnapshot(String snapshotName, long offset, byte[] dst) {
        SnapshotRecord s = table.snapshotByName(snapshotName);
        if (s == null) {
            throw new StorageException(ErrorCode.NOT_FOUND, "no snapshot named '" + snapshotName + "'");
        }
        cache.read(s.id(), offset, java.nio.ByteBuffer.wrap(dst));
    }
}
