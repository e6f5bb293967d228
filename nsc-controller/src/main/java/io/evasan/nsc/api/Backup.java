package io.evasan.nsc.api;

/**
 * The seed-003 snapshot backup. The session commands (define the log LUN, initiate, terminate, start a copy)
 * are still {@link io.evasan.nsc.Controller}'s; this interface holds the engine's state and the copy's control.
 */
public interface Backup {
    /** The engine's state now. */
    BackupView state();

    /** The log LUN's name, if one is defined. */
    java.util.Optional<String> logLun();

    /** Holds the LOP copy after the segment in progress. */
    void pauseCopy();

    /** Lets a paused LOP copy go on. */
    void resumeCopy();

    /** Cancels the LOP copy; false when it had already finished. */
    boolean cancelCopy();
}
