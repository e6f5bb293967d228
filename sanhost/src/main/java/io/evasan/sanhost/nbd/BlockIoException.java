package io.evasan.sanhost.nbd;

/** A failed block request; {@link #errno()} is what the NBD reply carries (EIO, ENOSPC ...). */
public final class BlockIoException extends Exception {
    private final int errno;

    public BlockIoException(int errno, String message) {
        super(message);
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }
}
