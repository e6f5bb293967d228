package io.evasan.mgmt.cli;

/**
 * No HTTP answer came back: connection refused or timed out, name not resolved, TLS handshake refused,
 * or the answer timed out. The message is complete, e.g. "cannot reach http://127.0.0.1:8080: connection refused".
 */
public final class UnreachableException extends RuntimeException {
    public UnreachableException(String message, Throwable cause) {
        super(message, cause);
    }
}
