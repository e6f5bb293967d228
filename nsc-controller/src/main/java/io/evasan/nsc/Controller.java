package io.evasan.nsc;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.backup.BackupRefusedException;
import io.evasan.nsc.backup.impl.BackupLogicalUnit;
import io.evasan.nsc.backup.impl.SnapshotBackupEngineImpl;
import io.evasan.nsc.cache.CacheConfig;
import io.evasan.nsc.cache.CacheStats;
import io.evasan.nsc.cache.impl.WriteBackCache;
import io.evasan.nsc.api.QuarantineEntry;
import io.evasan.nsc.lun.LunRecord;
import io.evasan.nsc.lun.LunTable;
import io.evasan.nsc.lun.Presentation;
import io.evasan.nsc.lun.PromotedSnapclone;
import io.evasan.nsc.lun.SnapshotRecord;
import io.evasan.nsc.lun.impl.CachedLogicalUnit;
import io.evasan.nsc.lun.impl.FileLunStore;
import io.evasan.nsc.lun.impl.MldLunStore;
import io.evasan.nsc.lun.impl.StoredLunTable;
import io.evasan.nsc.lun.impl.TreeDestageTarget;
import io.evasan.nsc.service.SnapclonePromotion;
import io.evasan.nsc.service.SnapshotService;
import io.evasan.nsc.service.LunService;
import io.evasan.nsc.marker.HostSnapshotCommand;
import io.evasan.nsc.marker.SnapshotMarker;
import io.evasan.nsc.marker.SnapshotRequest;
import io.evasan.raid.rstore.RaidLevel;
import io.evasan.scsi.ScsiTarget;
import io.evasan.scsi.lu.LogicalUnit;
import io.evasan.scsi.lu.LuException;
import io.evasan.scsi.lu.LunVisibility;
import io.evasan.scsi.lu.impl.PresentationTable;
import io.evasan.scsi.target.ScsiStats;
import io.evasan.scsi.target.impl.DiskTarget;
import io.evasan.scsi.sense.SenseCodes;
import io.evasan.scsi.vendor.DcmdCodes;
import io.evasan.scsi.vendor.DcmdDescriptor;
import io.evasan.scsi.vendor.DcmdHandler;
import io.evasan.scsi.vendor.SnapshotMarkerHandler;
import io.evasan.sharing.AllocationPolicy;
import io.evasan.sharing.DeleteOption;
import io.evasan.sharing.DiskKind;
import io.evasan.sharing.SharingTrees;
import io.evasan.sharing.SnapcloneMode;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One network storage controller (NSC): the LUN table, the write-back cache with its snapshot
 * marker, the SCSI target with LUN masking, and the seed 003 snapshot backup, over a
 * {@link SharingTrees} the launcher opened.
 *
 * <p>Data path: transport -> {@link #scsiTarget()} (CDB decode, masking) -> {@link CachedLogicalUnit}
 * -> {@link WriteBackCache} -> {@link TreeDestageTarget} -> sharing tree. Snapshot requests (API,
 * vendor command C0h, seed 003 initiate) are cache markers: the snapshot is taken when the marker
 * leaves the cache, so it holds exactly the writes acknowledged before the request.
 *
 * <p>Invariants: an unpresented LUN is never reached (the target's masking); management operations
 * are durable when they return (LUN table) or change nothing; each marker request id is unique
 * across restarts ({@code generation << 32 | counter}) and its snapshot is taken at most once per
 * LUN: the LUN table records (request, LUN), and the tree snapshot carries a tag derived from them, so
 * a marker replayed after a crash (even one between the tree snapshot and the table commit) finds it. {@link #close()} drains the
 * cache; the sharing trees (and pool) stay open: the launcher owns them.
 *
 * <p>Snapshots are virtual disks too: each snapshot record has a unit id in the LUN id space, its tree
 * disk is registered with the destage target under that id (so the write-back cache serves it like a
 * LUN), and {@link #presentSnapshot} presents it read-write. A snapclone whose BGCOPY finished (its
 * disk left the tree: {@link DiskKind#LUN}) is promoted to a primary LUN with the same id, uid, disk,
 * size and presentations, in one LUN table write ({@link #promoteDetachedSnapclones()}: run at open —
 * which also covers a crash between the tree's detach and the table write — by a background check
 * every {@value #PROMOTE_INTERVAL_MS} ms, and before LUN deletes).
 *
 * <p>Assembly and façade. This class opens and closes the controller and wires its parts (cache, LUN
 * table, trees, backup engine, quarantine at open); the LUN, snapshot and promotion services are
 * {@link io.evasan.nsc.service.LunService}, {@link io.evasan.nsc.service.SnapshotService} and
 * {@link io.evasan.nsc.service.SnapclonePromotion}, reached through the {@code synchronized} methods
 * here (the monitor below). All three are handed the one {@code catalog} commit lock of this class.
 *
 * <p>Management command path. Every management operation runs under this object's monitor, so they
 * are serialized; the one change that is not started by a management call — a marker's snapshot,
 * taken on a cache worker when the marker leaves the cache — commits under the {@code catalog} lock,
 * which every management operation also takes around its own commit (LUN table write plus the tree
 * work that goes with it). Hence each change of the catalogue is atomic with respect to every other
 * and they form one serial history ({@link #addChangeListener} reports it in order). Lock order:
 * monitor, then {@code catalog}; {@code catalog} is never held while waiting on the cache (a marker
 * fires under it) nor across host I/O. Further invariants of that path:
 * <ul>
 * <li>a snapshot name is reserved, atomically with its checks, when its marker is queued, and stays
 *     reserved until the marker is taken or fails, so of concurrent requests for one name exactly one
 *     is queued and the others get ALREADY_EXISTS; LUN creation honours reserved names too;</li>
 * <li>a marker whose LUN was deleted before it left the cache fails with NOT_FOUND (no snapshot is
 *     taken); a LUN id still named by a pending marker is not given to a new LUN,
 *     so a marker never snapshots a LUN other than the one it was requested for;</li>
 * <li>an inconsistent LUN, snapshot or disk found at open (a record whose disk is missing, a snapshot
 *     without its source LUN or outside its tree, a disk no record names) never stops the open: it is
 *     quarantined ({@link #quarantine()}, a WARNING log line), serves nothing, keeps its id and name
 *     taken, and leaves quarantine only through {@link #repairQuarantined} (or deleting it by name).</li>
 * </ul>
 */
public final class Controller implements io.evasan.nsc.api.Volumes, AutoCloseable {
    static final long PROMOTE_INTERVAL_MS = 200;

    private final ControllerConfig config;
    private final MeterRegistry registry;
    private final SharingTrees trees;
    private final LunTable table;
    private final TreeDestageTarget destage;
    private final io.evasan.nsc.cache.WriteCache cache;
    private final PresentationTable presentation = new PresentationTable();
    private final DiskTarget target;
    private final SnapshotBackupEngineImpl backup;
    private final ConcurrentHashMap<Integer, CachedLogicalUnit> lus = new ConcurrentHashMap<>();
    /** Logical units of snapshots that are (or were, in this run) presented, by unit id. */
    private final ConcurrentHashMap<Integer, CachedLogicalUnit> snapUnits = new ConcurrentHashMap<>();
    /** The snapclone promotion service (commits under {@code catalog}). */
    private final SnapclonePromotion promotion;
    /** The snapshot service (markers, snapshot creation, name reservation; commits under {@code catalog}). */
    private final SnapshotService snapshots;
    /** The LUN service (create, delete, resize, present, rollback; commits under {@code catalog}). */
    private final LunService luns;
    private final java.util.concurrent.ScheduledExecutorService promoter;
    private final AtomicLong backupIds;
    private volatile boolean closed;
    private static final System.Logger LOG = System.getLogger(Controller.class.getName());
    /** The commit lock of the catalogue (LUN table with the trees); see the class comment. */
    private final Object catalog = new Object();
    /** LUNs, snapshots and disks set aside at open, and their repair. */
    private final io.evasan.nsc.service.Quarantine quarantine;
    /** Where every committed change of this controller's command path becomes a record (issue 12 item 2). */
    private final io.evasan.nsc.cell.CommandLog log;

    private Controller(ControllerConfig config, SharingTrees trees) {
        this.config = config;
        this.log = config.commandLog() != null ? config.commandLog() : new io.evasan.nsc.cell.CommandLog();
        this.trees = trees;
        try {
            java.nio.file.Files.createDirectories(config.stateDirectory());
        } catch (java.io.IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, "cannot create state directory " + config.stateDirectory()
                    + ": " + e.getMessage(), e);
        }
        this.table = config.lunCatalog() != null
                ? StoredLunTable.open(new MldLunStore(config.lunCatalog(), config.name()))
                : FileLunStore.open(config.stateDirectory());
        long base = table.generation() << 32;
        this.backupIds = new AtomicLong(base | SnapshotService.BACKUP_ID_BASE);
        long staleSnapshot = table.backupSnapshotDisk();
        long staleLog = table.backupLogDisk();
        if (staleSnapshot >= 0 || staleLog >= 0) {   // a restart ends an active snapshot backup: its snapshot and log go
            for (long stale : new long[] {staleSnapshot, staleLog}) {
                if (stale >= 0) {
                    deleteDiskQuietly(stale);
                }
            }
            table.setBackupDisks(-1, -1);
        }
        this.destage = new TreeDestageTarget(trees);
        this.quarantine = new io.evasan.nsc.service.Quarantine(catalog, table, trees, log, this::deleteDiskQuietly);
        quarantine.quarantineInconsistentRecords();
        for (LunRecord r : table.luns()) {
            if (r.kind() == LunRecord.Kind.PRIMARY && !isQuarantined(r.id())) {
                destage.register(r.id(), r.disk(), r.sizeBytes());
            }
        }
        for (SnapshotRecord s : table.snapshots()) {   // before the cache log replay: it may hold their writes
            if (!isQuarantined(s.id())) {
                destage.register(s.id(), s.disk(), s.sizeBytes());
            }
        }
        MeterRegistry registry = config.meterRegistry();
        this.registry = registry;
        this.target = config.targetPortGroups() == null
                ? new DiskTarget(presentation, new ScsiStats(registry), config.targetWorkers(), config.targetQueue())
                : new DiskTarget(presentation, new ScsiStats(registry), config.targetWorkers(), config.targetQueue(),
                        config.targetPortGroups());
        this.backup = new SnapshotBackupEngineImpl(trees, table, lus::get, snapUnits::get, backupIds::incrementAndGet,
                config.rebuildInProgress(), config.initializationInProgress(), config.consistencyCheckInProgress(),
                target::capacityChanged, config.poolIdentity(), config.physicalBlockExponent());
        destage.setObserver(backup);
        backup.recordsTo(log::append);   // sessions and copies, whether management or a host DCMD started them
        LunService.Host services = new LunService.Host() {   // one view of the controller for both services
            @Override public void checkOpen() { Controller.this.checkOpen(); }
            @Override public LunRecord lun(String name) { return Controller.this.lun(name); }
            @Override public void checkNotQuarantined(int unitId, String what) { Controller.this.checkNotQuarantined(unitId, what); }
            @Override public boolean isQuarantined(int unitId) { return Controller.this.isQuarantined(unitId); }
            @Override public void checkName(String name) { Controller.checkName(name); }
            @Override public void checkNameFree(String name) { Controller.this.checkNameFree(name); }
            @Override public QuarantineEntry repairQuarantined(String id) { return Controller.this.repairQuarantined(id); }
            @Override public void deleteDiskQuietly(long disk) { Controller.this.deleteDiskQuietly(disk); }
            @Override public void record(io.evasan.nsc.api.CellRecord r) { log.append(r); }
            @Override public List<LunRecord> promoteDetachedSnapclones() { return Controller.this.promoteDetachedSnapclones(); }
            @Override public LogicalUnit unit(int lunId) { return Controller.this.unit(lunId); }
            @Override public CachedLogicalUnit newUnit(LunRecord r) { return Controller.this.newUnit(r); }
        };
        this.snapshots = new SnapshotService(services, catalog, config, target.stats(), trees, table, destage, presentation, backup, snapUnits, base);
        this.luns = new LunService(services, catalog, trees, table, destage, presentation, target, backup, lus, snapUnits);
        CacheConfig cc = config.cache();
        if (config.nonVolatileCache() && cc.nonVolatileLog() == null) {
            cc.nonVolatileLog(config.stateDirectory().resolve("cache.log"));
        }
        io.evasan.nsc.cache.WriteCache c;
        try {
            c = config.cacheFactory() != null ? config.cacheFactory().open(destage, snapshots::takeSnapshot)
                    : new WriteBackCache(cc, destage, snapshots::takeSnapshot, new CacheStats(registry, config.name()));
        } catch (RuntimeException e) {
            target.close();
            throw e;
        }
        this.cache = c;
        snapshots.attach(cache);
        luns.attach(cache);
        backup.attach(cache);
        try {
            for (LunRecord r : table.luns()) {
                if (r.kind() == LunRecord.Kind.LOG) {
                    backup.defineLog(r);
                } else if (!isQuarantined(r.id())) {
                    lus.put(r.id(), newUnit(r));
                }
            }
            for (Presentation p : table.presentations()) {
                if (!isQuarantined(p.lunId())) {   // a quarantined unit stays unpresented (its record keeps the presentation)
                    presentation.present(p.initiator(), p.hostLun(), unit(p.lunId()));
                }
            }
            target.registerVendorHandler(0xC0, new SnapshotMarkerHandler(new HostSnapshotCommand(cache,
                    lu -> lu instanceof CachedLogicalUnit cu && table.byId(cu.lunId()) != null ? cu.lunId() : -1,
                    base | SnapshotService.HOST_ID_BASE)));
            target.registerVendorHandler(0x20, new DcmdHandler(backup));
            this.promotion = new SnapclonePromotion(this, catalog, () -> closed, this::isQuarantined, log::append,
                    table, trees, destage, presentation, lus, snapUnits, this::newUnit, target.stats());
            promoteDetachedSnapclones();   // a crash after a clone left its tree and before the table said so
            quarantine.quarantineOrphanDisks();   // after the log replay: a replayed marker may still name a disk
        } catch (RuntimeException e) {
            target.close();
            cache.close();
            throw e;
        }
        this.promoter = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "evasan-snapclone-promoter-" + config.name());
            t.setDaemon(true);
            return t;
        });
        promoter.scheduleWithFixedDelay(() -> {
            try {
                promoteDetachedSnapclones();
            } catch (RuntimeException e) {
                System.getLogger(Controller.class.getName()).log(System.Logger.Level.WARNING,
                        "snapclone promotion failed (retried): " + e);
            }
        }, PROMOTE_INTERVAL_MS, PROMOTE_INTERVAL_MS, TimeUnit.MILLISECONDS);
    }

    /** The LU of a primary LUN, with its SCSI meters (registered now, removed when the LUN is deleted). */
    private CachedLogicalUnit newUnit(LunRecord r) {
        CachedLogicalUnit lu = new CachedLogicalUnit(cache, destage, r, config.poolIdentity(), cache.maxWriteBytes(),
                config.physicalBlockExponent());
        target.stats().register(lu);
        return lu;
    }

    /**
     * Opens the controller over {@code trees}: opens (or creates) the LUN table in the state directory,
     * replays the non-volatile cache log into the trees (taking the snapshots of markers found there),
     * restores presentations, registers the vendor commands (C0h marker, 20h DCMD).
     */
    /** The pool identity the LUNs' NAA designators derive from ({@link ControllerConfig#poolIdentity()}). */
    public String poolIdentity() {
        return config.poolIdentity();
    }

    public static Controller open(ControllerConfig config, SharingTrees trees) {
        return new Controller(config, trees);
    }

    private LogicalUnit unit(int lunId) {
        CachedLogicalUnit lu = lus.get(lunId);
        if (lu != null) {
            return lu;
        }
        SnapshotRecord snap = table.snapshotById(lunId);
        if (snap != null) {
            return snapshots.snapshotUnit(snap);
        }
        BackupLogicalUnit b = backup.logUnit();
        if (b != null && b.record().id() == lunId) {
            return b;
        }
        throw new StorageException(ErrorCode.NOT_FOUND, "no LUN with id " + lunId);
    }

    // ------------------------------------------------------------------ snapshot service

    /** See {@link SnapshotService#takenSnapshot}. */
    public java.util.Optional<SnapshotRecord> takenSnapshot(SnapshotMarker m) {
        return snapshots.takenSnapshot(m);
    }

    /** Non-zero tag identifying the snapshot of (marker request, LUN) in the sharing tree; see {@link SnapshotService#snapshotTag}. */
    static long snapshotTag(long requestId, int lunId) {
        return SnapshotService.snapshotTag(requestId, lunId);
    }

    // ------------------------------------------------------------------ API

    /** The SCSI target to hand to the iSCSI server (and the FC simulator). */
    public ScsiTarget scsiTarget() {
        return target;
    }

    public DiskTarget diskTarget() {
        return target;
    }

    /**
     * The controller's one write-back cache; a paired controller has one per NSC behind a router
     * ({@link #writeCache()}), and this throws.
     */
    public WriteBackCache cache() {
        if (cache instanceof WriteBackCache w) {
            return w;
        }
        throw new IllegalStateException("a paired controller has one cache per NSC: see ControllerPair");
    }

    /** The write cache the services call: the one cache, or a pair's router. */
    public io.evasan.nsc.cache.WriteCache writeCache() {
        return cache;
    }

    public SnapshotBackupEngineImpl backupEngine() {
        return backup;
    }

    public PresentationTable presentationTable() {
        return presentation;
    }

    public SharingTrees trees() {
        return trees;
    }

    /** See {@link LunService#createLun(String, long)}. */
    public synchronized LunRecord createLun(String name, long sizeBytes) {
        return luns.createLun(name, sizeBytes);
    }

    /** See {@link LunService#createLun(String, long, RaidLevel)}. */
    public synchronized LunRecord createLun(String name, long sizeBytes, RaidLevel raid) {
        return luns.createLun(name, sizeBytes, raid);
    }

    /** See {@link LunService#createLun(String, long, RaidLevel, int)}. */
    public synchronized LunRecord createLun(String name, long sizeBytes, RaidLevel raid, int diskGroup) {
        return luns.createLun(name, sizeBytes, raid, diskGroup);
    }

    /** See {@link LunService#defineLogLun}. */
    public synchronized LunRecord defineLogLun(String name, long capacityBytes) {
        return luns.defineLogLun(name, capacityBytes);
    }

    // ------------------------------------------------------------------ seed 003 backup without a SCSI nexus

    /**
     * Seed 003 initiate (tables 1/2) for management: the same work as the DCMD sent to LUN
     * {@code lunName} (a cache-marker snapshot holding exactly the writes acknowledged before the call).
     *
     * @throws StorageException NOT_FOUND; {@link BackupRefusedException} with the seed's sense code
     *                          (no log LUN 09/81/19, already active 09/81/10, rebuilding 09/81/06,
     *                          initializing 09/81/0C, consistency check 09/81/0D, the log LUN 09/81/20)
     */
    public void initiateBackup(String lunName) {
        checkOpen();
        LunRecord r = lun(lunName);
        int sense = backup.initiateSnapshot(unit(r.id()), null);
        if (sense != SenseCodes.NO_SENSE) {
            throw new BackupRefusedException(backupReason(sense) + " (LUN " + lunName + ")", sense, 0);
        }
    }

    /**
     * Seed 003 terminate (tables 3/4) for management: ends the active backup (stops a copy from it,
     * deletes its snapshot).
     *
     * @throws BackupRefusedException 09/81/0C when no backup is active
     */
    public void terminateBackup() {
        checkOpen();
        BackupLogicalUnit log = backup.logUnit();
        int sense = log == null ? DcmdCodes.SNAPSHOT_NOT_IN_PROGRESS : backup.terminateSnapshot(log, null);
        if (sense != SenseCodes.NO_SENSE) {
            throw new BackupRefusedException("no snapshot backup is active", sense, 0);
        }
    }

    /**
     * Seed 003 LOP START (tables 5/6) for management: copies the active backup snapshot to LUN
     * {@code destination} in the background (incremental: only the segments changed since the previous
     * backup, when the destination still holds that copy untouched). Progress: {@code backupEngine().copyProgress()}.
     *
     * @throws StorageException NOT_FOUND; {@link BackupRefusedException} with the LOP status word
     *                          (no active backup 0002h, invalid destination 0105h, a copy running 0106h)
     */
    @Override
    public void startBackupCopy(String destination, boolean incremental) {
        startBackupCopy(destination, incremental, false);
    }

    /**
     * As {@link #startBackupCopy(String, boolean)}; unless {@code force}, refused (INVALID_STATE, nothing started)
     * when the destination is presented, has snapshots or holds data other than an untouched earlier copy of the
     * same LUN's backup: the copy overwrites all of it.
     */
    @Override
    public void startBackupCopy(String destination, boolean incremental, boolean force) {
        checkOpen();
        LunRecord d = lun(destination);
        int source = backup.activePrimary();
        if (source < 0) {
            throw new BackupRefusedException("no snapshot backup is active (LOP status 0002h: drive not ready)",
                    0, DcmdCodes.LOP_START_DRIVE_NOT_READY);
        }
        LunRecord primary = table.byId(source);
        if (d.id() != source && (primary == null || d.sizeBytes() >= primary.sizeBytes())) {   // else the engine refuses it (0105h)
            luns.checkBackupDestination(destination, source, force);
        }
        int status;
        try {   // the administrator is not subject to LUN masking
            status = backup.lopStart(incremental ? DcmdDescriptor.LOP_INCREMENTAL_COPY : DcmdDescriptor.LOP_COPY_SYSTEM_DRIVE,
                    source, d.id(), LunVisibility.EVERYTHING);
        } catch (LuException e) {   // the LUN was deleted meanwhile: nothing started
            throw new BackupRefusedException(e.getMessage(), e.senseCode(), 0);
        }
        if (status != DcmdCodes.LOP_START_COPY_STARTED) {
            String why = switch (status) {
                case DcmdCodes.LOP_START_DRIVE_NOT_READY -> "no snapshot backup is active";
                case DcmdCodes.LOP_START_COPY_ALREADY_IN_PROGRESS -> "a copy is already in progress";
                default -> "destination " + destination + " cannot take the copy (the log LUN, the backup's primary, or smaller than it)";
            };
            throw new BackupRefusedException(why + String.format(" (LOP status %04Xh)", status), 0, status);
        }
    }

    /** The seed 003 reason of a DCMD sense code, as text. */
    static String backupReason(int sense) {
        if (sense == DcmdCodes.NO_LOG_LUN_DEFINED) {
            return "no log LUN is defined";
        } else if (sense == DcmdCodes.SNAPSHOT_ALREADY_IN_PROGRESS) {
            return "a snapshot backup is already active or initiating";
        } else if (sense == DcmdCodes.REBUILD_IN_PROGRESS) {
            return "the pool is rebuilding";
        } else if (sense == DcmdCodes.INITIALIZATION_IN_PROGRESS) {
            return "the pool is initializing";
        } else if (sense == DcmdCodes.CHECK_CONSISTENCY_IN_PROGRESS) {
            return "a consistency check is running";
        } else if (sense == DcmdCodes.COMMAND_TO_BACKUP_LUN) {
            return "the command was addressed to the backup (log) LUN";
        } else if (sense == SenseCodes.LOGICAL_UNIT_NOT_SUPPORTED) {
            return "not a primary LUN";
        }
        return "refused with sense " + SenseCodes.toString(sense);
    }

    /** See {@link LunService#deleteLun}: refused while the LUN is presented or has snapshots. */
    @Override
    public synchronized void deleteLun(String name) {
        luns.deleteLun(name, false);
    }

    /** See {@link LunService#deleteLun}. */
    @Override
    public synchronized void deleteLun(String name, boolean force) {
        luns.deleteLun(name, force);
    }

    private void deleteDiskQuietly(long disk) {
        try {
            trees.delete(disk, DeleteOption.KEEP_SNAPSHOTS);
        } catch (StorageException e) {
            if (e.code() != ErrorCode.NOT_FOUND) {
                throw e;
            }
        }
    }

    /** See {@link LunService#resizeLun}: a shrink is refused while the LUN is presented or has snapshots. */
    @Override
    public synchronized LunRecord resizeLun(String name, long sizeBytes) {
        return luns.resizeLun(name, sizeBytes, false);
    }

    /** See {@link LunService#resizeLun}. */
    @Override
    public synchronized LunRecord resizeLun(String name, long sizeBytes, boolean force) {
        return luns.resizeLun(name, sizeBytes, force);
    }

    /** See {@link LunService#presentLun}. */
    public synchronized void presentLun(String initiator, int hostLun, String name) {
        luns.presentLun(initiator, hostLun, name);
    }

    /** See {@link LunService#unpresentLun}. @return whether the presentation existed */
    public synchronized boolean unpresentLun(String initiator, int hostLun) {
        return luns.unpresentLun(initiator, hostLun);
    }

    /** See {@link SnapshotService#snapshot(String, String, boolean)}. */
    public synchronized SnapshotMarker snapshot(String lunName, String snapshotName, boolean snapclone) {
        return snapshots.snapshot(lunName, snapshotName, snapclone);
    }

    /** See {@link SnapshotService#snapshot(String, String, boolean, AllocationPolicy)}. */
    public synchronized SnapshotMarker snapshot(String lunName, String snapshotName, boolean snapclone,
                                                AllocationPolicy policy) {
        return snapshots.snapshot(lunName, snapshotName, snapclone, policy);
    }

    /** See {@link SnapshotService#snapshot(String, String, boolean, AllocationPolicy, int)}. */
    public synchronized SnapshotMarker snapshot(String lunName, String snapshotName, boolean snapclone,
                                                AllocationPolicy policy, int diskGroup) {
        return snapshots.snapshot(lunName, snapshotName, snapclone, policy, diskGroup);
    }

    /** See {@link SnapshotService#snapshot(String, String, boolean, AllocationPolicy, int, SnapcloneMode, int)}. */
    public synchronized SnapshotMarker snapshot(String lunName, String snapshotName, boolean snapclone,
                                                AllocationPolicy policy, int diskGroup, SnapcloneMode mode, int quiesceThreshold) {
        return snapshots.snapshot(lunName, snapshotName, snapclone, policy, diskGroup, mode, quiesceThreshold);
    }

    /** The allocation policy of snapshots whose request names none ({@link ControllerConfig#snapshotPolicy()}). */
    public AllocationPolicy defaultSnapshotPolicy() {
        return snapshots.defaultSnapshotPolicy();
    }

    /** See {@link SnapshotService#snapshot(String)}. */
    public synchronized SnapshotMarker snapshot(String lunName) {
        return snapshots.snapshot(lunName);
    }

    /** See {@link SnapshotService#deleteSnapshot}. */
    public synchronized void deleteSnapshot(String name) {
        snapshots.deleteSnapshot(name);
    }

    /** See {@link SnapshotService#presentSnapshot}. */
    public synchronized void presentSnapshot(String initiator, int hostLun, String snapshotName) {
        snapshots.presentSnapshot(initiator, hostLun, snapshotName);
    }

    /** See {@link SnapshotService#unpresentSnapshot}. */
    public synchronized boolean unpresentSnapshot(String initiator, int hostLun, String snapshotName) {
        return snapshots.unpresentSnapshot(initiator, hostLun, snapshotName);
    }

    /** The presentations of snapshot {@code snapshotName} (empty for an unknown name). */
    public List<Presentation> snapshotPresentations(String snapshotName) {
        return snapshots.snapshotPresentations(snapshotName);
    }

    /** The SCSI logical unit hosts see for snapshot {@code snapshotName}. @throws StorageException NOT_FOUND */
    public LogicalUnit snapshotLogicalUnit(String snapshotName) {
        return snapshots.snapshotLogicalUnit(snapshotName);
    }

    /** Reads snapshot bytes through the cache (management / tests): what a host of the snapshot reads. */
    public void readSnapshot(String snapshotName, long offset, byte[] dst) {
        snapshots.readSnapshot(snapshotName, offset, dst);
    }

    /**
     * Promotes every snapclone whose BGCOPY finished (its disk left the tree) to a primary LUN; see
     * {@link SnapclonePromotion#promoteDetachedSnapclones()}.
     *
     * @return the LUNs promoted by this call
     */
    public List<LunRecord> promoteDetachedSnapclones() {
        return promotion.promoteDetachedSnapclones();
    }

    /** Snapclones promoted to LUNs in this run, oldest first; see {@link SnapclonePromotion#promotedSnapclones()}. */
    public List<PromotedSnapclone> promotedSnapclones() {
        return promotion.promotedSnapclones();
    }

    /** See {@link LunService#rollbackLun}. */
    public synchronized void rollbackLun(String lunName, String snapshotName) {
        luns.rollbackLun(lunName, snapshotName);
    }

    public List<LunRecord> listLuns() {
        return table.luns();
    }

    public List<Presentation> listPresentations() {
        return table.presentations();
    }

    public List<SnapshotRecord> listSnapshots() {
        return table.snapshots();
    }

    /** @throws StorageException NOT_FOUND */
    public LunRecord lun(String name) {
        LunRecord r = table.byName(name);
        if (r == null) {
            throw new StorageException(ErrorCode.NOT_FOUND, "no LUN named '" + name + "'");
        }
        return r;
    }

    /** The SCSI logical unit of a LUN (the backup LUN for the log LUN). @throws StorageException NOT_FOUND */
    public LogicalUnit logicalUnit(String name) {
        return unit(lun(name).id());
    }

    /** Reads LUN bytes through the cache (management / tests). */
    public void read(String lunName, long offset, byte[] dst) {
        LunRecord r = lun(lunName);
        cache.read(r.id(), offset, java.nio.ByteBuffer.wrap(dst));
    }

    // ------------------------------------------------------------------ command path helpers

    /**
     * Refuses a name a LUN, a snapshot or a queued snapshot marker already has (LUN and snapshot names
     * share one space: a snapclone becomes a LUN of its own name). Call under {@code catalog} to act on it.
     */
    private void checkNameFree(String name) {
        synchronized (catalog) {
            if (table.byName(name) != null) {
                throw new StorageException(ErrorCode.ALREADY_EXISTS, "a LUN named '" + name + "' already exists");
            }
            if (table.snapshotByName(name) != null) {
                throw new StorageException(ErrorCode.ALREADY_EXISTS, "a snapshot named '" + name + "' already exists");
            }
            if (snapshots.reserved(name)) {
                throw new StorageException(ErrorCode.ALREADY_EXISTS, "a snapshot named '" + name
                        + "' is already requested (its marker is queued in the cache)");
            }
        }
    }

    /**
     * The history of this controller's committed changes: every catalogue change (under the commit lock, in
     * commit order) and, through the cell API, every drive, record and job command. Subscribers must be quick
     * and must not call back into this controller.
     */
    public io.evasan.nsc.cell.CommandLog commandLog() {
        return log;
    }

    // ------------------------------------------------------------------ quarantine

    /** Whether LUN or snapshot unit {@code unitId} is quarantined. */
    public boolean isQuarantined(int unitId) {
        return quarantine.isQuarantined(unitId);
    }

    private void checkNotQuarantined(int unitId, String what) {
        quarantine.checkNotQuarantined(unitId, what);
    }

    /** The objects quarantined at open and not repaired yet, in the order found. */
    public List<QuarantineEntry> quarantine() {
        return quarantine.entries();
    }

    /** See {@link Quarantine#repair}: deletes quarantined object {@code id}; durable when it returns. */
    public synchronized QuarantineEntry repairQuarantined(String id) {
        checkOpen();
        return quarantine.repair(id);
    }

    private static void checkName(String name) {
        if (name == null || name.isEmpty() || name.length() > 255) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "name must be 1..255 characters");
        }
    }

    /** False once {@link #close()} began. */
    public boolean isOpen() {
        return !closed;
    }

    private void checkOpen() {
        if (closed) {
            throw new StorageException(ErrorCode.INVALID_STATE, "controller is closed");
        }
    }

    /** Stops the SCSI target, ends an active snapshot backup, drains the cache into the trees. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        promoter.shutdownNow();
        target.close();
        backup.close();
        cache.close();
        target.stats().removeAll();
    }
}
