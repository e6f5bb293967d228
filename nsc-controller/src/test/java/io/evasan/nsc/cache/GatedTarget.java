package io.evasan.nsc.cache;

import io.evasan.nsc.cache.impl.MemoryDestageTarget;

import java.nio.ByteBuffer;
import java.util.concurrent.Semaphore;

/** A memory backend whose writes each need a permit: lets a test step the destager write by write. */
final class GatedTarget implements DestageTarget {
    final MemoryDestageTarget mem;
    final Semaphore permits = new Semaphore(0);

    GatedTarget(MemoryDestageTarget mem) {
        this.mem = mem;
    }

    @Override
    public long lunSizeBytes(int lunId) {
        return mem.lunSizeBytes(lunId);
    }

    @Override
    public void write(int lunId, long byteOffset, ByteBuffer src) {
        permits.acquireUninterruptibly();
        mem.write(lunId, byteOffset, src);
    }

    @Override
    public void read(int lunId, long byteOffset, ByteBuffer dst) {
        mem.read(lunId, byteOffset, dst);
    }

    @Override
    public void flush(int lunId) {
        mem.flush(lunId);
    }

    @Override
    public void flushAll() {
        mem.flushAll();
    }
}
