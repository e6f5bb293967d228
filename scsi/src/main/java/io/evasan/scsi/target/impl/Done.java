package io.evasan.scsi.target.impl;

/**
 * Thrown inside the executor to end a command whose status is already set (one shared stackless
 * instance, no cost on the error path).
 *
 * <p>Invariant: thrown only after the task's status, sense data, Data-In and residual are complete
 * (the {@link TaskReplies} helpers that return it set them first); whoever catches it sends the task
 * as it is.
 */
final class Done extends Exception {
    private static final long serialVersionUID = 1L;
    static final Done INSTANCE = new Done();

    private Done() {
        super(null, null, false, false);
    }
}
