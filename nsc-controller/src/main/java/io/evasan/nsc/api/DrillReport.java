package io.evasan.nsc.api;

/**
 * The outcome of one failover drill, kept in the cell's drill history. Times are in milliseconds from the fault
 * ({@code -1}: did not happen). {@code writesAcknowledged} / {@code writesVerified} come from the drill's verifier
 * (0 / 0 without one); {@code lostWrites} is the number of acknowledged writes that did not read back.
 */
public record DrillReport(long id, String kind, NscId target, long startedAtMillis, long detectionMillis,
                          long takeoverMillis, long firstIoMillis, int unitsMoved, long writesAcknowledged,
                          long writesVerified, long lostWrites, String outcome) {
}
