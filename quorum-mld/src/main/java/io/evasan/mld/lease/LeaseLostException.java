package io.evasan.mld.lease;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;

/**
 * A write refused by a {@link Fence}: this controller does not hold the quorum lease (never
 * acquired, lapsed, released, or fenced by a higher generation). Code {@code INVALID_STATE}; the
 * message starts with "lease lost" and names the controller and the generation.
 */
public final class LeaseLostException extends StorageException {
    private static final long serialVersionUID = 1L;
    private final int controller;

    public LeaseLostException(int controller, String message) {
        super(ErrorCode.INVALID_STATE, message);
        this.controller = controller;
    }

    public int controller() {
        return controller;
    }
}
