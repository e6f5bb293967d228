package io.evasan.nsc.cache;

import io.evasan.nsc.cache.impl.MemoryDestageTarget;

import java.nio.ByteBuffer;
import java.util.concurrent.Semaphore;

/** A memory backend whose writes each need a permit: lets a test step the destager write by write. */
final class GatedTarget extends ForwardingTarget {
    final Semaphore permits = new Semaphore(0);

    GatedTarget(MemoryDestageTarget mem) {
        super(mem);
    }

    @Override
    public void write(int lunId, long byteOffset, ByteBuffer src) {
        permits.acquireUninterruptibly();
        super.write(lunId, byteOffset, src);
    }
}
