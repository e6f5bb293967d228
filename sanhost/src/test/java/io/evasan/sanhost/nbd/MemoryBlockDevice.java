package io.evasan.sanhost.nbd;

import java.util.Arrays;

/** A block device in a byte array, for tests of the NBD layer alone. */
final class MemoryBlockDevice implements BlockDevice {
    final byte[] bytes;
    volatile int flushes;

    MemoryBlockDevice(int size) {
        bytes = new byte[size];
    }

    @Override
    public long size() {
        return bytes.length;
    }

    @Override
    public int blockSize() {
        return 512;
    }

    @Override
    public synchronized byte[] read(long offset, int length) {
        return Arrays.copyOfRange(bytes, (int) offset, (int) offset + length);
    }

    @Override
    public synchronized void write(long offset, byte[] data, boolean fua) {
        System.arraycopy(data, 0, bytes, (int) offset, data.length);
    }

    @Override
    public void flush() {
        flushes++;
    }

    @Override
    public synchronized void trim(long offset, long length) {
        Arrays.fill(bytes, (int) offset, (int) (offset + length), (byte) 0);
    }
}
