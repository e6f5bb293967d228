package io.evasan.nsc.api;

/**
 * The seed-003 snapshot-backup engine now. {@code state} is the engine's {@code BackupState} name;
 * {@code activePrimary} / {@code activeSnapshotDisk} are -1 when none; {@code logLun} null (and
 * {@code logCapacityBytes} -1) when no log LUN is defined; {@code logUsedSegments} / {@code logCapacitySegments}
 * -1 when unknown; {@code copy} null when no LOP copy ran since open.
 */
public record BackupView(String state, int activePrimary, long activeSnapshotDisk, String logLun, long logCapacityBytes,
                         int logUsedSegments, long logCapacitySegments, long lastCopiedSegments, CopyView copy) {
}
