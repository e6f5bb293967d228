package io.evasan.raid.powercut;

/**
 * Thrown by every I/O of a {@link PowerCut}'s drives and files once the power is cut: the
 * "process" is dead. An {@link Error} so that no storage error handler mistakes it for a drive
 * failure and carries on writing.
 */
public final class PowerCutError extends Error {
    public PowerCutError(String message) {
        super(message, null, false, false);
    }
}
