package io.evasan.nsc.api;

/**
 * The LOP copy of the backup snapshot: progress in segments, the LOP status word ({@code status}) and what
 * it means ({@code completed}: ended with LOP status COMPLETED; {@code terminatedByCommand}: cancelled).
 */
public record CopyView(int destinationLunId, int done, int total, long copied, boolean running, boolean paused,
                       int status, boolean incremental, boolean completed, boolean terminatedByCommand) {
}
