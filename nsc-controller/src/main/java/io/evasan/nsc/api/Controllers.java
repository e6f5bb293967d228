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
     * ignored: the first takeover claim wins). Returns once a controller has taken over, with the report so far.
     */
    DrillReport drill(String kind, NscId target);

    /** Brings a failed controller back (fresh mirrors, failback); returns the unit ids that moved back to it. */
    List<Integer> restart(NscId target);

    /** Every drill so far, oldest first. */
    List<DrillReport> drills();
}
