package io.evasan.leveling.api;

/**
 * What a running leveling job shows (console, API, metrics later). Invariants: {@code movesDone() <=
 * movesPlanned()} and {@code bytesMoved() <= bytesPlanned()}; planned figures grow when a replan finds more
 * work; every figure is read without locks and may be a moment old.
 */
public interface LevelingProgress {
    LevelingState state();

    /** Moves that completed (RSD switched). */
    long movesDone();

    /** Moves done plus those still planned. */
    long movesPlanned();

    /** Moves that ended otherwise (stale plan, busy, abandoned); each led to a replan. */
    long movesSkipped();

    /** Bytes copied by completed moves. */
    long bytesMoved();

    /** Bytes of completed plus still planned moves. */
    long bytesPlanned();

    /** Throttle in bytes per second, 0 = unthrottled. */
    long rateBytesPerSecond();

    /** Last error or reason for STUCK / FAILED, or null. */
    String lastError();
}
