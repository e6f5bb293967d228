package io.evasan.iscsi.impl;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * Per-connection pool of heap data buffers in power-of-two size classes (4 KiB .. 2^30), used for
 * command Data-Out and Data-In so that steady-state I/O allocates nothing. Confined to the
 * connection's event-loop thread. Invariant: a buffer handed out has capacity &gt;= the request and
 * is cleared; at most {@link #PER_CLASS} buffers are retained per class.
 */
public final class BufferPool {
    static final int PER_CLASS = 16;
    private static final int MIN_SHIFT = 12;
    @SuppressWarnings("unchecked")
    private final ArrayDeque<ByteBuffer>[] classes = new ArrayDeque[31];

    public ByteBuffer acquire(int bytes) {
        int cls = sizeClass(bytes);
        ArrayDeque<ByteBuffer> q = classes[cls];
        ByteBuffer b = q == null ? null : q.pollFirst();
        if (b == null) {
            b = ByteBuffer.allocate(1 << cls);
        }
        b.clear();
        return b;
    }

    public void release(ByteBuffer b) {
        if (b == null || Integer.bitCount(b.capacity()) != 1 || b.capacity() < (1 << MIN_SHIFT)) {
            return;
        }
        int cls = Integer.numberOfTrailingZeros(b.capacity());
        ArrayDeque<ByteBuffer> q = classes[cls];
        if (q == null) {
            q = classes[cls] = new ArrayDeque<>();
        }
        if (q.size() < PER_CLASS && cls <= 24) {
            q.addFirst(b);
        }
    }

    static int sizeClass(int bytes) {
        if (bytes <= (1 << MIN_SHIFT)) {
            return MIN_SHIFT;
        }
        return 32 - Integer.numberOfLeadingZeros(bytes - 1);
    }
}
