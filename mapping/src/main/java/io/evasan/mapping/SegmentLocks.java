package io.evasan.mapping;

import java.util.concurrent.locks.ReentrantLock;

/**
 * Striped segment locks keyed by (lock domain, segment): a fixed table of
 * {@link #STRIPES} reentrant locks, so locking costs no allocation and unrelated segments
 * rarely contend. Every disk of one sharing tree uses the same domain, so one lock guards a
 * segment across the whole tree. Never held by the lock-free read path.
 */
public final class SegmentLocks {
    public static final int STRIPES = 4096;
    private final ReentrantLock[] locks = new ReentrantLock[STRIPES];

    public SegmentLocks() {
        for (int i = 0; i < STRIPES; i++) {
            locks[i] = new ReentrantLock();
        }
    }

    public ReentrantLock lock(int domain, long segment) {
        long h = (segment * 0x9E3779B97F4A7C15L) ^ ((long) domain * 0xC2B2AE3D27D4EB4FL);
        h ^= h >>> 29;
        return locks[(int) (h & (STRIPES - 1))];
    }
}
