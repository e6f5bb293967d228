package io.evasan.sanhost;

import io.evasan.scsi.alua.AccessState;

import java.util.concurrent.atomic.AtomicLong;

/**
 * One I_T_L nexus to an LU: an HBA, a target port (N_Port ID and WWPN), the LUN there, the port's
 * relative target port id and target port group. Invariants: {@link #up} is false from a failure
 * (timeout, transport error, the port gone from the name server) until a probe through the port
 * succeeds again; {@link #state} is the group's ALUA state as the last RTPG said.
 */
final class Path {
    final Hba hba;
    final long targetWwpn;
    final int lun;
    volatile int targetId;
    volatile int relativeTargetPort;
    volatile int group;
    volatile AccessState state = AccessState.ACTIVE_OPTIMIZED;
    volatile boolean preferred;
    volatile boolean up = true;
    volatile String lastError = "";
    final AtomicLong ios = new AtomicLong();
    final AtomicLong failures = new AtomicLong();

    Path(Hba hba, long targetWwpn, int lun) {
        this.hba = hba;
        this.targetWwpn = targetWwpn;
        this.lun = lun;
    }

    boolean same(Hba h, long wwpn, int l) {
        return hba == h && targetWwpn == wwpn && lun == l;
    }

    void fail(String why) {
        up = false;
        lastError = why;
        failures.incrementAndGet();
    }

    /** A sort key: group, HBA, relative port. */
    String key() {
        return "%05d %s %05d".formatted(group, hba.name(), relativeTargetPort);
    }
}
