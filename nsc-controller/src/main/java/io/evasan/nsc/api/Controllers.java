package io.evasan.nsc.api;

import java.util.List;

/**
 * The cell's controllers (GET /api/controllers, drills, metrics). A cell opened with a single controller answers
 * {@link #nscs()} with that one and refuses the pair's commands with INVALID_STATE.
 */
public interface Controllers {
    /** The write-back caches' fill and destage counters now (both controllers' together in a pair). */
    CacheView cache();

    /** Each controller: state, owned units, mirror state, heartbeat round trip. */
    List<NscView> nscs();

    /** Who serves the LUN or snapshot named {@code unit}. @throws io.evasan.error.StorageException NOT_FOUND */
    LunOwnership ownership(String unit);

    /**
     * Sets the unit's preferred controller ({@code null}: none) and failover mode; moves it to the preferred
     * controller now when that one is online and is not its owner.
     */
    LunOwnership setOwnership(String unit, NscId preferred, FailoverMode mode);

    /** Moves the unit to {@code to} now (both online), draining it from the old owner's cache first. */
    LunOwnership move(String unit, NscId to);

    /**
     * Runs a failover drill on {@code target}: {@code kill} (a crash), {@code hang} (stops answering without
     * exiting), or {@code partition} (the bus between A and B cut while both keep the drives; {@code target} is
     * ignored: the first takeover claim wins). Returns once a controller has taken over, with the report so far; or,
     * for a drill on the controller process answering the call (the clustered cell's leader), at once with the report
     * stored as {@linkplain DrillReport#started() started}: the drill acts only at {@link #act}.
     */
    default DrillReport drill(String kind, NscId target) {
        return drill(DrillRequest.of(kind, target, false));
    }

    /**
     * Runs the drill {@code request} describes: a controller drill as {@link #drill(String, NscId)}, or a
     * {@code pull-drive} drill (drive {@code group}/{@code index} pulled; refused with INVALID_STATE, nothing
     * changed, when it holds a member of an RStore with no redundancy left, unless {@code force}). With
     * {@code verify} a scratch LUN is written with known patterns through the fault and read back after it; the
     * report counts the writes acknowledged, verified and lost. The finished report is kept durably in the
     * history. @throws io.evasan.error.StorageException INVALID_ARGUMENT naming the bad field
     */
    DrillReport drill(DrillRequest request);

    /**
     * Acts on drill {@code id}, which {@link #drill} answered as started (call it once that answer has left: the drill
     * may stop this very process); does nothing for any other id.
     */
    void act(long id);

    /** Brings a failed controller back (fresh mirrors, failback); returns the unit ids that moved back to it. */
    List<Integer> restart(NscId target);

    /** Every drill so far, oldest first (those of earlier runs of the cell too: the history is kept durably). */
    List<DrillReport> drills();
}
