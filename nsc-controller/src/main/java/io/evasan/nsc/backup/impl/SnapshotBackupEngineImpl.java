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
import io.evasan.scsi.vendor.DcmdDescriptor;
import io.evasan.scsi.vendor.SnapshotBackupEngine;
import io.evasan.sharing.AllocationPolicy;
import io.evasan.sharing.DeleteOption;
import io.evasan.sharing.SharingTrees;

import java.util.Arrays;
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
 *   <li><b>Log</b>: the log LUN's size, in segments, bounds what the snapshot may preserve. Every
 *       destaged write to the primary marks its segments in the primary's {@link ChangeTracker}
 *       (restarted at the snapshot); the count is the number of segments the snapshot had to
 *       preserve (its first-write copies, seed 003's "first write to the sector"). The write that would
 *       make it exceed the capacity ends the snapshot before it reaches the tree (the snapshot is
 *       deleted, the primary write proceeds untouched); the backup LUN then reports LOG OVERFLOW
 *       (09/81/22) once and NOT READY until the next initiate. A snapshot the tree invalidated for
 *       lack of pool space is treated the same way.</li>
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
 * for it ({@link #hostUnit}) and must be seen by the requester ({@link LunVisibility}); else the
 * command fails with 05/24/00 pointing at the SOURCE / DESTINATION byte, before any state is looked
 * at (so a masked LUN and an absent one answer alike) and with nothing changed. LOP STATUS reports a
 * copy only to a requester that sees its source or destination LU (else "no copy in progress").
 *
 * <p>Invariants: at most one backup active per controller (the seed's one log system drive); an
 * error answer changes nothing; the primary LUN's I/O never fails because of the backup. Backup
 * state is not persisted: a restart ends an active backup (the controller deletes its snapshot
 * disk on open) and forgets copy baselines (the next incremental copy is a full one).
 */
public final class SnapshotBackupEngineImpl implements SnapshotBackupEngine, DestageObserver {
    /** Why a snapshot ended. */
    private enum End {
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

    /** A background copy (LOP). */
    private final class Copy implements Runnable {
        final Active source;
        final CachedLogicalUnit dest;
        final long destDisk;
        final boolean incrementalRequested;
        volatile boolean incremental;
        final Thread thread;
        volatile int abort;
        volatile boolean finished;
        volatile long copiedSegments;
        /** Segments examined so far (progress: {@code position / segments}). */
        volatile int position;
        final int segments;

        /** The LU the LOP START named as source (the backup LU of the log, or the primary's LU). */
        final LogicalUnit namedSource;

        Copy(Active source, LogicalUnit namedSource, CachedLogicalUnit dest, long destDisk, boolean incrementalRequested) {
            this.source = source;
            this.namedSource = namedSource;
            this.dest = dest;
            this.destDisk = destDisk;
            this.incrementalRequested = incrementalRequested;
            this.segments = (int) ((source.primarySize + segBytes - 1) / segBytes);
            this.thread = new Thread(this, "nsc-lop-copy-" + dest.lunId());
            this.thread.setDaemon(true);
        }

        @Override
        public void run() {
            int result = DcmdCodes.LOP_STATUS_COMPLETED;
            boolean invalidated = false;
            try {
                cache.synchronize(dest.lunId(), 0, 0);   // host writes older than the copy reach the disk first
                synchronized (lock) {
                    // decided after the synchronize: a destaged host write to the destination drops its baseline
                    long[] bg = baselineGen;
                    int d = dest.lunId();
                    incremental = incrementalRequested && source.changedSincePrev != null && source.prevGen >= 0
                            && d < bg.length && bg[d] == source.prevGen && baselineLun[d] == source.lunId;
                }
                copy();
            } catch (StorageException e) {
                if (e.code() == ErrorCode.SNAPSHOT_INVALIDATED) {
                    invalidated = true;
                    result = DcmdCodes.LOP_STATUS_DRIVE_NOT_READY;
                } else if (e.code() == ErrorCode.NOT_FOUND) {
                    result = DcmdCodes.LOP_STATUS_DRIVE_NOT_READY;
                } else {
                    result = DcmdCodes.LOP_STATUS_IRRECOVERABLE_DATA_ERRORS;
                }
            } catch (InterruptedException e) {
                result = DcmdCodes.LOP_STATUS_TERMINATED_BY_COMMAND;
            } catch (RuntimeException e) {
                result = DcmdCodes.LOP_STATUS_IRRECOVERABLE_DATA_ERRORS;
            }
            synchronized (lock) {
                if (abort != 0) {
                    result = abort;
                }
                if (result == DcmdCodes.LOP_STATUS_COMPLETED) {
                    baselineLun[dest.lunId()] = source.lunId;
                    baselineGen[dest.lunId()] = source.gen;
                } else {
                    baselineGen[dest.lunId()] = -1;
                }
                lastStatus = result;
            }
            dest.setBusy(false);   // BUSY until here; only then does LOP STATUS stop answering "in progress"
            if (result == DcmdCodes.LOP_STATUS_COMPLETED) {
                end(source, End.COPY_DONE);   // seed 003 step 5: a completed copy terminates the backup
            } else if (invalidated) {
                end(source, End.OVERFLOW);
            }
            synchronized (lock) {
                finished = true;
                lock.notifyAll();
            }
        }

        private void copy() throws InterruptedException {
            byte[] a = new byte[segBytes];
            byte[] b = new byte[segBytes];
            int segs = (int) ((source.primarySize + segBytes - 1) / segBytes);
            long[] only = incremental ? source.changedSincePrev : null;
            for (int s = 0; s < segs; s++) {
                position = s;
                if (only != null && (only[s >>> 6] & (1L << (s & 63))) == 0) {
                    continue;
                }
                synchronized (lock) {
                    while (copyPaused && abort == 0) {
                        lock.wait();
                    }
                }
                if (abort != 0) {
                    return;
                }
                long off = (long) s * segBytes;
                int len = (int) Math.min(segBytes, source.primarySize - off);
                trees.read(source.disk, off, a, 0, len);
                if (allZero(a, len)) {
                    trees.read(destDisk, off, b, 0, len);
                    if (allZero(b, len)) {
                        continue;
                    }
                }
                trees.write(destDisk, off, a, 0, len);
                copiedSegments++;
            }
            position = segs;
        }
    }

    private final Object lock = new Object();
    private final SharingTrees trees;
    private final LunTable table;
    private final IntFunction<CachedLogicalUnit> primaries;
    private final IntFunction<? extends LogicalUnit> snapshotUnits;
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
    private BackupState state = BackupState.INACTIVE;
    private Active initiating;
    private long initiatingRequest = -1;
    private volatile boolean overflowPending;
    private long generations;
    private volatile ChangeTracker[] trackers = new ChangeTracker[0];
    private int[] baselineLun = new int[8];
    private volatile long[] baselineGen = new long[8];
    private Copy copy;
    private int lastStatus = DcmdCodes.LOP_STATUS_NO_COPY_IN_PROGRESS;
    private boolean copyPaused;

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
        this.snapshotUnits = snapshotUnits;
        this.requestIds = requestIds;
        this.rebuilding = rebuilding;
        this.initializing = initializing;
        this.checkingConsistency = checkingConsistency;
        this.capacityChanged = capacityChanged;
        this.poolIdentity = poolIdentity;
        this.physicalBlockExponent = physicalBlockExponent;
        this.segBytes = trees.segmentBytes();
        Arrays.fill(baselineGen, -1);
    }

    /** Attaches the cache (it is built after the engine, since its snapshot action routes here). */
    public void attach(WriteCache cache) {
        this.cache = cache;
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
            return (a != null && a.lunId == lunId) || (copy != null && !copy.finished && copy.dest.lunId() == lunId);
        }
    }

    /** Forgets tracking and baselines of a deleted LUN. */
    public void lunDeleted(int lunId) {
        synchronized (lock) {
            ChangeTracker[] t = trackers;
            if (lunId < t.length && t[lunId] != null) {
                t = t.clone();
                t[lunId] = null;
                trackers = t;
            }
            if (lunId < baselineGen.length) {
                baselineGen[lunId] = -1;
            }
            for (int i = 0; i < baselineLun.length; i++) {
                if (baselineGen[i] >= 0 && baselineLun[i] == lunId) {
                    baselineGen[i] = -1;
                }
            }
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
        ChangeTracker[] t = trackers;
        return a.lunId < t.length && t[a.lunId] != null ? t[a.lunId].count() : 0;
    }

    /** Log capacity in segments (the log LUN's size / segment size), or -1 without a log LUN. */
    public long logCapacitySegments() {
        BackupLogicalUnit l = logUnit;
        return l == null ? -1 : l.record().sizeBytes() / segBytes;
    }

    /** Segments written by the last finished copy. */
    public long lastCopiedSegments() {
        synchronized (lock) {
            return copy != null && copy.finished ? copy.copiedSegments : 0;
        }
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
        synchronized (lock) {
            Copy c = copy;
            if (c == null) {
                return null;
            }
            int done = c.finished && lastStatus == DcmdCodes.LOP_STATUS_COMPLETED ? c.segments : c.position;
            return new CopyProgress(c.dest.lunId(), done, c.segments, c.copiedSegments, !c.finished,
                    copyPaused && !c.finished, c.finished ? lastStatus : DcmdCodes.LOP_STATUS_IN_PROGRESS, c.incremental);
        }
    }

    /**
     * Stops a running copy (LOP status TERMINATED BY COMMAND; the destination forgets its baseline and
     * answers hosts again; the snapshot backup stays active). Waits for the copy thread.
     *
     * @return false when no copy was running
     */
    public boolean cancelCopy() {
        Copy c;
        synchronized (lock) {
            c = copy;
            if (c == null || c.finished) {
                return false;
            }
            c.abort = DcmdCodes.LOP_STATUS_TERMINATED_BY_COMMAND;
            copyPaused = false;
            lock.notifyAll();
        }
        try {
            c.thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageException(ErrorCode.BUSY, "interrupted while stopping the copy");
        }
        return true;
    }

    /** Holds a running copy before its next segment (diagnostics and tests); nothing is lost. */
    public void pauseCopy() {
        synchronized (lock) {
            copyPaused = true;
        }
    }

    public void resumeCopy() {
        synchronized (lock) {
            copyPaused = false;
            lock.notifyAll();
        }
    }

    /** Waits until no copy is running (diagnostics and tests). */
    public void awaitCopy(long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        synchronized (lock) {
            while (copy != null && !copy.finished) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) {
                    return;
                }
                lock.wait(left);
            }
        }
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
            overflowPending = false;
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
                initiating = null;
                initiatingRequest = -1;
            }
            table.setBackupSnapshotDisk(a.disk);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return abandon(SenseCodes.COMMAND_ABORTED);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            return abandon(c instanceof StorageException ? senseOf((StorageException) c) : SenseCodes.INTERNAL_TARGET_FAILURE);
        } catch (StorageException e) {
            return abandon(senseOf(e));
        }
        synchronized (lock) {
            active = a;
            state = BackupState.ACTIVE;
        }
        BackupLogicalUnit log = logUnit;
        if (log != null && log.presentSize(a.primarySize / LogicalUnit.BLOCK_SIZE)) {
            capacityChanged.accept(log);
        }
        return SenseCodes.NO_SENSE;
    }

    private int abandon(int sense) {
        long orphan = -1;
        synchronized (lock) {
            if (initiating != null) {
                orphan = initiating.disk;
            }
            initiating = null;
            initiatingRequest = -1;
            state = BackupState.INACTIVE;
        }
        if (orphan >= 0) {
            deleteQuietly(orphan);
            table.setBackupSnapshotDisk(-1);
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
            long disk = trees.snapshot(a.primaryDisk, AllocationPolicy.ON_DEMAND);
            ChangeTracker t = tracker(a.lunId, true);
            long prevGen = t.generation();
            long[] changed = t.restart(a.gen);
            Active b = new Active(a.lunId, a.primaryDisk, a.primarySize, a.gen, prevGen, changed, a.capacitySegments);
            b.disk = disk;
            initiating = b;
        }
    }

    private ChangeTracker tracker(int lunId, boolean create) {
        ChangeTracker[] t = trackers;
        if (lunId < t.length && t[lunId] != null) {
            return t[lunId];
        }
        if (!create) {
            return null;
        }
        ChangeTracker[] n = Arrays.copyOf(t, Math.max(t.length, lunId + 1));
        LunRecord r = table.byId(lunId);
        int segs = (int) ((r.sizeBytes() + segBytes - 1) / segBytes);
        n[lunId] = new ChangeTracker(segs);
        trackers = n;
        return n[lunId];
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
    private boolean end(Active a, End why) {
        Copy c;
        synchronized (lock) {
            if (active != a || state != BackupState.ACTIVE) {
                return false;
            }
            active = null;
            state = BackupState.ENDING;
            if (why == End.OVERFLOW || why == End.OVERFLOW_IN_DESTAGE) {
                overflowPending = true;
            }
            c = copy;
            if (c != null && !c.finished && c.source == a && c.thread != Thread.currentThread()) {
                c.abort = why == End.OVERFLOW || why == End.OVERFLOW_IN_DESTAGE ? DcmdCodes.LOP_STATUS_DRIVE_NOT_READY
                        : DcmdCodes.LOP_STATUS_TERMINATED_BY_COMMAND;
                lock.notifyAll();
            } else {
                c = null;
            }
        }
        if (c != null && why != End.OVERFLOW_IN_DESTAGE) {
            try {
                c.thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        deleteQuietly(a.disk);
        table.setBackupSnapshotDisk(-1);
        synchronized (lock) {
            state = BackupState.INACTIVE;
        }
        return true;
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
        synchronized (lock) {
            if (overflowPending) {
                overflowPending = false;
                return DcmdCodes.LOG_OVERFLOW;
            }
        }
        return DcmdCodes.BACKUP_LUN_NOT_READY;
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
        ChangeTracker[] t = trackers;
        if (lunId < t.length && t[lunId] != null && length > 0) {
            int count = t[lunId].mark((int) (byteOffset / segBytes), (int) ((byteOffset + length - 1) / segBytes));
            Active a = active;
            if (a != null && a.lunId == lunId && count > a.capacitySegments) {
                end(a, End.OVERFLOW_IN_DESTAGE);
            }
        }
        long[] bg = baselineGen;
        if (lunId < bg.length && bg[lunId] >= 0) {
            synchronized (lock) {
                if (baselineGen[lunId] >= 0) {
                    baselineGen[lunId] = -1;   // the host changed the destination after its copy
                }
            }
        }
    }

    // ------------------------------------------------------------------ LOP

    /**
     * The LU hosts see for system drive (unit id) {@code id}: a primary LUN's, the backup LU of the log
     * LUN, a presented snapshot's; null when there is none. These are the very objects the LUN
     * masking presents, so {@link LunVisibility#sees} on them is the masking decision.
     */
    LogicalUnit hostUnit(int id) {
        CachedLogicalUnit p = primaries.apply(id);
        if (p != null) {
            return p;
        }
        BackupLogicalUnit l = logUnit;
        if (l != null && l.record().id() == id) {
            return l;
        }
        return snapshotUnits.apply(id);
    }

    @Override
    public int lopStart(int lopOpcode, int sourceDrive, int destinationDrive, LunVisibility visibility)
            throws LuException {
        Copy c;
        synchronized (lock) {
            // masking first: the answer to a drive the requester cannot see never depends on its state
            LogicalUnit named = hostUnit(sourceDrive);
            if (!visibility.sees(named)) {
                throw DcmdCodes.illegalCdb(DcmdDescriptor.SOURCE_OFFSET,
                        "LOP START source drive " + sourceDrive + " is not a LUN the initiator sees");
            }
            if (!visibility.sees(hostUnit(destinationDrive))) {
                throw DcmdCodes.illegalCdb(DcmdDescriptor.DESTINATION_OFFSET,
                        "LOP START destination drive " + destinationDrive + " is not a LUN the initiator sees");
            }
            if (copy != null && !copy.finished) {
                return DcmdCodes.LOP_START_COPY_ALREADY_IN_PROGRESS;
            }
            LunRecord src = table.byId(sourceDrive);
            LunRecord dst = table.byId(destinationDrive);
            if (src == null || dst == null || dst.kind() != LunRecord.Kind.PRIMARY) {
                return DcmdCodes.LOP_START_INVALID_SYSTEM_DRIVE;
            }
            CachedLogicalUnit destLu = primaries.apply(dst.id());
            if (destLu == null) {
                return DcmdCodes.LOP_START_INVALID_SYSTEM_DRIVE;
            }
            Active a = active;
            boolean srcIsBackup = a != null && (src.kind() == LunRecord.Kind.LOG || src.id() == a.lunId);
            if (!srcIsBackup) {
                return DcmdCodes.LOP_START_DRIVE_NOT_READY;
            }
            if (dst.id() == a.lunId || dst.sizeBytes() < a.primarySize) {
                return DcmdCodes.LOP_START_INVALID_SYSTEM_DRIVE;
            }
            ensureBaselineSlot(dst.id());
            c = new Copy(a, named, destLu, dst.disk(), lopOpcode == DcmdDescriptor.LOP_INCREMENTAL_COPY);
            copy = c;
        }
        c.dest.setBusy(true);   // before GOOD: the destination answers BUSY from now until the copy ends
        c.thread.start();
        return DcmdCodes.LOP_START_COPY_STARTED;
    }

    private void ensureBaselineSlot(int id) {
        if (id >= baselineGen.length) {
            int n = Math.max(id + 1, baselineGen.length * 2);
            int old = baselineGen.length;
            baselineGen = Arrays.copyOf(baselineGen, n);
            Arrays.fill(baselineGen, old, n, -1L);
            baselineLun = Arrays.copyOf(baselineLun, n);
        }
    }

    @Override
    public int lopStatus(int lopOpcode, LunVisibility visibility) {
        synchronized (lock) {
            Copy c = copy;
            if (c == null) {
                return lastStatus;
            }
            if (!visibility.sees(c.namedSource) && !visibility.sees(c.dest)) {
                return DcmdCodes.LOP_STATUS_NO_COPY_IN_PROGRESS;   // another initiator's copy: not its business
            }
            if (!c.finished) {
                return DcmdCodes.LOP_STATUS_IN_PROGRESS;
            }
            return lastStatus;
        }
    }

    /** True if the last LOP START chose the incremental path (diagnostics). */
    public boolean lastCopyIncremental() {
        synchronized (lock) {
            return copy != null && copy.incremental;
        }
    }

    /** Ends an active backup (deleting its snapshot) and stops a copy; used at controller close. */
    public void close() {
        Active a = active;
        if (a != null) {
            end(a, End.CLOSE);
        }
    }

    static boolean allZero(byte[] b, int len) {
        for (int i = 0; i < len; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }
}
