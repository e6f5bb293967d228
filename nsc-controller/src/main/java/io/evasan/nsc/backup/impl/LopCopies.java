package io.evasan.nsc.backup.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.cache.WriteCache;
import io.evasan.nsc.lun.LunRecord;
import io.evasan.nsc.lun.LunTable;
import io.evasan.nsc.lun.impl.CachedLogicalUnit;
import io.evasan.scsi.lu.LogicalUnit;
import io.evasan.scsi.lu.LuException;
import io.evasan.scsi.lu.LunVisibility;
import io.evasan.scsi.vendor.DcmdCodes;
import io.evasan.scsi.vendor.DcmdDescriptor;
import io.evasan.sharing.SharingTrees;

import java.util.Arrays;
import java.util.function.IntFunction;

/**
 * The LOP copies of {@link SnapshotBackupEngineImpl} (seed 003 tables 5-10): LOP START checks and
 * starts a copy of the active backup snapshot to a destination LUN on an {@code nsc-lop-copy-<lun>}
 * thread, straight between tree disks (the destination's cache synchronized first, the destination
 * BUSY until the copy ends); LOP STATUS, progress, pause / resume / cancel; and the per-destination
 * baselines that make an incremental copy (opcode 02h) possible. Shares the engine's lock.
 *
 * <p>Invariants: at most one copy runs; a copy is incremental only if the destination still holds,
 * untouched since, the completed copy of the previous backup snapshot of the same primary
 * (a destaged host write to the destination drops its baseline, so does a copy that did not
 * complete); LOP START names only LUs the requester sees (05/24/00 on the SOURCE / DESTINATION byte
 * otherwise, before any state is looked at, nothing changed); LOP STATUS reports a copy only to a
 * requester that sees its source or destination LU; a completed copy ends the backup (step 5).
 */
final class LopCopies {
    /** A background copy (LOP). */
    private final class Copy implements Runnable {
        final SnapshotBackupEngineImpl.Active source;
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

        Copy(SnapshotBackupEngineImpl.Active source, LogicalUnit namedSource, CachedLogicalUnit dest, long destDisk, boolean incrementalRequested) {
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
                engine.end(source, SnapshotBackupEngineImpl.End.COPY_DONE);   // seed 003 step 5: a completed copy terminates the backup
            } else if (invalidated) {
                engine.end(source, SnapshotBackupEngineImpl.End.OVERFLOW);
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

    private final Object lock;
    private final SnapshotBackupEngineImpl engine;
    private final SharingTrees trees;
    private final LunTable table;
    private final IntFunction<CachedLogicalUnit> primaries;
    private final IntFunction<? extends LogicalUnit> snapshotUnits;
    private final int segBytes;
    private WriteCache cache;

    private int[] baselineLun = new int[8];
    private volatile long[] baselineGen = new long[8];
    private Copy copy;
    private int lastStatus = DcmdCodes.LOP_STATUS_NO_COPY_IN_PROGRESS;
    private boolean copyPaused;

    /**
     * @param lock          the engine's lock (guards every field here)
     * @param primaries     LUN id to its LU (null when unknown / not a primary LUN)
     * @param snapshotUnits unit id of a presented snapshot to the LU hosts see for it, else null
     */
    LopCopies(Object lock, SnapshotBackupEngineImpl engine, SharingTrees trees, LunTable table,
              IntFunction<CachedLogicalUnit> primaries, IntFunction<? extends LogicalUnit> snapshotUnits) {
        this.lock = lock;
        this.engine = engine;
        this.trees = trees;
        this.table = table;
        this.primaries = primaries;
        this.snapshotUnits = snapshotUnits;
        this.segBytes = trees.segmentBytes();
        Arrays.fill(baselineGen, -1);
    }

    /** The cache (a copy synchronizes its destination's cached writes first). */
    void attach(WriteCache cache) {
        this.cache = cache;
    }

    /** Under the lock: a copy to {@code lunId} is running. */
    boolean copyingTo(int lunId) {
        return copy != null && !copy.finished && copy.dest.lunId() == lunId;
    }

    /**
     * Under the lock: a running copy from {@code a} (on another thread) is told to stop with LOP
     * status {@code status}; returns its thread (to join), or null when there is none.
     */
    Thread abortCopyFrom(SnapshotBackupEngineImpl.Active a, int status) {
        Copy c = copy;
        if (c != null && !c.finished && c.source == a && c.thread != Thread.currentThread()) {
            c.abort = status;
            lock.notifyAll();
            return c.thread;
        }
        return null;
    }

    /** Under the lock: forgets the baselines of a deleted LUN, as destination and as source. */
    void lunDeleted(int lunId) {
        if (lunId < baselineGen.length) {
            baselineGen[lunId] = -1;
        }
        for (int i = 0; i < baselineLun.length; i++) {
            if (baselineGen[i] >= 0 && baselineLun[i] == lunId) {
                baselineGen[i] = -1;
            }
        }
    }

    /** A host write to {@code lunId} is being destaged: as a destination it loses its baseline. */
    void destinationWritten(int lunId) {
        long[] bg = baselineGen;
        if (lunId < bg.length && bg[lunId] >= 0) {
            synchronized (lock) {
                if (baselineGen[lunId] >= 0) {
                    baselineGen[lunId] = -1;   // the host changed the destination after its copy
                }
            }
        }
    }

    /** Whether LUN {@code destLunId} holds, untouched since, the finished copy of a backup of LUN {@code sourceLunId}. */
    boolean holdsCopyOf(int destLunId, int sourceLunId) {
        synchronized (lock) {
            return destLunId >= 0 && destLunId < baselineGen.length && baselineGen[destLunId] >= 0
                    && baselineLun[destLunId] == sourceLunId;
        }
    }

    /** Segments written by the last finished copy. */
    long lastCopiedSegments() {
        synchronized (lock) {
            return copy != null && copy.finished ? copy.copiedSegments : 0;
        }
    }

    SnapshotBackupEngineImpl.CopyProgress copyProgress() {
        synchronized (lock) {
            Copy c = copy;
            if (c == null) {
                return null;
            }
            int done = c.finished && lastStatus == DcmdCodes.LOP_STATUS_COMPLETED ? c.segments : c.position;
            return new SnapshotBackupEngineImpl.CopyProgress(c.dest.lunId(), done, c.segments, c.copiedSegments, !c.finished,
                    copyPaused && !c.finished, c.finished ? lastStatus : DcmdCodes.LOP_STATUS_IN_PROGRESS, c.incremental);
        }
    }

    /**
     * Stops a running copy (LOP status TERMINATED BY COMMAND; the destination forgets its baseline and
     * answers hosts again; the snapshot backup stays active). Waits for the copy thread.
     *
     * @return false when no copy was running
     */
    boolean cancelCopy() {
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

    /** Holds a running copy before its next segment; nothing is lost. */
    void pauseCopy() {
        synchronized (lock) {
            copyPaused = true;
        }
    }

    void resumeCopy() {
        synchronized (lock) {
            copyPaused = false;
            lock.notifyAll();
        }
    }

    /** Waits until no copy is running. */
    void awaitCopy(long millis) throws InterruptedException {
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
        BackupLogicalUnit l = engine.logUnit();
        if (l != null && l.record().id() == id) {
            return l;
        }
        return snapshotUnits.apply(id);
    }

    /** LOP START (table 5): the LOP START return word (table 7). */
    int lopStart(int lopOpcode, int sourceDrive, int destinationDrive, LunVisibility visibility)
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
            SnapshotBackupEngineImpl.Active a = engine.activeSnapshot();
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
        // recorded before the copy runs: a short copy ends the backup (its own record) before this thread goes on
        engine.record(new io.evasan.nsc.api.CellRecord.BackupCopyStarted(c.dest.record().name(), c.incrementalRequested));
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

    /** LOP STATUS (table 8): the LOP STATUS return word (tables 9-10). */
    int lopStatus(int lopOpcode, LunVisibility visibility) {
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
    boolean lastCopyIncremental() {
        synchronized (lock) {
            return copy != null && copy.incremental;
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
