package io.evasan.nsc.cache;

import io.evasan.nsc.cache.impl.MemoryDestageTarget;

import java.nio.ByteBuffer;

/**
 * A test backend over a {@link MemoryDestageTarget}: every call goes to {@link #mem}; a test target overrides the
 * calls it watches, delays or fails (usually {@code write}) and calls {@code super} for the data.
 */
abstract class ForwardingTarget implements DestageTarget {
    final MemoryDestageTarget mem;

    ForwardingTarget(MemoryDestageTarget mem) {
        this.mem = mem;
    }

    @Override
    public long lunSizeBytes(int lunId) {
        return mem.lunSizeBytes(lunId);
    }

    @Override
    public void write(int lunId, long byteOffset, ByteBuffer src) {
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
