package io.evasan.nsc.api;

import java.util.function.Consumer;

/**
 * The cell's history of committed state changes ({@link CellRecord}s), as a partner controller (or an audit
 * log) follows it.
 *
 * <p>Invariants: sequence numbers start at 1 in each run of the cell and have no gaps; a subscriber sees every
 * record appended after it subscribed, exactly once, in sequence order; two records that change the same
 * object are in the order their changes committed.
 */
public interface CellLog {
    /** The sequence number of the last record appended (0 before the first). */
    long lastSeq();

    /**
     * Calls {@code subscriber} with every record appended from now on, in sequence order, on the committing
     * thread and under the log's append lock: it must be quick and must not call back into the cell.
     */
    void subscribe(Consumer<CellRecord.Committed> subscriber);
}
