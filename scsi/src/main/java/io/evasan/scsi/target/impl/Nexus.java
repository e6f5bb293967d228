package io.evasan.scsi.target.impl;

import io.evasan.scsi.ItNexus;
import io.evasan.scsi.sense.SenseCodes;

import java.util.ArrayDeque;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One I_T nexus and its pending unit attentions: a queue per logical unit, created on first use
 * with POWER ON, RESET, OR BUS DEVICE RESET OCCURRED (SAM-5: a new nexus sees a reset), and a
 * nexus-wide REPORTED LUNS DATA HAS CHANGED flag.
 *
 * <p>Invariant: each queue holds at most {@link #MAX_UA} conditions (oldest kept), no duplicates;
 * a reset condition (29h) is never queued behind an older condition.
 */
final class Nexus implements ItNexus {
    static final int MAX_UA = 8;
    private final String initiatorName;
    private final String initiatorPortId;
    private final String targetPortName;
    private final int relativeTargetPortId;
    private final int initiatorHandle;
    /** The target port group of the relative target port (ALUA), or -1 (none / no ALUA). */
    private final int targetPortGroup;
    private final ConcurrentHashMap<LuContext, ArrayDeque<Integer>> ua = new ConcurrentHashMap<>();
    private volatile boolean lunsChanged;
    volatile boolean closed;

    Nexus(String initiatorName, String initiatorPortId, String targetPortName, int relativeTargetPortId,
          int initiatorHandle, int targetPortGroup) {
        this.initiatorName = initiatorName;
        this.targetPortGroup = targetPortGroup;
        this.initiatorHandle = initiatorHandle;
        this.initiatorPortId = initiatorPortId;
        this.targetPortName = targetPortName;
        this.relativeTargetPortId = relativeTargetPortId;
    }

    @Override public String initiatorName() { return initiatorName; }
    @Override public String initiatorPortId() { return initiatorPortId; }
    @Override public String targetPortName() { return targetPortName; }
    @Override public int relativeTargetPortId() { return relativeTargetPortId; }
    @Override public int initiatorHandle() { return initiatorHandle; }
    int targetPortGroup() { return targetPortGroup; }

    private ArrayDeque<Integer> queue(LuContext lu) {
        return ua.computeIfAbsent(lu, k -> {
            ArrayDeque<Integer> q = new ArrayDeque<>(4);
            q.add(SenseCodes.POWER_ON_RESET_OCCURRED);
            return q;
        });
    }

    /**
     * Establishes a UA. A reset-class condition (ASC 29h) supersedes every older pending one
     * (SAM-5: after a reset, earlier events need not be reported separately).
     */
    void addUa(LuContext lu, int code) {
        ArrayDeque<Integer> q = queue(lu);
        synchronized (q) {
            if (io.evasan.scsi.sense.SenseCodes.asc(code) == 0x29) {
                q.clear();
                q.add(code);
            } else if (!q.contains(code) && q.size() < MAX_UA) {
                q.add(code);
            }
        }
    }

    /** Withdraws a pending UA of {@code code} for the LU (the nexus caused the event itself). */
    void dropUa(LuContext lu, int code) {
        ArrayDeque<Integer> q = queue(lu);
        synchronized (q) {
            q.remove(code);
        }
    }

    /** Removes and returns the oldest pending UA for the LU, or 0. */
    int pollUa(LuContext lu) {
        ArrayDeque<Integer> q = queue(lu);
        synchronized (q) {
            Integer c = q.poll();
            if (c != null) {
                return c;
            }
        }
        if (lunsChanged) {
            lunsChanged = false;
            return SenseCodes.REPORTED_LUNS_DATA_HAS_CHANGED;
        }
        return 0;
    }

    /** Pending UA without removing it, or 0. */
    int peekUa(LuContext lu) {
        ArrayDeque<Integer> q = queue(lu);
        synchronized (q) {
            Integer c = q.peek();
            if (c != null) {
                return c;
            }
        }
        return lunsChanged ? SenseCodes.REPORTED_LUNS_DATA_HAS_CHANGED : 0;
    }

    void lunsChanged() {
        lunsChanged = true;
    }

    void clearLunsChanged() {
        lunsChanged = false;
    }

    /** I_T nexus identity for persistent reservations. */
    boolean samePort(String portId, int relTgt, boolean allTgPt) {
        return initiatorPortId.equals(portId) && (allTgPt || relativeTargetPortId == relTgt);
    }

    @Override
    public String toString() {
        return initiatorPortId + "->" + targetPortName + "(" + relativeTargetPortId + ")";
    }
}
