package io.evasan.scsi.target.impl;

import io.evasan.scsi.lu.LogicalUnit;
import io.evasan.scsi.target.ScsiStats;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Target-side state of one logical unit: its task set (SAM-5 ordering of SIMPLE / ORDERED /
 * HEAD OF QUEUE tasks), RESERVE(6) holder, persistent reservations, mode parameters and the
 * COMPARE AND WRITE atomicity lock.
 *
 * <p>Invariants: while an ORDERED task runs no other task of the LU (except HEAD OF QUEUE) runs;
 * an ORDERED task starts only when every earlier task has completed; tasks behind it wait.
 * COMPARE AND WRITE, ORWRITE and WRITE ATOMIC hold {@link #atomic} exclusively; every other
 * medium write and every READ holds it shared. {@link #heldCopyStatus} keeps at most
 * {@link #HELD_COPY_STATUS_MAX} EXTENDED COPY results (oldest dropped first).
 */
final class LuContext {
    final LogicalUnit lu;
    final ScsiStats.LuStats stats;
    final PersistentReservations pr = new PersistentReservations();
    final ReentrantReadWriteLock atomic = new ReentrantReadWriteLock();

    // mode parameters (current values)
    volatile boolean wce = true;
    volatile boolean dsense;
    volatile boolean swp;

    static final int HELD_COPY_STATUS_MAX = 64;

    /**
     * EXTENDED COPY(LID1) results held for RECEIVE COPY RESULTS (LIST ID USAGE 00b), keyed by
     * {@code List.of(nexus, listId)}: {copy manager status, segments processed, bytes}. Guarded by itself.
     */
    final java.util.Map<Object, long[]> heldCopyStatus = new java.util.LinkedHashMap<>(16, 0.75f, false) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(java.util.Map.Entry<Object, long[]> eldest) {
            return size() > HELD_COPY_STATUS_MAX;
        }
    };

    /**
     * The asymmetric access view (ALUA) of this LU, or null when the target has no
     * {@link io.evasan.scsi.alua.TargetPortGroups}; replaced whole under {@link #aluaLock}.
     */
    volatile AluaSnapshot alua;
    final Object aluaLock = new Object();

    /** RESERVE(6) holder or null; guarded by {@code pr}. */
    Nexus spc2Holder;

    // task set, guarded by this
    private final ArrayDeque<TaskEntry> pending = new ArrayDeque<>();
    private final List<TaskEntry> running = new ArrayList<>();
    private boolean orderedRunning;

    LuContext(LogicalUnit lu, ScsiStats.LuStats stats) {
        this.lu = lu;
        this.stats = stats;
    }

    /** Admits a task; returns true when it may start now, else it is queued. */
    /** Tasks running now (admitted and not finished). */
    synchronized int runningCount() {
        return running.size();
    }

    synchronized boolean admit(TaskEntry e) {
        boolean ordered = e.ordered();
        if (e.headOfQueue()) {
            running.add(e);
            return true;
        }
        if (pending.isEmpty() && !orderedRunning && (!ordered || running.isEmpty())) {
            running.add(e);
            orderedRunning = ordered;
            return true;
        }
        pending.add(e);
        return false;
    }

    /** Marks a task finished; returns tasks that may start now. */
    synchronized List<TaskEntry> finish(TaskEntry e) {
        running.remove(e);
        if (e.ordered()) {
            orderedRunning = false;
        }
        List<TaskEntry> start = null;
        while (!pending.isEmpty() && !orderedRunning) {
            TaskEntry head = pending.peek();
            if (head.ordered() && !running.isEmpty()) {
                break;
            }
            pending.poll();
            running.add(head);
            orderedRunning = head.ordered();
            if (start == null) {
                start = new ArrayList<>(2);
            }
            start.add(head);
        }
        return start;
    }

    /** Removes queued tasks matching the filter (not yet started); returns them. */
    synchronized List<TaskEntry> removeQueued(java.util.function.Predicate<TaskEntry> match) {
        List<TaskEntry> out = new ArrayList<>();
        pending.removeIf(t -> {
            if (match.test(t)) {
                out.add(t);
                return true;
            }
            return false;
        });
        return out;
    }

    /** Snapshot of running tasks matching the filter. */
    synchronized List<TaskEntry> runningMatching(java.util.function.Predicate<TaskEntry> match) {
        List<TaskEntry> out = new ArrayList<>();
        for (TaskEntry t : running) {
            if (match.test(t)) {
                out.add(t);
            }
        }
        return out;
    }

    synchronized boolean hasTask(java.util.function.Predicate<TaskEntry> match) {
        for (TaskEntry t : running) {
            if (match.test(t)) {
                return true;
            }
        }
        for (TaskEntry t : pending) {
            if (match.test(t)) {
                return true;
            }
        }
        return false;
    }
}
