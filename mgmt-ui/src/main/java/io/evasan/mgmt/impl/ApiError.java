package io.evasan.mgmt.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;

/**
 * A failed API call with its HTTP status, the error text and the request field it concerns
 * (null when no single field is to blame). Invariant: {@code status} is 4xx or 5xx.
 */
public final class ApiError extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int status;
    private final String field;
    private final String code;

    public ApiError(int status, String message, String field) {
        super(message);
        if (status < 400 || status > 599) {
            throw new IllegalArgumentException("not an error status: " + status);
        }
        this.status = status;
        this.field = field;
        this.code = null;
    }

    /** A storage failure, its status from {@link ErrorStatus}, blamed on {@code field}. */
    public ApiError(StorageException e, String field) {
        super(e.getMessage(), e);
        this.status = ErrorStatus.of(e.code());
        this.field = field;
        this.code = e.code().name();
    }

    public static ApiError badRequest(String field, String message) {
        return new ApiError(400, message, field);
    }

    public int status() { return status; }
    public String field() { return field; }
    /** The {@link ErrorCode} name for storage failures, else null. */
    public String code() { return code; }
}
