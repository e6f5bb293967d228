package io.evasan.mgmt.impl;

import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;

/**
 * The cache's destage rate for GET /api/controllers: bytes destaged between the two latest samples
 * divided by the time between them (the background timer samples once a second). Invariant: the
 * answer is 0 until two samples exist and never negative.
 */
final class DestageRate {
    private final DoubleSupplier destagedBytes;
    private final LongSupplier clock;
    private double lastBytes = Double.NaN;
    private long lastMillis;
    private volatile long perSecond;

    DestageRate(DoubleSupplier destagedBytes, LongSupplier clock) {
        this.destagedBytes = destagedBytes;
        this.clock = clock;
    }

    synchronized void sample() {
        double b = destagedBytes.getAsDouble();
        long now = clock.getAsLong();
        if (!Double.isNaN(lastBytes) && now > lastMillis) {
            perSecond = Math.max(0, Math.round((b - lastBytes) * 1000.0 / (now - lastMillis)));
        }
        lastBytes = b;
        lastMillis = now;
    }

    long bytesPerSecond() {
        return perSecond;
    }
}
