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
    private final transient io.vertx.core.json.JsonObject details;

    public ApiError(int status, String message, String field) {
        this(status, message, field, null, null);
    }

    /** An error with a storage {@code code} name (may be null) and extra body fields {@code details} (may be null). */
    public ApiError(int status, String message, String field, String code, io.vertx.core.json.JsonObject details) {
        super(message);
        if (status < 400 || status > 599) {
            throw new IllegalArgumentException("not an error status: " + status);
        }
        this.status = status;
        this.field = field;
        this.code = code;
        this.details = details;
    }

    /** A storage failure, its status from {@link ErrorStatus}, blamed on {@code field}. */
    public ApiError(StorageException e, String field) {
        super(e.getMessage(), e);
        this.status = ErrorStatus.of(e.code());
        this.field = field;
        this.code = e.code().name();
        this.details = null;
    }

    public static ApiError badRequest(String field, String message) {
        return new ApiError(400, message, field);
    }

    public int status() { return status; }
    public String field() { return field; }
    /** The {@link ErrorCode} name for storage failures, else null. */
    public String code() { return code; }
    /** Extra fields for the error body (e.g. the seed 003 sense), or null. */
    public io.vertx.core.json.JsonObject details() { return details; }
}
