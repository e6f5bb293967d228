package io.evasan.nsc.backup.impl;

import io.evasan.nsc.backup.ChangeTracker;
import io.evasan.nsc.lun.LunRecord;
import io.evasan.nsc.lun.LunTable;
import io.evasan.scsi.vendor.DcmdCodes;

import java.util.Arrays;

/**
 * The log accounting of {@link SnapshotBackupEngineImpl} (seed 003 "log" and "overflow"): per
 * primary LUN a {@link ChangeTracker} of the segments destaged writes changed since its last backup
 * snapshot (the segments the snapshot had to preserve, bounded by the log LUN's capacity; also the
 * change set of an incremental copy), and the overflow the backup LUN reports once. Shares the
 * engine's lock.
 *
 * <p>Invariants: the tracker array is replaced, never changed in place once published, so the
 * destage path reads it without the lock; a LUN's tracker exists from its first backup snapshot until
 * the LUN is deleted; after an overflow the backup LUN answers LOG OVERFLOW (09/81/22) exactly once,
 * then NOT READY, until the next initiate clears it.
 */
final class BackupLog {
    private final Object lock;
    private final LunTable table;
    private final int segBytes;
    private volatile ChangeTracker[] trackers = new ChangeTracker[0];
    private volatile boolean overflowPending;

    /** @param lock the engine's lock */
    BackupLog(Object lock, LunTable table, int segBytes) {
        this.lock = lock;
        this.table = table;
        this.segBytes = segBytes;
    }

    /** The tracker of {@code lunId}; with {@code create}, made for its current size when missing (under the lock). */
    ChangeTracker tracker(int lunId, boolean create) {
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

    /**
     * A destaged write to {@code lunId} changes these bytes: marks their segments in its tracker.
     * Returns the tracker's count of changed segments, or -1 when the LUN is not tracked.
     */
    int mark(int lunId, long byteOffset, long length) {
        ChangeTracker[] t = trackers;
        if (lunId < t.length && t[lunId] != null && length > 0) {
            return t[lunId].mark((int) (byteOffset / segBytes), (int) ((byteOffset + length - 1) / segBytes));
        }
        return -1;
    }

    /** Segments changed since {@code lunId}'s last backup snapshot (0 when not tracked). */
    int usedSegments(int lunId) {
        ChangeTracker[] t = trackers;
        return lunId < t.length && t[lunId] != null ? t[lunId].count() : 0;
    }

    /** Under the lock: forgets the tracking of a deleted LUN. */
    void lunDeleted(int lunId) {
        ChangeTracker[] t = trackers;
        if (lunId < t.length && t[lunId] != null) {
            t = t.clone();
            t[lunId] = null;
            trackers = t;
        }
    }

    /** Under the lock: the backup ended by an overflow; the backup LUN reports it once. */
    void overflowed() {
        overflowPending = true;
    }

    /** Under the lock: a new backup starts, no overflow to report. */
    void clearOverflow() {
        overflowPending = false;
    }

    /** LOG OVERFLOW once after an overflow, else BACKUP LUN NOT READY. */
    int consumeOverflow() {
        synchronized (lock) {
            if (overflowPending) {
                overflowPending = false;
                return DcmdCodes.LOG_OVERFLOW;
            }
        }
        return DcmdCodes.BACKUP_LUN_NOT_READY;
    }
}
