package io.evasan.fabric.link;

import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Injectable faults for one direction of a link, in the manner of Apache Ratis'
 * SimulatedRequestReply: a black hole (every frame lost, no state change seen by either end), the
 * next {@code n} frames lost, a seeded loss probability, and a fixed delay. Invariant: {@link
 * #decide()} is the only place a frame's fate is drawn, so a run with the same seed and the same
 * frame order loses the same frames.
 */
public final class LinkFaults {
    private volatile boolean blackHole;
    private final AtomicInteger dropNext = new AtomicInteger();
    private volatile double lossProbability;
    private volatile Random random = new Random(0);
    private volatile long delayMillis;
    private final AtomicLong dropped = new AtomicLong();

    /** Every frame in this direction is lost until {@link #clear()} or {@code blackHole(false)}. */
    public LinkFaults blackHole(boolean on) {
        blackHole = on;
        return this;
    }

    /** The next {@code n} frames in this direction are lost. */
    public LinkFaults dropNext(int n) {
        dropNext.set(n);
        return this;
    }

    /** Each frame is lost with probability {@code p}, drawn from a {@link Random} seeded with {@code seed}. */
    public LinkFaults loss(double p, long seed) {
        random = new Random(seed);
        lossProbability = p;
        return this;
    }

    /** Every frame is delivered {@code millis} later (order is kept). */
    public LinkFaults delay(long millis) {
        delayMillis = millis;
        return this;
    }

    public LinkFaults clear() {
        blackHole = false;
        dropNext.set(0);
        lossProbability = 0;
        delayMillis = 0;
        return this;
    }

    public long delayMillis() {
        return delayMillis;
    }

    /** Frames lost to faults in this direction so far. */
    public long dropped() {
        return dropped.get();
    }

    /** True when the next frame is to be lost; counts it. */
    synchronized boolean decide() {
        boolean drop = blackHole || dropNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0
                || lossProbability > 0 && random.nextDouble() < lossProbability;
        if (drop) {
            dropped.incrementAndGet();
        }
        return drop;
    }
}
