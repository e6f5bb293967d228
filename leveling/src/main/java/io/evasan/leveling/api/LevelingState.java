package io.evasan.leveling.api;

/** Life cycle of a leveling job. */
public enum LevelingState {
    /** Created, not started. */
    IDLE,
    /** Planning or moving. */
    RUNNING,
    /** Paused between moves by the operator. */
    PAUSED,
    /** Finished: every drive within one PSEG per RAID level of its capacity-proportional share. */
    BALANCED,
    /** Finished without reaching balance (no valid move left, or moves kept failing); see the last error. */
    STUCK,
    /** Stopped by the operator or the group closing. */
    STOPPED,
    /** Ended by an unexpected error. */
    FAILED
}
