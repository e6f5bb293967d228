package io.evasan.mgmt.impl;

import io.evasan.error.ErrorCode;

/**
 * The one translation of {@link ErrorCode} to an HTTP status for the management API (the SCSI
 * translation is nsc-controller's StorageSense). Invariant: every code maps; client mistakes to 4xx,
 * lack of space to 507, back-pressure to 503, everything else (media, metadata) to 500.
 */
public final class ErrorStatus {
    private ErrorStatus() {
    }

    public static int of(ErrorCode code) {
        return switch (code) {
            case NOT_FOUND -> 404;
            case ALREADY_EXISTS, INVALID_STATE -> 409;
            case INVALID_ARGUMENT, UNALIGNED_IO, OUT_OF_RANGE -> 400;
            case SPACE_ALLOCATION_FAILED -> 507;
            case BUSY -> 503;
            default -> 500;
        };
    }
}
