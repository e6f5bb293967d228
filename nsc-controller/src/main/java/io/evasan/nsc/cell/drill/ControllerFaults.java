package io.evasan.nsc.cell.drill;

import io.evasan.nsc.api.DrillReport;
import io.evasan.nsc.api.NscId;

import java.util.List;

/**
 * The seam a controller drill acts through: kill, hang or partition a controller and restart it, wherever the
 * controllers run. The embedded cell's implementation ({@link PairFaults}) acts on the two controllers of one JVM; the
 * clustered cell's acts on the two controller processes (signals, the partition file, a new process).
 *
 * <p>Invariants: {@link #checkReady} refuses (INVALID_STATE naming why) before anything is done, so a refused drill
 * changes nothing; a drill on the controller that answers the request itself cannot wait for its own takeover: it
 * returns a report whose outcome {@linkplain DrillReport#started() says started}, acted on only by {@link #act} (once
 * that report is stored and the answer has left); every other drill returns once a controller has taken over (or the
 * wait ran out), with the report so far.
 */
public interface ControllerFaults {
    /**
     * Refuses a drill of {@code kind} on {@code target} ({@code verify}: with the verifier) that cannot run now:
     * INVALID_STATE naming why, or INVALID_ARGUMENT naming the field that cannot be honoured.
     */
    void checkReady(String kind, NscId target, boolean verify);

    DrillReport kill(NscId target);

    DrillReport hang(NscId target);

    DrillReport partition();

    /** Brings a failed controller back; returns the unit ids that moved back to it. */
    List<Integer> restart(NscId target);

    /** Acts on drill {@code id} accepted earlier with a started report; does nothing for any other id. */
    void act(long id);

    /** Records what drill {@code id}'s verifier found ({@code note} appended to its outcome; null: none). */
    void verified(long id, long acknowledged, long verified, long lost, String note);

    /** The drills run through this seam since it opened, oldest first. */
    List<DrillReport> drills();

    /** Drill ids continue after {@code lastId} (the largest one a kept history holds). */
    void continueDrillIds(long lastId);

    /** A fresh drill id (a drill run outside this seam, a drive pull, takes one too: ids stay unique). */
    long nextDrillId();

    /** The history the finished reports are kept in, given once it is open (a survivor completes reports there). */
    default void historyOpened(DrillHistory history) {
    }
}
