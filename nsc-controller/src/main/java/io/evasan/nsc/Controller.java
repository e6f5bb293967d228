package io.evasan.nsc;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.backup.BackupRefusedException;
import io.evasan.nsc.backup.impl.BackupLogicalUnit;
import io.evasan.nsc.backup.impl.SnapshotBackupEngineImpl;
import io.evasan.nsc.cache.CacheConfig;
import io.evasan.nsc.cache.CacheStats;
import io.evasan.nsc.cache.impl.WriteBackCache;
import io.evasan.nsc.lun.LunRecord;
import io.evasan.nsc.lun.LunStats;
import io.evasan.nsc.lun.LunTable;
import io.evasan.nsc.lun.Presentation;
import io.evasan.nsc.lun.PromotedSnapclone;
import io.evasan.nsc.lun.SnapshotRecord;
import io.evasan.nsc.lun.impl.CachedLogicalUnit;
import io.evasan.nsc.lun.impl.FileLunStore;
import io.evasan.nsc.lun.impl.MldLunStore;
import io.evasan.nsc.lun.impl.StoredLunTable;
import io.evasan.nsc.lun.impl.TreeDestageTarget;
import io.evasan.nsc.marker.HostSnapshotCommand;
import io.evasan.nsc.marker.SnapshotMarker;
import io.evasan.nsc.marker.SnapshotRequest;
import io.evasan.nsc.marker.impl.SnapshotScheduler;
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
 */
public final class Controller implements AutoCloseable {
    private static final long HOST_ID_BASE = 0x4000_0000L;
    private static final long BACKUP_ID_BASE = 0x8000_0000L;
    private static final long SCHEDULE_ID_BASE = 0x2000_0000L;
    static final long PROMOTE_INTERVAL_MS = 200;
    private static final int REMEMBERED_PROMOTIONS = 64;

    private final ControllerConfig config;
    private final MeterRegistry registry;
    private final SharingTrees trees;
    private final LunTable table;
    private final TreeDestageTarget destage;
    private final WriteBackCache cache;
    private final PresentationTable presentation = new PresentationTable();
    private final DiskTarget target;
    private final SnapshotBackupEngineImpl backup;
    private final ConcurrentHashMap<Integer, CachedLogicalUnit> lus = new ConcurrentHashMap<>();
    /** Logical units of snapshots that are (or were, in this run) presented, by unit id. */
    private final ConcurrentHashMap<Integer, CachedLogicalUnit> snapUnits = new ConcurrentHashMap<>();
    private final java.util.Deque<PromotedSnapclone> promotions = new java.util.ArrayDeque<>();
    private final java.util.concurrent.ScheduledExecutorService promoter;
    private final AtomicLong apiIds;
    private final AtomicLong backupIds;
    private final AtomicLong schedules = new AtomicLong();
    private final List<SnapshotScheduler> schedulers = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final long idBase;
    private volatile boolean closed;

    private Controller(ControllerConfig config, SharingTrees trees) {
        this.config = config;
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
        this.idBase = base;
        this.apiIds = new AtomicLong(base);
        this.backupIds = new AtomicLong(base | BACKUP_ID_BASE);
        long staleBackup = table.backupSnapshotDisk();
        if (staleBackup >= 0) {   // a restart ends an active snapshot backup
            try {
                trees.delete(staleBackup, DeleteOption.KEEP_SNAPSHOTS);
            } catch (StorageException e) {
                if (e.code() != ErrorCode.NOT_FOUND) {
                    throw e;
                }
            }
            table.setBackupSnapshotDisk(-1);
        }
        this.destage = new TreeDestageTarget(trees);
        for (LunRecord r : table.luns()) {
            if (r.kind() == LunRecord.Kind.PRIMARY) {
                destage.register(r.id(), r.disk(), r.sizeBytes());
            }
        }
        for (SnapshotRecord s : table.snapshots()) {   // before the cache log replay: it may hold their writes
            destage.register(s.id(), s.disk(), s.sizeBytes());
        }
        MeterRegistry registry = config.meterRegistry();
        this.registry = registry;
        this.target = new DiskTarget(presentation, new ScsiStats(registry), config.targetWorkers(), config.targetQueue());
        this.backup = new SnapshotBackupEngineImpl(trees, table, lus::get, snapUnits::get, backupIds::incrementAndGet,
                config.rebuildInProgress(), config.initializationInProgress(), config.consistencyCheckInProgress(),
                target::capacityChanged, config.poolIdentity(), config.physicalBlockExponent());
        destage.setObserver(backup);
        CacheConfig cc = config.cache();
        if (config.nonVolatileCache() && cc.nonVolatileLog() == null) {
            cc.nonVolatileLog(config.stateDirectory().resolve("cache.log"));
        }
        WriteBackCache c;
        try {
            c = new WriteBackCache(cc, destage, this::takeSnapshot, new CacheStats(registry, config.name()));
        } catch (RuntimeException e) {
            target.close();
            throw e;
        }
        this.cache = c;
        backup.attach(cache);
        try {
            for (LunRecord r : table.luns()) {
                if (r.kind() == LunRecord.Kind.PRIMARY) {
                    lus.put(r.id(), newUnit(r));
                } else {
                    backup.defineLog(r);
                }
            }
            for (Presentation p : table.presentations()) {
                presentation.present(p.initiator(), p.hostLun(), unit(p.lunId()));
            }
            target.registerVendorHandler(0xC0, new SnapshotMarkerHandler(new HostSnapshotCommand(cache,
                    lu -> lu instanceof CachedLogicalUnit cu && table.byId(cu.lunId()) != null ? cu.lunId() : -1,
                    base | HOST_ID_BASE)));
            target.registerVendorHandler(0x20, new DcmdHandler(backup));
            promoteDetachedSnapclones();   // a crash after a clone left its tree and before the table said so
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

    /**
     * The LU of a snapshot (created when first presented): a {@link CachedLogicalUnit} over the
     * snapshot's unit id, so reads and writes go through the write-back cache like a LUN's.
     */
    private CachedLogicalUnit snapshotUnit(SnapshotRecord s) {
        return snapUnits.computeIfAbsent(s.id(), id -> {
            String statsName = table.byName(s.name()) == null ? s.name() : s.name() + "#snapshot";
            LunRecord view = new LunRecord(s.id(), s.name(), LunRecord.Kind.PRIMARY, s.uid(), s.disk(), s.sizeBytes());
            return new CachedLogicalUnit(cache, destage, view, config.poolIdentity(), cache.maxWriteBytes(),
                    new LunStats(registry, statsName), config.physicalBlockExponent());
        });
    }

    /** The LU of a primary LUN, with its meters (registered now, removed when the LUN is deleted). */
    private CachedLogicalUnit newUnit(LunRecord r) {
        return new CachedLogicalUnit(cache, destage, r, config.poolIdentity(), cache.maxWriteBytes(),
                new LunStats(registry, r.name()), config.physicalBlockExponent());
    }

    /**
     * Opens the controller over {@code trees}: opens (or creates) the LUN table in the state directory,
     * replays the non-volatile cache log into the trees (taking the snapshots of markers found there),
     * restores presentations, registers the vendor commands (C0h marker, 20h DCMD).
     */
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
            return snapshotUnit(snap);
        }
        BackupLogicalUnit b = backup.logUnit();
        if (b != null && b.record().id() == lunId) {
            return b;
        }
        throw new StorageException(ErrorCode.NOT_FOUND, "no LUN with id " + lunId);
    }

    // ------------------------------------------------------------------ snapshot action (cache markers)

    private void takeSnapshot(SnapshotRequest request) {
        long id = request.requestId();
        if ((id & BACKUP_ID_BASE) != 0 && (id & HOST_ID_BASE) == 0) {
            backup.takeBackupSnapshot(request);   // a replayed one from before a restart does nothing
            return;
        }
        for (int i = 0; i < request.lunCount(); i++) {
            int lunId = request.lunId(i);
            if (table.snapshot(id, lunId) != null) {
                continue;   // replayed marker: already taken
            }
            LunRecord r = table.byId(lunId);
            if (r == null || r.kind() != LunRecord.Kind.PRIMARY) {
                continue;   // the LUN was deleted after the request
            }
            boolean clone = request.kind() == SnapshotRequest.Kind.SNAPCLONE;
            long tag = snapshotTag(id, lunId);   // the tree returns the existing disk if this tag was taken before a crash
            AllocationPolicy policy = request.policy() != null ? request.policy() : config.snapshotPolicy();
            long disk = !clone ? trees.snapshot(r.disk(), policy, tag)
                    : request.diskGroup() >= 0 ? trees.snapclone(r.disk(), policy, SnapcloneMode.EAGER, tag, request.diskGroup())
                    : trees.snapclone(r.disk(), policy, SnapcloneMode.EAGER, tag);
            String name = request.lunCount() == 1 ? request.name() : request.name() + "@" + r.name();
            if (table.snapshotByName(name) != null || table.byName(name) != null) {
                name = name + "#" + Long.toHexString(id);
            }
            SnapshotRecord stored = table.addSnapshot(new SnapshotRecord(name, lunId, disk, id, clone,
                    System.currentTimeMillis(), -1, 0, r.sizeBytes()));
            destage.register(stored.id(), stored.disk(), stored.sizeBytes());
        }
    }

    /** Non-zero tag identifying the snapshot of (marker request, LUN) in the sharing tree (64-bit mix). */
    static long snapshotTag(long requestId, int lunId) {
        long z = requestId * 0x9E3779B97F4A7C15L + lunId;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        return z == 0 ? 1 : z;
    }

    // ------------------------------------------------------------------ API

    /** The SCSI target to hand to the iSCSI server (and the FC simulator). */
    public ScsiTarget scsiTarget() {
        return target;
    }

    public DiskTarget diskTarget() {
        return target;
    }

    public WriteBackCache cache() {
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

    /**
     * Creates a thin LUN of {@code sizeBytes} (a multiple of 512) over a new sharing tree, at the
     * sharing trees' default RAID level.
     *
     * @throws StorageException INVALID_ARGUMENT (size, name), ALREADY_EXISTS (name)
     */
    public synchronized LunRecord createLun(String name, long sizeBytes) {
        return createLun(name, sizeBytes, null);
    }

    /**
     * Creates a thin LUN whose allocations use RAID level {@code raid} (null: the sharing trees'
     * default level, the one the launcher gave its segment store).
     *
     * @throws StorageException INVALID_ARGUMENT (size, name), ALREADY_EXISTS (name)
     */
    public synchronized LunRecord createLun(String name, long sizeBytes, RaidLevel raid) {
        return createLun(name, sizeBytes, raid, -1);
    }

    /**
     * Creates a thin LUN in disk group {@code diskGroup} (negative: the segment store's default, the
     * first group); its snapshots and snapclones allocate in the same group.
     *
     * @throws StorageException INVALID_ARGUMENT (size, name), ALREADY_EXISTS (name), NOT_FOUND (disk group)
     */
    public synchronized LunRecord createLun(String name, long sizeBytes, RaidLevel raid, int diskGroup) {
        checkOpen();
        checkName(name);
        if (table.snapshotByName(name) != null) {   // a snapclone becomes a LUN of its own name
            throw new StorageException(ErrorCode.ALREADY_EXISTS, "a snapshot named '" + name + "' already exists");
        }
        if (sizeBytes <= 0 || sizeBytes % 512 != 0) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "LUN size " + sizeBytes
                    + " must be a positive multiple of 512 bytes");
        }
        long segs = (sizeBytes + trees.segmentBytes() - 1) / trees.segmentBytes();
        if (segs > Integer.MAX_VALUE) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "LUN size " + sizeBytes + " too large");
        }
        long disk = diskGroup >= 0 ? trees.createLun((int) segs, raid, diskGroup)
                : raid == null ? trees.createLun((int) segs) : trees.createLun((int) segs, raid);
        LunRecord r;
        try {
            r = table.create(name, LunRecord.Kind.PRIMARY, disk, sizeBytes);
        } catch (RuntimeException e) {
            trees.delete(disk, DeleteOption.DELETE_SNAPSHOTS);
            throw e;
        }
        destage.register(r.id(), disk, sizeBytes);
        lus.put(r.id(), newUnit(r));
        return r;
    }

    /**
     * Defines the seed 003 log LUN: {@code capacityBytes} bounds what a backup snapshot may preserve;
     * present it to hosts (presentLun) to give them the backup LUN. One per controller.
     *
     * @throws StorageException ALREADY_EXISTS (a log LUN exists, or the name is taken), INVALID_ARGUMENT
     */
    public synchronized LunRecord defineLogLun(String name, long capacityBytes) {
        checkOpen();
        checkName(name);
        if (capacityBytes < trees.segmentBytes() || capacityBytes % 512 != 0) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "log capacity " + capacityBytes
                    + " must be a multiple of 512 and at least one segment (" + trees.segmentBytes() + " bytes)");
        }
        if (backup.logUnit() != null) {
            throw new StorageException(ErrorCode.ALREADY_EXISTS, "a log LUN is already defined: " + backup.logUnit().name());
        }
        LunRecord r = table.create(name, LunRecord.Kind.LOG, -1, capacityBytes);
        backup.defineLog(r);
        return r;
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
    public void startBackupCopy(String destination, boolean incremental) {
        checkOpen();
        LunRecord d = lun(destination);
        int source = backup.activePrimary();
        if (source < 0) {
            throw new BackupRefusedException("no snapshot backup is active (LOP status 0002h: drive not ready)",
                    0, DcmdCodes.LOP_START_DRIVE_NOT_READY);
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

    /**
     * Deletes a LUN (and its snapshots): unpresents it, refuses new I/O, destages its cached writes,
     * removes it from the table, then frees its tree.
     *
     * @throws StorageException NOT_FOUND; INVALID_STATE while it takes part in a snapshot backup or copy
     */
    public synchronized void deleteLun(String name) {
        checkOpen();
        promoteDetachedSnapclones();   // a finished snapclone is an independent LUN: it outlives its source
        LunRecord r = lun(name);
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
            table.remove(r.id());
            lus.remove(r.id());
            lu.stats().close();
            destage.unregister(r.id());
            backup.lunDeleted(r.id());
            trees.delete(r.disk(), DeleteOption.DELETE_SNAPSHOTS);
            for (SnapshotRecord s : snaps) {   // detached snapclones are independent disks
                destage.unregister(s.id());
                CachedLogicalUnit su = snapUnits.remove(s.id());
                if (su != null) {
                    su.stats().close();
                }
                deleteDiskQuietly(s.disk());
            }
        } else {
            table.remove(r.id());
        }
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
     * @return the new record
     * @throws StorageException NOT_FOUND; INVALID_ARGUMENT (size, or the log LUN); INVALID_STATE while
     *                          the LUN takes part in a snapshot backup or copy, or when the tree refuses
     *                          to grow a disk with snapshots; SPACE_ALLOCATION_FAILED from the tree
     */
    public synchronized LunRecord resizeLun(String name, long sizeBytes) {
        checkOpen();
        LunRecord r = lun(name);
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
        long old = r.sizeBytes();
        LunRecord next = new LunRecord(r.id(), r.name(), r.kind(), r.uid(), r.disk(), sizeBytes);
        CachedLogicalUnit lu = lus.get(r.id());
        LunRecord[] stored = new LunRecord[1];
        lu.resize(next, () -> {
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
            backup.lunDeleted(r.id());   // change tracking and copy baselines were sized for the old LUN
        });
        target.capacityChanged(lu);
        return stored[0];
    }

    /**
     * Presents LUN {@code name} to {@code initiator} ("*" = everyone) as host LUN {@code hostLun}.
     *
     * @throws StorageException NOT_FOUND, ALREADY_EXISTS (host LUN taken), INVALID_ARGUMENT (host LUN range)
     */
    public synchronized void presentLun(String initiator, int hostLun, String name) {
        checkOpen();
        if (initiator == null || initiator.isEmpty() || hostLun < 0 || hostLun > PresentationTable.MAX_LUN) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "initiator must be non-empty and host LUN 0.."
                    + PresentationTable.MAX_LUN);
        }
        LunRecord r = lun(name);
        table.present(initiator, hostLun, r.id());
        presentation.present(initiator, hostLun, unit(r.id()));
    }

    /** @return whether the presentation existed */
    public synchronized boolean unpresentLun(String initiator, int hostLun) {
        checkOpen();
        boolean had = table.unpresent(initiator, hostLun);
        presentation.unpresent(initiator, hostLun);
        return had;
    }

    /**
     * Requests a snapshot (or snapclone) of LUN {@code lunName} through a cache marker; the snapshot
     * holds exactly the writes acknowledged before this call. Wait on {@code marker.taken()}.
     *
     * @throws StorageException NOT_FOUND, ALREADY_EXISTS (snapshot name), INVALID_ARGUMENT
     */
    public synchronized SnapshotMarker snapshot(String lunName, String snapshotName, boolean snapclone) {
        return snapshot(lunName, snapshotName, snapclone, null);
    }

    /**
     * {@link #snapshot(String, String, boolean)} with an allocation policy for the new disk
     * ({@code null} = {@link #defaultSnapshotPolicy()}). The policy travels in the marker (also in
     * the non-volatile cache log), so a marker replayed after a restart takes it with the same policy.
     * RESERVE_FULL fails the marker's future with SPACE_ALLOCATION_FAILED when the pool cannot
     * reserve the LUN's capacity.
     */
    public synchronized SnapshotMarker snapshot(String lunName, String snapshotName, boolean snapclone,
                                                AllocationPolicy policy) {
        return snapshot(lunName, snapshotName, snapclone, policy, -1);
    }

    /**
     * {@link #snapshot(String, String, boolean, AllocationPolicy)} with the disk group of a snapclone's
     * new disk ({@code diskGroup < 0}: the LUN's group). The group travels in the marker like the
     * policy. In another group every copy the clone gets comes from that group and, once BGCOPY is
     * done, {@link #promoteDetachedSnapclones()} makes it a LUN of that group: snapclone with a group,
     * then delete the source, moves a LUN between disk groups. The marker's future fails with
     * NOT_FOUND (no such group), INVALID_STATE (the LUN has snapshots or a copying snapclone) or
     * SPACE_ALLOCATION_FAILED (RESERVE_FULL short in the group); nothing is created then.
     *
     * @throws StorageException INVALID_ARGUMENT (a group for a plain snapshot: snapshots stay in their
     *                          LUN's group), and as the four-argument form
     */
    public synchronized SnapshotMarker snapshot(String lunName, String snapshotName, boolean snapclone,
                                                AllocationPolicy policy, int diskGroup) {
        checkOpen();
        if (diskGroup >= 0 && !snapclone) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "a plain snapshot stays in its LUN's disk group;"
                    + " only a snapclone takes a disk group");
        }
        if (diskGroup > SnapshotRequest.MAX_DISK_GROUP) {
            throw new StorageException(ErrorCode.NOT_FOUND, "disk group " + diskGroup + " does not exist");
        }
        LunRecord r = lun(lunName);
        if (r.kind() != LunRecord.Kind.PRIMARY) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "LUN " + lunName + " is the log LUN");
        }
        checkName(snapshotName);
        if (table.snapshotByName(snapshotName) != null) {
            throw new StorageException(ErrorCode.ALREADY_EXISTS, "a snapshot named '" + snapshotName + "' already exists");
        }
        if (table.byName(snapshotName) != null) {   // a snapclone becomes a LUN of its own name
            throw new StorageException(ErrorCode.ALREADY_EXISTS, "a LUN named '" + snapshotName + "' already exists");
        }
        return cache.insertMarker(new SnapshotRequest(apiIds.incrementAndGet(), snapshotName,
                snapclone ? SnapshotRequest.Kind.SNAPCLONE : SnapshotRequest.Kind.SNAPSHOT,
                SnapshotRequest.Source.API, policy, r.id()).inDiskGroup(diskGroup));
    }

    /** The allocation policy of snapshots whose request names none ({@link ControllerConfig#snapshotPolicy()}). */
    public AllocationPolicy defaultSnapshotPolicy() {
        return config.snapshotPolicy();
    }

    /** {@link #snapshot(String, String, boolean)} with a generated name {@code <lun>-snap-<requestId hex>}. */
    public synchronized SnapshotMarker snapshot(String lunName) {
        checkOpen();
        LunRecord r = lun(lunName);
        if (r.kind() != LunRecord.Kind.PRIMARY) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "LUN " + lunName + " is the log LUN");
        }
        long id = apiIds.incrementAndGet();
        return cache.insertMarker(new SnapshotRequest(id, lunName + "-snap-" + Long.toHexString(id),
                SnapshotRequest.Kind.SNAPSHOT, SnapshotRequest.Source.API, r.id()));
    }

    /**
     * Takes a snapshot of LUN {@code lunName} through a marker every {@code interval} (first one
     * interval from now), named {@code namePrefix-n} (suffixed with the request id if that name is
     * taken). Close the returned scheduler to stop; {@link #close()} stops all. Schedules are not
     * persisted (the management layer re-creates them at start).
     *
     * @throws StorageException NOT_FOUND, INVALID_ARGUMENT
     */
    public synchronized SnapshotScheduler scheduleSnapshots(String lunName, long interval, TimeUnit unit, String namePrefix) {
        checkOpen();
        LunRecord r = lun(lunName);
        if (r.kind() != LunRecord.Kind.PRIMARY || interval <= 0) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "schedule needs a primary LUN and an interval > 0");
        }
        checkName(namePrefix);
        long n = schedules.incrementAndGet();
        if (n >= 512) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "too many snapshot schedules in this run");
        }
        SnapshotScheduler sc = new SnapshotScheduler(cache, interval, unit, namePrefix, SnapshotRequest.Kind.SNAPSHOT,
                idBase | SCHEDULE_ID_BASE | (n << 20), m -> { }, e -> { }, r.id());
        schedulers.add(sc);
        return sc;
    }

    /**
     * Deletes a snapshot taken through a marker. A presented snapshot is refused (unpresent it first):
     * hosts reading a backup must not lose their disk to a delete.
     *
     * @throws StorageException NOT_FOUND; INVALID_STATE while it is presented (the message names the
     *                          initiator and host LUN)
     */
    public synchronized void deleteSnapshot(String name) {
        checkOpen();
        SnapshotRecord s = table.snapshotByName(name);
        if (s == null) {
            throw new StorageException(ErrorCode.NOT_FOUND, "no snapshot named '" + name + "'");
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
        destage.unregister(s.id());
        deleteDiskQuietly(s.disk());
        table.removeSnapshot(name);
        snapUnits.remove(s.id());
        if (su != null) {
            su.stats().close();
        }
    }

    /**
     * Presents snapshot (or snapclone) {@code snapshotName} to {@code initiator} ("*" = everyone) as host
     * LUN {@code hostLun}, read-write: hosts see a disk of the snapshot's size (its source's size when it
     * was taken) holding the snapshot's data; their writes change the snapshot only (the source LUN never
     * sees them), through the same write-back cache as LUN writes. Persisted in the LUN table like LUN
     * presentations; a snapclone promoted to a LUN keeps its presentations.
     *
     * @throws StorageException NOT_FOUND (snapshot), ALREADY_EXISTS (host LUN taken), INVALID_ARGUMENT (initiator, host LUN range)
     */
    public synchronized void presentSnapshot(String initiator, int hostLun, String snapshotName) {
        checkOpen();
        if (initiator == null || initiator.isEmpty() || hostLun < 0 || hostLun > PresentationTable.MAX_LUN) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "initiator must be non-empty and host LUN 0.."
                    + PresentationTable.MAX_LUN);
        }
        SnapshotRecord s = table.snapshotByName(snapshotName);
        if (s == null) {
            throw new StorageException(ErrorCode.NOT_FOUND, "no snapshot named '" + snapshotName + "'");
        }
        table.present(initiator, hostLun, s.id());
        presentation.present(initiator, hostLun, snapshotUnit(s));
    }

    /**
     * Removes the presentation of snapshot {@code snapshotName} to {@code initiator} at {@code hostLun}.
     *
     * @return false (nothing changed) when that host LUN of that initiator does not present this snapshot
     * @throws StorageException NOT_FOUND (snapshot)
     */
    public synchronized boolean unpresentSnapshot(String initiator, int hostLun, String snapshotName) {
        checkOpen();
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
        table.unpresent(initiator, hostLun);
        presentation.unpresent(initiator, hostLun);
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
            any |= s.snapclone() && detached(s);
        }
        if (!any) {
            return List.of();
        }
        synchronized (this) {
            List<LunRecord> out = new ArrayList<>();
            if (closed) {
                return out;
            }
            for (SnapshotRecord s : table.snapshots()) {
                if (s.snapclone() && detached(s)) {
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
        String name = s.name();
        for (int n = 0; table.byName(name) != null; n++) {
            name = s.name() + "#" + Long.toHexString(s.requestId()) + (n == 0 ? "" : "." + n);
        }
        LunRecord r = table.promote(s.name(), name);   // the one durable step
        destage.register(r.id(), r.disk(), r.sizeBytes());
        CachedLogicalUnit su = snapUnits.remove(r.id());
        CachedLogicalUnit lu;
        if (su != null && su.record().name().equals(name)) {
            lu = su;   // same id, uid, disk, size and name: hosts keep the same unit, no unit attention
        } else {
            lu = newUnit(r);
            for (Presentation p : table.presentations()) {
                if (p.lunId() == r.id()) {
                    presentation.present(p.initiator(), p.hostLun(), lu);
                }
            }
            if (su != null) {
                su.stats().close();
            }
        }
        lus.put(r.id(), lu);
        synchronized (promotions) {
            promotions.addLast(new PromotedSnapclone(s.name(), name, r.id(), s.lunId(),
                    trees.segments(r.disk()), System.currentTimeMillis()));
            while (promotions.size() > REMEMBERED_PROMOTIONS) {
                promotions.removeFirst();
            }
        }
        return r;
    }

    /** Snapclones promoted to LUNs in this run, oldest first (the last {@value #REMEMBERED_PROMOTIONS}). */
    public List<PromotedSnapclone> promotedSnapclones() {
        synchronized (promotions) {
            return List.copyOf(promotions);
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
    public synchronized void rollbackLun(String lunName, String snapshotName) {
        checkOpen();
        LunRecord r = lun(lunName);
        SnapshotRecord s = table.snapshotByName(snapshotName);
        if (s == null) {
            throw new StorageException(ErrorCode.NOT_FOUND, "no snapshot named '" + snapshotName + "'");
        }
        if (s.lunId() != r.id() || r.kind() != LunRecord.Kind.PRIMARY) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "snapshot " + snapshotName + " is not a snapshot of LUN " + lunName);
        }
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
        for (SnapshotScheduler sc : schedulers) {
            sc.close();
        }
        target.close();
        backup.close();
        cache.close();
        for (CachedLogicalUnit lu : lus.values()) {
            lu.stats().close();
        }
        for (CachedLogicalUnit lu : snapUnits.values()) {
            lu.stats().close();
        }
    }
}
