package io.evasan.mld.lease;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.raid.drive.QuorumArea;

import java.nio.ByteBuffer;
import java.util.UUID;

/** Test quorum area in memory: I/O is immediate and durable (force does nothing); can be made unavailable. */
final class MemoryQuorumArea implements QuorumArea {
    private final UUID id = UUID.randomUUID();
    final byte[] bytes;
    volatile boolean available = true;

    MemoryQuorumArea(int size) {
        this.bytes = new byte[size];
    }

    @Override
    public UUID driveId() {
        return id;
    }

    @Override
    public long sizeBytes() {
        return bytes.length;
    }

    @Override
    public boolean isAvailable() {
        return available;
    }

    private void check(long offset, int len) {
        if (!available) {
            throw new StorageException(ErrorCode.DRIVE_MISSING, "test area " + id + " unavailable");
        }
        if (offset < 0 || offset + len > bytes.length) {
            throw new StorageException(ErrorCode.OUT_OF_RANGE, "quorum I/O at " + offset + " length " + len);
        }
    }

    @Override
    public synchronized void read(long offset, ByteBuffer dst) {
        int n = dst.remaining();
        check(offset, n);
        dst.put(bytes, (int) offset, n);
    }

    @Override
    public synchronized void write(long offset, ByteBuffer src) {
        int n = src.remaining();
        check(offset, n);
        src.get(bytes, (int) offset, n);
    }

    @Override
    public void force() {
        check(0, 0);
    }
}
