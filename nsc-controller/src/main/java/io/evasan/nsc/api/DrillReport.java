package io.evasan.nsc.api;

/**
 * The outcome of one failover drill, kept in the cell's drill history. Times are in milliseconds from the fault
 * ({@code -1}: did not happen). A drill on the controller process that answers the request is kept first as
 * <em>started</em> (outcome {@link #STARTED} and a note, every time {@code -1}) before it acts; the survivor that takes
 * over completes it. {@code writesAcknowledged} / {@code writesVerified} come from the drill's verifier
 * (0 / 0 without one); {@code lostWrites} is the number of acknowledged writes that did not read back.
 */
public record DrillReport(long id, String kind, NscId target, long startedAtMillis, long detectionMillis,
                          long takeoverMillis, long firstIoMillis, int unitsMoved, long writesAcknowledged,
                          long writesVerified, long lostWrites, String outcome) {
    /** How the outcome of a drill stored before it acted begins. */
    public static final String STARTED = "started";

    /** Whether this report was stored before its drill acted and has not been completed yet. */
    public boolean started() {
        return outcome != null && outcome.startsWith(STARTED);
    }
}
