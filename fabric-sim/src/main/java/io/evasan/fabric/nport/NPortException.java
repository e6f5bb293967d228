package io.evasan.fabric.nport;

/** A fabric service or a remote port refused, did not answer in time, or answered nonsense. */
public final class NPortException extends Exception {
    private static final long serialVersionUID = 1L;

    public NPortException(String message) {
        super(message);
    }

    public NPortException(String message, Throwable cause) {
        super(message, cause);
    }
}
