package io.evasan.mgmt.cli;

/**
 * The appliance answered a request with 4xx or 5xx. Carries the HTTP status and the error body's
 * {@code error}, {@code field} and {@code code} (null when the body did not carry them).
 * Invariant: {@code status >= 400}.
 */
public final class ApiException extends RuntimeException {
    private final int status;
    private final String field;
    private final String code;
    private final String body;

    public ApiException(int status, String error, String field, String code, String body) {
        super(error);
        if (status < 400) {
            throw new IllegalArgumentException("not an error status: " + status);
        }
        this.status = status;
        this.field = field;
        this.code = code;
        this.body = body;
    }

    public int status() {
        return status;
    }

    /** The request field or path parameter the appliance named, or null. */
    public String field() {
        return field;
    }

    /** The storage layer's ErrorCode name, or null. */
    public String code() {
        return code;
    }

    /** The raw answer body. */
    public String body() {
        return body;
    }

    /** The one error line: {@code <status> <error text> (field <f>)}, without the "sanctl: " prefix. */
    public String line() {
        return status + " " + getMessage() + (field == null ? "" : " (field " + field + ")");
    }
}
