package io.evasan.iscsi.impl;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * Per-connection pool of data buffers in power-of-two size classes (4 KiB .. 2^30): heap buffers
 * for Data-Out (filled from the received bytes, or placed into as they arrive) and direct buffers for Data-In (written to the
 * socket without a heap-to-direct copy), so that steady-state I/O allocates nothing. Confined to
 * the connection's event-loop thread. Invariant: a buffer handed out has capacity &gt;= the request
 * and is cleared; a buffer returns to the pool of its own kind; at most {@link #PER_CLASS} buffers
 * are retained per class and kind.
 */
public final class BufferPool {
    static final int PER_CLASS = 16;
    private static final int MIN_SHIFT = 12;
    @SuppressWarnings("unchecked")
    private final ArrayDeque<ByteBuffer>[] classes = new ArrayDeque[31];
    @SuppressWarnings("unchecked")
    private final ArrayDeque<ByteBuffer>[] directClasses = new ArrayDeque[31];

    /** A heap buffer (array-backed). */
    public ByteBuffer acquire(int bytes) {
        return take(classes, bytes, false);
    }

    /** Largest request served with a direct buffer; larger ones get heap buffers (bounded direct memory). */
    static final int MAX_DIRECT = 2 << 20;

    /** A direct buffer for requests up to {@link #MAX_DIRECT}, a heap buffer above. */
    public ByteBuffer acquireDirect(int bytes) {
        return bytes <= MAX_DIRECT ? take(directClasses, bytes, true) : take(classes, bytes, false);
    }

    private static ByteBuffer take(ArrayDeque<ByteBuffer>[] pool, int bytes, boolean direct) {
        int cls = sizeClass(bytes);
        ArrayDeque<ByteBuffer> q = pool[cls];
        ByteBuffer b = q == null ? null : q.pollFirst();
        if (b == null) {
            b = direct ? ByteBuffer.allocateDirect(1 << cls) : ByteBuffer.allocate(1 << cls);
        }
        b.clear();
        return b;
    }

    public void release(ByteBuffer b) {
        if (b == null || Integer.bitCount(b.capacity()) != 1 || b.capacity() < (1 << MIN_SHIFT)) {
            return;
        }
        int cls = Integer.numberOfTrailingZeros(b.capacity());
        ArrayDeque<ByteBuffer>[] pool = b.isDirect() ? directClasses : classes;
        ArrayDeque<ByteBuffer> q = pool[cls];
        if (q == null) {
            q = pool[cls] = new ArrayDeque<>();
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
