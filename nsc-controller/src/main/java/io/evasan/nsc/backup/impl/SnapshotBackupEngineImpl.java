package io.evasan.nsc.backup.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.backup.BackupState;
import io.evasan.nsc.backup.ChangeTracker;
import io.evasan.nsc.cache.WriteCache;
import io.evasan.nsc.lun.DestageObserver;
import io.evasan.nsc.lun.LunRecord;
import io.evasan.nsc.lun.LunTable;
import io.evasan.nsc.lun.StorageSense;
import io.evasan.nsc.lun.impl.CachedLogicalUnit;
import io.evasan.nsc.marker.SnapshotMarker;
import io.evasan.nsc.marker.SnapshotRequest;
import io.evasan.scsi.ItNexus;
import io.evasan.scsi.lu.LogicalUnit;
import io.evasan.scsi.lu.LuException;
import io.evasan.scsi.lu.LunVisibility;
import io.evasan.scsi.sense.SenseCodes;
import io.evasan.scsi.vendor.DcmdCodes;
import io.evasan.scsi.vendor.SnapshotBackupEngine;
import io.evasan.sharing.AllocationPolicy;
import io.evasan.sharing.DeleteOption;
import io.evasan.sharing.SharingTrees;

import java.util.concurrent.ExecutionException;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import java.util.function.LongSupplier;

/**
 * Seed 003 snapshot backup over the sharing tree and the write-back cache.
 *
 * <ul>
 *   <li><b>Initiate</b> (table 1/2) inserts a cache marker for the primary LUN and waits for it: the
 *       snapshot (an {@link AllocationPolicy#ON_DEMAND} sharing-tree snapshot of the primary's disk)
 *       holds exactly the writes acknowledged before the command. Errors by their real cause:
 *       addressed to the backup LUN or to a presented snapshot, i.e. not a primary LUN (09/81/20),
 *       no log LUN defined (09/81/19), a backup already
 *       active or initiating (09/81/10), the pool rebuilding / initializing / checking consistency
 *       (09/81/06, 0C, 0D, from suppliers the launcher wires to the pool).</li>
 *   <li><b>Log</b> (claims 1(iv), 5; {@link LogSpace}): on the first destaged write to a sector
 *       (512-byte logical block) of the primary during the backup, its old data is copied into the
 *       next free slot of the log's own space (a tree disk of the log LUN's size, made with the
 *       snapshot); the backup LUN reads a sector from the log when it holds it, else from the
 *       snapshot. The first write finding the log full ends the snapshot before it reaches the tree
 *       (the snapshot is deleted, the primary write proceeds untouched); the backup LUN then reports
 *       LOG OVERFLOW (09/81/22) once and NOT READY until the next initiate. A snapshot the tree
 *       invalidated for lack of pool space, or a log write failing, is treated the same way. Every
 *       destaged write also marks its segments in the primary's {@link ChangeTracker} (for
 *       incremental copies).</li>
 *   <li><b>Terminate</b> (table 3/4) through the primary or the backup LUN ends it (09/81/0C when none
 *       is active).</li>
 *   <li><b>LOP START / STATUS</b> (tables 5-10) copy the active snapshot to a destination LUN on a
 *       background thread, straight between tree disks (the destination's cache is synchronized
 *       first and it answers BUSY until the copy ends); opcode 02h copies only the segments changed
 *       between the previous backup snapshot of the same primary and this one, if the destination
 *       still holds that previous copy untouched; otherwise (no baseline) it copies everything. A
 *       completed copy terminates the snapshot backup (seed 003 step 5).</li>
 * </ul>
 *
 * <p>LUN masking (which LUNs a requester may name): initiate and terminate act on the LU they are
 * addressed to (the I_T_L nexus, masked by the target), so a host can initiate a backup only of a
 * LUN presented to it and end it only through that LUN or a backup LUN presented to it. Initiate
 * needs no visibility of the log LUN: the seed has the primary's host initiate (to flush its
 * caches) and a separate backup host read the backup LUN; the log is the administrator's shared
 * resource, and presenting the backup LUN to a host is the administrator's grant to read whatever
 * snapshot it serves. LOP START names system drives by number: each is resolved to the LU hosts see
 * for it ({@link LopCopies#hostUnit}) and must be seen by the requester ({@link LunVisibility}); else the
 * command fails with 05/24/00 pointing at the SOURCE / DESTINATION byte, before any state is looked
 * at (so a masked LUN and an absent one answer alike) and with nothing changed. LOP STATUS reports a
 * copy only to a requester that sees its source or destination LU (else "no copy in progress").
 *
 * <p>This class is the backup session's state machine (initiate, the marker's snapshot, terminate,
 * the end of a backup, the backup LUN's readiness), the log LUN definition and the engine's entry
 * points; the log accounting (change trackers, the overflow reported once) is {@link BackupLog}, the
 * LOP copies and their baselines are {@link LopCopies}. All three share one lock.
 *
 * <p>Invariants: at most one backup active per controller (the seed's one log system drive); an
 * error answer changes nothing; the primary LUN's I/O never fails because of the backup. While a
 * backup is active the LUN table records its snapshot disk and its log disk
 * ({@link LunTable#setBackupDisks}, one stored update, before initiate answers GOOD, cleared after
 * both are deleted); nothing else of it is persisted: a restart ends an active backup (the controller
 * deletes both disks on open) and forgets copy baselines (the next incremental copy is a full one).
 * A controller failover in a cell is no restart: the pair shares this engine, and the partner's
 * replayed writes reach it through the same destage path, so the backup and its log go on.
 */
public final class SnapshotBackupEngineImpl implements SnapshotBackupEngine, DestageObserver {
    /** Why a snapshot ended. */
    enum End {
        TERMINATE, OVERFLOW, COPY_DONE, CLOSE,
        /**
         * Overflow seen by a destage worker: the copy is not waited for (it may itself be waiting for
         * the destager in its initial synchronize); a copy reading the deleted snapshot gets NOT_FOUND
         * and ends with the abort code.
         */
        OVERFLOW_IN_DESTAGE
    }

    /** The active snapshot backup. */
    static final class Active {
        final int lunId;
        final long primaryDisk;
        final long primarySize;
        final long gen;
        final long prevGen;
        final long[] changedSincePrev;
        final long capacitySegments;
        long disk = -1;
        /** The log system drive's space and index of this backup (set with {@link #disk}). */
        LogSpace log;

        Active(int lunId, long primaryDisk, long primarySize, long gen, long prevGen, long[] changed, long capacity) {
            this.lunId = lunId;
            this.primaryDisk = primaryDisk;
            this.primarySize = primarySize;
            this.gen = gen;
            this.prevGen = prevGen;
            this.changedSincePrev = changed;
            this.capacitySegments = capacity;
        }
    }

    private final Object lock = new Object();
    private final SharingTrees trees;
    private final LunTable table;
    private final IntFunction<CachedLogicalUnit> primaries;
    private final LongSupplier requestIds;
    private final BooleanSupplier rebuilding;
    private final BooleanSupplier initializing;
    private final BooleanSupplier checkingConsistency;
    private final Consumer<LogicalUnit> capacityChanged;
    private final String poolIdentity;
    private final int physicalBlockExponent;
    private final int segBytes;
    private WriteCache cache;

    private volatile BackupLogicalUnit logUnit;
    private volatile Active active;
    /** The backup whose first writes are preserved in its log: from its snapshot until its end. */
    private volatile Active preserving;
    private BackupState state = BackupState.INACTIVE;
    private Active initiating;
    private long initiatingRequest = -1;
    private long generations;
    /** Log accounting: change trackers, the overflow to report. */
    private final BackupLog backupLog;
    /** LOP START / STATUS: the copies and their baselines. */
    private final LopCopies copies;

    /** Where a session's start and end and a copy's start become cell records (the controller's log). */
    private volatile java.util.function.Consumer<io.evasan.nsc.api.CellRecord> records = r -> { };

    /**
     * Sends this engine's state changes — a session becoming ACTIVE, a session ending (terminate, overflow, its LUN
     * gone), a LOP copy starting — to {@code sink} as {@link io.evasan.nsc.api.CellRecord}s, whichever path caused
     * them (management or a host's DCMD). Called outside the engine's lock.
     */
    public void recordsTo(java.util.function.Consumer<io.evasan.nsc.api.CellRecord> sink) {
        this.records = java.util.Objects.requireNonNull(sink, "sink");
    }

    /** Appends {@code r} to the record sink. */
    void record(io.evasan.nsc.api.CellRecord r) {
        records.accept(r);
    }

    /**
     * @param primaries       LUN id to its LU (null when unknown / not a primary LUN)
     * @param snapshotUnits   unit id of a presented snapshot to the LU hosts see for it, else null
     * @param requestIds      fresh cache-marker request ids for backup snapshots
     * @param rebuilding      true while the pool rebuilds (table 2: 09/81/06)
     * @param initializing    true while the pool initializes (09/81/0C)
     * @param checkingConsistency true while a consistency check (parity resync) runs (09/81/0D)
     * @param capacityChanged told when the backup LUN's capacity changes (DiskTarget::capacityChanged)
     * @param physicalBlockExponent what the backup LUN reports in READ CAPACITY(16), as every other LUN of the controller
     */
    public SnapshotBackupEngineImpl(SharingTrees trees, LunTable table, IntFunction<CachedLogicalUnit> primaries,
                                    IntFunction<? extends LogicalUnit> snapshotUnits, LongSupplier requestIds,
                                    BooleanSupplier rebuilding, BooleanSupplier initializing,
                                    BooleanSupplier checkingConsistency, Consumer<LogicalUnit> capacityChanged,
                                    String poolIdentity, int physicalBlockExponent) {
        this.trees = trees;
        this.table = table;
        this.primaries = primaries;
        this.requestIds = requestIds;
        this.rebuilding = rebuilding;
        this.initializing = initializing;
        this.checkingConsistency = checkingConsistency;
        this.capacityChanged = capacityChanged;
        this.poolIdentity = poolIdentity;
        this.physicalBlockExponent = physicalBlockExponent;
        this.segBytes = trees.segmentBytes();
        this.backupLog = new BackupLog(lock, table, segBytes);
        this.copies = new LopCopies(lock, this, trees, table, primaries, snapshotUnits);
    }

    /** Attaches the cache (it is built after the engine, since its snapshot action routes here). */
    public void attach(WriteCache cache) {
        this.cache = cache;
        copies.attach(cache);
    }

    // ------------------------------------------------------------------ log LUN

    /** Defines the log LUN (the backup LUN hosts see). */
    public BackupLogicalUnit defineLog(LunRecord log) {
        synchronized (lock) {
            if (logUnit != null) {
                throw new StorageException(ErrorCode.ALREADY_EXISTS, "a log LUN is already defined: " + logUnit.name());
            }
            logUnit = new BackupLogicalUnit(this, trees, log, poolIdentity, physicalBlockExponent);
            return logUnit;
        }
    }

    /** Removes the log LUN definition. @throws StorageException INVALID_STATE while a backup is not inactive */
    public void removeLog() {
        synchronized (lock) {
            if (state != BackupState.INACTIVE) {
                throw new StorageException(ErrorCode.INVALID_STATE, "a snapshot backup is " + state
                        + "; terminate it before deleting the log LUN");
            }
            logUnit = null;
        }
    }

    public BackupLogicalUnit logUnit() {
        return logUnit;
    }

    /** True while the LUN is the primary of the backup or the destination of a running copy. */
    public boolean involves(int lunId) {
        synchronized (lock) {
            Active a = active != null ? active : initiating;
            return (a != null && a.lunId == lunId) || copies.copyingTo(lunId);
        }
    }

    /** Forgets tracking and baselines of a deleted LUN. */
    public void lunDeleted(int lunId) {
        synchronized (lock) {
            backupLog.lunDeleted(lunId);
            copies.lunDeleted(lunId);
        }
    }

    // ------------------------------------------------------------------ diagnostics

    public BackupState state() {
        synchronized (lock) {
            return state;
        }
    }

    /** LUN id of the active backup's primary, or -1. */
    public int activePrimary() {
        Active a = active;
        return a == null ? -1 : a.lunId;
    }

    /** Sharing-tree disk of the active backup snapshot, or -1. */
    public long activeSnapshotDisk() {
        Active a = active;
        return a == null ? -1 : a.disk;
    }

    /** Segments the active snapshot has preserved so far (its log usage), or -1. */
    public int logUsedSegments() {
        Active a = active;
        if (a == null) {
            return -1;
        }
        return backupLog.usedSegments(a.lunId);
    }

    /** Sectors the active backup has preserved in its log (the log's exact usage), or -1. */
    public long logUsedSectors() {
        Active a = active;
        return a == null || a.log == null ? -1 : a.log.usedSectors();
    }

    /** Log capacity in sectors (the log LUN's size / {@link LogSpace#SECTOR}), or -1 without a log LUN. */
    public long logCapacitySectors() {
        BackupLogicalUnit l = logUnit;
        return l == null ? -1 : l.record().sizeBytes() / LogSpace.SECTOR;
    }

    /** Tree disk of the active backup's log space (the log system drive's data), or -1. */
    public long activeLogDisk() {
        Active a = active;
        return a == null || a.log == null ? -1 : a.log.disk;
    }

    /** Log slot holding primary sector {@code sector}'s old data in the active backup, or -1. */
    public long logSlotOf(long sector) {
        Active a = active;
        return a == null || a.log == null ? -1 : a.log.slotOf(sector);
    }

    /** Log capacity in segments (the log LUN's size / segment size), or -1 without a log LUN. */
    public long logCapacitySegments() {
        BackupLogicalUnit l = logUnit;
        return l == null ? -1 : l.record().sizeBytes() / segBytes;
    }

    /** Segments written by the last finished copy. */
    public long lastCopiedSegments() {
        return copies.lastCopiedSegments();
    }

    /**
     * Progress of the current or last LOP copy, or null when no copy was started since the controller opened.
     *
     * @param destinationLunId LUN id of the copy's destination
     * @param done      segments examined
     * @param total     segments of the source
     * @param copied    segments written to the destination
     * @param running   the copy thread has not finished
     * @param paused    held by {@link #pauseCopy()}
     * @param status    LOP STATUS word (tables 7-10): in progress, completed, terminated, ...
     * @param incremental the copy took the incremental path
     */
    public record CopyProgress(int destinationLunId, int done, int total, long copied, boolean running,
                               boolean paused, int status, boolean incremental) {
    }

    public CopyProgress copyProgress() {
        return copies.copyProgress();
    }

    /**
     * Whether LUN {@code destLunId} holds, untouched since (no host write destaged to it), the finished copy of an
     * earlier backup of LUN {@code sourceLunId}: the baseline an incremental copy starts from.
     */
    public boolean holdsCopyOf(int destLunId, int sourceLunId) {
        return copies.holdsCopyOf(destLunId, sourceLunId);
    }

    /**
     * Stops a running copy (LOP status TERMINATED BY COMMAND; the destination forgets its baseline and
     * answers hosts again; the snapshot backup stays active). Waits for the copy thread.
     *
     * @return false when no copy was running
     */
    public boolean cancelCopy() {
        return copies.cancelCopy();
    }

    /** Holds a running copy before its next segment (diagnostics and tests); nothing is lost. */
    public void pauseCopy() {
        copies.pauseCopy();
    }

    public void resumeCopy() {
        copies.resumeCopy();
    }

    /** Waits until no copy is running (diagnostics and tests). */
    public void awaitCopy(long millis) throws InterruptedException {
        copies.awaitCopy(millis);
    }

    // ------------------------------------------------------------------ DCMD: initiate / terminate

    /** True if {@code requestId} is a backup snapshot marker (routed by the controller's snapshot action). */
    public boolean ownsRequest(long requestId) {
        synchronized (lock) {
            return requestId == initiatingRequest;
        }
    }

    @Override
    public int initiateSnapshot(LogicalUnit addressed, ItNexus nexus) {
        if (addressed instanceof BackupLogicalUnit) {
            return DcmdCodes.COMMAND_TO_BACKUP_LUN;
        }
        if (!(addressed instanceof CachedLogicalUnit)) {
            return SenseCodes.LOGICAL_UNIT_NOT_SUPPORTED;
        }
        CachedLogicalUnit lu = (CachedLogicalUnit) addressed;
        if (primaries.apply(lu.lunId()) != lu) {
            // a presented snapshot (its own unit id, not in the LUN table): not a primary LUN, the
            // table-2 row for a LUN that holds a backup image rather than the data being backed up
            return DcmdCodes.COMMAND_TO_BACKUP_LUN;
        }
        long reqId;
        synchronized (lock) {
            BackupLogicalUnit log = logUnit;
            if (log == null) {
                return DcmdCodes.NO_LOG_LUN_DEFINED;
            }
            if (state != BackupState.INACTIVE) {
                return DcmdCodes.SNAPSHOT_ALREADY_IN_PROGRESS;
            }
            if (rebuilding.getAsBoolean()) {
                return DcmdCodes.REBUILD_IN_PROGRESS;
            }
            if (initializing.getAsBoolean()) {
                return DcmdCodes.INITIALIZATION_IN_PROGRESS;
            }
            if (checkingConsistency.getAsBoolean()) {
                return DcmdCodes.CHECK_CONSISTENCY_IN_PROGRESS;
            }
            LunRecord rec = lu.record();
            reqId = requestIds.getAsLong();
            initiating = new Active(rec.id(), rec.disk(), rec.sizeBytes(), ++generations, -1, null,
                    log.record().sizeBytes() / segBytes);
            initiatingRequest = reqId;
            state = BackupState.INITIATING;
            backupLog.clearOverflow();
        }
        Active a;
        try {
            SnapshotMarker m = cache.insertMarker(new SnapshotRequest(reqId, "backup-" + reqId,
                    SnapshotRequest.Kind.SNAPSHOT, SnapshotRequest.Source.HOST, lu.lunId()));
            m.taken().get();
            synchronized (lock) {
                a = initiating;
                if (a == null || a.disk < 0) {
                    throw new StorageException(ErrorCode.INVALID_STATE, "backup snapshot was not taken");
                }
            }
            // recorded while still initiating: if the store fails, abandon() deletes both disks
            table.setBackupDisks(a.disk, a.log.disk);
            synchronized (lock) {
                initiating = null;
                initiatingRequest = -1;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return abandon(SenseCodes.COMMAND_ABORTED);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            return abandon(c instanceof StorageException ? senseOf((StorageException) c) : SenseCodes.INTERNAL_TARGET_FAILURE);
        } catch (StorageException e) {
            return abandon(senseOf(e));
        }
        // the backup LUN shows the primary's capacity before it turns ready: a read racing the initiate never meets
        // the log LUN's own (smaller) capacity on a ready unit (05/21/00 where NOT READY or the data belongs)
        BackupLogicalUnit log = logUnit;
        if (log != null && log.presentSize(a.primarySize / LogicalUnit.BLOCK_SIZE)) {
            capacityChanged.accept(log);
        }
        synchronized (lock) {
            active = a;
            state = BackupState.ACTIVE;
        }
        LunRecord primary = table.byId(a.lunId);
        record(new io.evasan.nsc.api.CellRecord.BackupInitiated(a.lunId, primary == null ? "" : primary.name()));
        return SenseCodes.NO_SENSE;
    }

    private int abandon(int sense) {
        Active orphan;
        synchronized (lock) {
            orphan = initiating;
            preserving = null;
            initiating = null;
            initiatingRequest = -1;
            state = BackupState.INACTIVE;
        }
        if (orphan != null && orphan.disk >= 0) {
            deleteDisks(orphan);
        }
        return sense;
    }

    private static int senseOf(StorageException e) {
        int s = StorageSense.sense(e.code());
        return s == SenseCodes.NO_SENSE ? SenseCodes.INTERNAL_TARGET_FAILURE : s;
    }

    /**
     * The cache marker of an initiate left the cache: every write acknowledged before the command is
     * in the primary's disk, none after. Takes the snapshot and restarts the primary's tracking.
     * A request this engine is not waiting for (a replay after restart) does nothing.
     */
    public void takeBackupSnapshot(SnapshotRequest request) {
        synchronized (lock) {
            Active a = initiating;
            if (a == null || request.requestId() != initiatingRequest || a.disk >= 0) {
                return;
            }
            LogSpace space = new LogSpace(trees, a.primaryDisk, a.primarySize, logUnit.record().sizeBytes());
            long disk;
            try {
                disk = trees.snapshot(a.primaryDisk, AllocationPolicy.ON_DEMAND);
            } catch (RuntimeException e) {
                deleteQuietly(space.disk);
                throw e;
            }
            ChangeTracker t = backupLog.tracker(a.lunId, true);
            long prevGen = t.generation();
            long[] changed = t.restart(a.gen);
            Active b = new Active(a.lunId, a.primaryDisk, a.primarySize, a.gen, prevGen, changed, a.capacitySegments);
            b.disk = disk;
            b.log = space;
            initiating = b;
            preserving = b;
        }
    }

    @Override
    public int terminateSnapshot(LogicalUnit addressed, ItNexus nexus) {
        Active a = active;
        boolean viaBackup = addressed instanceof BackupLogicalUnit;
        boolean viaPrimary = a != null && addressed instanceof CachedLogicalUnit
                && ((CachedLogicalUnit) addressed).lunId() == a.lunId;
        if (a == null || !(viaBackup || viaPrimary)) {
            return DcmdCodes.SNAPSHOT_NOT_IN_PROGRESS;
        }
        return end(a, End.TERMINATE) ? SenseCodes.NO_SENSE : DcmdCodes.SNAPSHOT_NOT_IN_PROGRESS;
    }

    /**
     * Ends the backup {@code a} if it is still the active one: stops a copy from it, deletes the
     * snapshot disk. Returns false when {@code a} was no longer active.
     */
    boolean end(Active a, End why) {
        Thread c;
        synchronized (lock) {
            if (active != a || state != BackupState.ACTIVE) {
                return false;
            }
            active = null;
            if (preserving == a) {
                preserving = null;
            }
            state = BackupState.ENDING;
            if (why == End.OVERFLOW || why == End.OVERFLOW_IN_DESTAGE) {
                backupLog.overflowed();
            }
            c = copies.abortCopyFrom(a, why == End.OVERFLOW || why == End.OVERFLOW_IN_DESTAGE
                    ? DcmdCodes.LOP_STATUS_DRIVE_NOT_READY : DcmdCodes.LOP_STATUS_TERMINATED_BY_COMMAND);
        }
        record(new io.evasan.nsc.api.CellRecord.BackupTerminated());
        if (c != null && why != End.OVERFLOW_IN_DESTAGE) {
            try {
                c.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        deleteDisks(a);
        synchronized (lock) {
            state = BackupState.INACTIVE;
        }
        return true;
    }

    /** Deletes backup {@code a}'s snapshot and log disks, then clears their record in the LUN table. */
    private void deleteDisks(Active a) {
        deleteQuietly(a.disk);
        if (a.log != null) {
            deleteQuietly(a.log.disk);
        }
        table.setBackupDisks(-1, -1);
    }

    private void deleteQuietly(long disk) {
        try {
            trees.delete(disk, DeleteOption.KEEP_SNAPSHOTS);
        } catch (StorageException e) {
            if (e.code() != ErrorCode.NOT_FOUND) {
                throw e;
            }
        }
    }

    // ------------------------------------------------------------------ backup LUN support

    /** Readiness of the backup LUN: 0 while active, LOG OVERFLOW once after an overflow, else NOT READY. */
    int readiness() {
        Active a = active;
        if (a != null) {
            if (isValid(a.disk)) {
                return SenseCodes.NO_SENSE;
            }
            end(a, End.OVERFLOW);
        }
        return consumeOverflow();
    }

    private boolean isValid(long disk) {
        try {
            return trees.isValid(disk);
        } catch (StorageException e) {
            return false;
        }
    }

    int consumeOverflow() {
        return backupLog.consumeOverflow();
    }

    Active activeSnapshot() {
        return active;
    }

    long diskOf(Active a) {
        return a.disk;
    }

    /** The snapshot was found invalidated by the tree (no pool space for a preserved segment). */
    int invalidated(Active a) {
        end(a, End.OVERFLOW);
        return consumeOverflow();
    }

    // ------------------------------------------------------------------ destage hook

    @Override
    public void beforeWrite(int lunId, long byteOffset, long length) {
        backupLog.mark(lunId, byteOffset, length);
        Active a = preserving;
        if (a != null && a.lunId == lunId && a.log != null) {
            boolean kept;
            try {
                kept = a.log.preserve(byteOffset, length);
            } catch (StorageException e) {
                kept = false;   // the log's space failed (or the backup ended under us): never the primary's write
            }
            if (!kept) {
                if (preserving == a) {
                    preserving = null;
                }
                end(a, End.OVERFLOW_IN_DESTAGE);
            }
        }
        copies.destinationWritten(lunId);
    }

    // ------------------------------------------------------------------ LOP

    @Override
    public int lopStart(int lopOpcode, int sourceDrive, int destinationDrive, LunVisibility visibility)
            throws LuException {
        return copies.lopStart(lopOpcode, sourceDrive, destinationDrive, visibility);
    }

    @Override
    public int lopStatus(int lopOpcode, LunVisibility visibility) {
        return copies.lopStatus(lopOpcode, visibility);
    }

    /** True if the last LOP START chose the incremental path (diagnostics). */
    public boolean lastCopyIncremental() {
        return copies.lastCopyIncremental();
    }

    /** Ends an active backup (deleting its snapshot) and stops a copy; used at controller close. */
    public void close() {
        Active a = active;
        if (a != null) {
            end(a, End.CLOSE);
        }
    }
}
