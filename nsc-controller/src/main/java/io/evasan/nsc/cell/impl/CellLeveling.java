package io.evasan.nsc.cell.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.leveling.Leveler;
import io.evasan.leveling.Throttle;
import io.evasan.leveling.api.LevelingState;
import io.evasan.nsc.api.LevelingView;
import io.evasan.raid.DiskGroup;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The cell's leveling jobs, one {@link Leveler} per disk group at most: started by a drive add (unless
 * {@value #AUTO_PROPERTY} is false) or on request, throttled to {@value #RATE_PROPERTY} bytes per second (default
 * {@value #DEFAULT_RATE}), pausable, stoppable. A job is not persisted: a restart levels again from what the group
 * holds, which is always a state before or after a whole move ({@link Leveler}).
 *
 * <p>Invariant: at most one job runs per group; the latest job of a group stays visible (finished) until the next
 * one starts. A job ends by itself when its disk group closes (its next step fails; a move is never half done). Thread-safe: this object's monitor guards
 * the start of a job; the jobs run on their own threads.
 */
final class CellLeveling {
    /** System property: start leveling after every drive add (default true). */
    static final String AUTO_PROPERTY = "evasan.leveling.auto";
    /** System property: the copy rate of leveling moves in bytes per second (0 = unthrottled). */
    static final String RATE_PROPERTY = "evasan.leveling.rate";
    static final long DEFAULT_RATE = 64L << 20;

    /** A group's latest job and its number (numbered from 1 in start order, under this object's monitor). */
    private record Job(Leveler leveler, long number) {
    }

    private final Map<Integer, Job> jobs = new ConcurrentHashMap<>();
    private long started;
    private final boolean auto = !"false".equalsIgnoreCase(System.getProperty(AUTO_PROPERTY, "true"));
    private final long rate = Long.getLong(RATE_PROPERTY, DEFAULT_RATE);

    /** After a drive was added to {@code g}: starts leveling unless switched off. */
    void driveAdded(DiskGroup g) {
        if (auto) {
            start(g);
        }
    }

    /** Starts leveling {@code g}; the running job when one runs. */
    synchronized LevelingView start(DiskGroup g) {
        Job running = jobs.get(g.id());
        if (running != null && !ended(running.leveler())) {
            return view(g, running);
        }
        if (rate < 0) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, RATE_PROPERTY + " must be >= 0, not " + rate);
        }
        Job j = new Job(new Leveler(g, new Throttle(rate)), ++started);
        jobs.put(g.id(), j);
        j.leveler().start();
        return view(g, j);
    }

    Optional<LevelingView> view(DiskGroup g) {
        Job j = jobs.get(g.id());
        return j == null ? Optional.empty() : Optional.of(view(g, j));
    }

    /** Pauses, resumes or stops the running job of {@code g}; see {@link io.evasan.nsc.api.Drives#controlLeveling}. */
    LevelingView control(DiskGroup g, String action) {
        Job j = jobs.get(g.id());
        if (j == null) {
            throw new StorageException(ErrorCode.NOT_FOUND, "disk group " + g.name() + " has no leveling job");
        }
        Leveler l = j.leveler();
        if (ended(l)) {
            throw new StorageException(ErrorCode.INVALID_STATE, "the leveling of disk group " + g.name() + " has ended ("
                    + l.state() + ")");
        }
        switch (action) {
            case "pause" -> l.pause();
            case "resume" -> l.resume();
            case "stop" -> l.stop();
            default -> throw new StorageException(ErrorCode.INVALID_ARGUMENT, "a leveling job is paused, resumed or"
                    + " stopped, not '" + action + "'");
        }
        return view(g, j);
    }

    private static boolean ended(Leveler l) {
        LevelingState s = l.state();
        return s != LevelingState.RUNNING && s != LevelingState.PAUSED && s != LevelingState.IDLE;
    }

    private static LevelingView view(DiskGroup g, Job j) {
        Leveler l = j.leveler();
        LevelingState s = l.state();   // read first: an ended job's counters are final
        return new LevelingView(j.number(), g.id(), g.name(), s.name(), l.movesDone(), l.movesPlanned(), l.movesSkipped(),
                l.bytesMoved(), l.bytesPlanned(), l.rateBytesPerSecond(), l.lastError());
    }
}
