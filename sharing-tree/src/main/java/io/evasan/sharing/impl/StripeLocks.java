package io.evasan.sharing.impl;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The segment stripe locks of every tree of one engine: a fixed pool of {@value #STRIPES} read-write locks,
 * created once, so a tree costs no locks of its own whatever its virtual size. Tree {@code t}'s segment
 * {@code s} is stripe {@code (t.stripeBase + s) mod STRIPES}: consecutive segments of one tree get distinct
 * stripes, and each tree starts at its own (spread) base.
 *
 * <p><b>Invariant</b>: a given segment of a given tree always maps to the same lock (the one lock for that
 * segment of all disks of the tree), so whatever one stripe per tree and segment guaranteed still holds; a
 * stripe may also cover segments of other trees, which only adds waiting. Because stripes are shared across
 * trees, a thread that holds a stripe never blocks on another one (a batch that holds several takes the next
 * only with {@code tryLock}, {@link CloneCopy}), so no cycle of stripe waits can form.
 */
final class StripeLocks {
    static final int STRIPES = 2048;
    private static final int MASK = STRIPES - 1;
    /** Golden-ratio step: successive trees' bases land far apart in the pool. */
    private static final int SPREAD = 0x9E3779B9;

    private final ReentrantReadWriteLock[] locks = new ReentrantReadWriteLock[STRIPES];
    private final AtomicInteger trees = new AtomicInteger();

    StripeLocks() {
        for (int i = 0; i < STRIPES; i++) {
            locks[i] = new ReentrantReadWriteLock();
        }
    }

    /** A base for a new tree. */
    int nextBase() {
        return (trees.getAndIncrement() * SPREAD) >>> 16;
    }

    ReentrantReadWriteLock stripe(int base, int segment) {
        return locks[(base + segment) & MASK];
    }
}
