package io.evasan.sanhost.nbd;

/**
 * What an NBD export serves: a byte range in whole blocks. Offsets and lengths handed to it are
 * multiples of {@link #blockSize()} and inside {@link #size()} (the server checks). Failures are
 * {@link BlockIoException}s carrying the errno the client gets.
 */
public interface BlockDevice {
    long size();

    int blockSize();

    /** Largest single request the server accepts (NBD_INFO_BLOCK_SIZE maximum). */
    default int maxRequest() {
        return 32 << 20;
    }

    byte[] read(long offset, int length) throws BlockIoException;

    void write(long offset, byte[] data, boolean fua) throws BlockIoException;

    void flush() throws BlockIoException;

    void trim(long offset, long length) throws BlockIoException;
}
