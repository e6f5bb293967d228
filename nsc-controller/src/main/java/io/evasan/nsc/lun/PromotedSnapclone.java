package io.evasan.nsc.lun;

/**
 * A snapclone that finished its BGCOPY, left its sharing tree and became primary LUN {@code lunName}
 * (id {@code lunId}) in this run of the controller; {@code segments} is what BGCOPY copied in all.
 * Kept in memory only (the LUN table holds the LUN), so the job that copied it can still be reported
 * as finished.
 */
public record PromotedSnapclone(String snapshotName, String lunName, int lunId, int sourceLunId, long segments,
                                long promotedMillis) {
}
