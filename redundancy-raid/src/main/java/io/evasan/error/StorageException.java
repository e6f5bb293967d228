package io.evasan.error;

/**
 * Failure of a storage operation with a stable {@link ErrorCode}. Thrown for corruption,
 * I/O failure, exhausted space and bad user input alike; programming misuse throws
 * {@link IllegalArgumentException} instead. The message says what and where in words an
 * operator can act on.
 */
public class StorageException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final ErrorCode code;

    public StorageException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public StorageException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }

    @Override
    public String toString() {
        return "StorageException[" + code + "]: " + getMessage();
    }
}
