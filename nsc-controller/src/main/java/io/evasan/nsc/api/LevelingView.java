package io.evasan.nsc.api;

/**
 * A disk group's leveling job as the management views show it: after drives are added, PSEGs move (copy, then the
 * RSD rewritten with a new generation) until every drive's used share is proportional to its capacity. {@code state}
 * is RUNNING, PAUSED, BALANCED, STUCK, STOPPED or FAILED; {@code movesDone <= movesPlanned}, {@code bytesMoved <=
 * bytesPlanned}; {@code lastError} is null or why the job is STUCK / FAILED; {@code job} numbers the cell's leveling
 * jobs from 1 in the order they started (a new job of the same group has a new number).
 */
public record LevelingView(long job, int group, String groupName, String state, long movesDone, long movesPlanned,
                           long movesSkipped, long bytesMoved, long bytesPlanned, long rateBytesPerSecond,
                           String lastError) {
    /** True once the job ended (balanced, stuck, stopped or failed). */
    public boolean finished() {
        return !state.equals("RUNNING") && !state.equals("PAUSED") && !state.equals("IDLE");
    }
}
