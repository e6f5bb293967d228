package io.evasan.nsc.cell.drill;

import io.evasan.nsc.api.DrillReport;

/**
 * What the survivor of a drill on its partner's process measured of its takeover, to complete the report that
 * partner stored as started before it acted: {@code seenDeadAtMillis} (epoch ms) when it heard the partner silent, and
 * from there the milliseconds until it claimed the quorum lease, until the takeover was done and until it served host
 * I/O ({@code -1}: not known); {@code detail}: its phases. Invariant: the completed report keeps the started one's id,
 * kind, target and request time, and counts every time from that request.
 */
public record TakeoverTimes(String survivor, long seenDeadAtMillis, long leaseClaimedMillis, long tookOverMillis,
                            long servingMillis, String detail) {
    /** {@code started} completed with these times. */
    public DrillReport complete(DrillReport started) {
        long detection = Math.max(0, seenDeadAtMillis - started.startedAtMillis());
        return new DrillReport(started.id(), started.kind(), started.target(), started.startedAtMillis(), detection,
                detection + tookOverMillis, servingMillis < 0 ? -1 : detection + servingMillis, started.unitsMoved(),
                started.writesAcknowledged(), started.writesVerified(), started.lostWrites(),
                "taken over by " + survivor + ": seen dead " + detection + " ms after the request; from there the "
                        + "quorum lease claimed after " + leaseClaimedMillis + " ms, the takeover done after "
                        + tookOverMillis + " ms" + (servingMillis < 0 ? "" : ", serving host I/O after " + servingMillis
                        + " ms")
                        + (detail == null || detail.isEmpty() ? "" : " (" + detail + ")"));
    }
}
