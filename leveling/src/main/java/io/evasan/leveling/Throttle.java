package io.evasan.leveling;

import java.util.function.LongSupplier;

/**
 * A byte-rate limit for background copies (like BGCOPY's rate setting). Invariant: over any run of
 * {@link #acquire} calls at a fixed rate R > 0, the caller is held back so that the bytes of all calls but the
 * last take at least their size / R of clock time; R = 0 never waits. The rate may change at any time.
 */
public final class Throttle {
    /** How the throttle waits (a test seam: a fake sleeper advances a fake clock). */
    public interface Sleeper {
        void sleepNanos(long nanos) throws InterruptedException;
    }

    private final LongSupplier clock;
    private final Sleeper sleeper;
    private volatile long rate;
    private long next;

    public Throttle(long bytesPerSecond) {
        this(bytesPerSecond, System::nanoTime, n -> Thread.sleep(n / 1_000_000, (int) (n % 1_000_000)));
    }

    public Throttle(long bytesPerSecond, LongSupplier nanoClock, Sleeper sleeper) {
        this.clock = nanoClock;
        this.sleeper = sleeper;
        setRate(bytesPerSecond);
    }

    /** Sets the rate in bytes per second; 0 = unthrottled. */
    public void setRate(long bytesPerSecond) {
        if (bytesPerSecond < 0) {
            throw new IllegalArgumentException("bytesPerSecond must be >= 0 (0 = unthrottled): " + bytesPerSecond);
        }
        rate = bytesPerSecond;
    }

    public long rate() {
        return rate;
    }

    /** Accounts {@code bytes} just copied; waits first if earlier copies are ahead of the rate. */
    public void acquire(long bytes) throws InterruptedException {
        long r = rate;
        long wait;
        synchronized (this) {
            long now = clock.getAsLong();
            if (r <= 0) {
                next = now;
                return;
            }
            if (next < now) {
                next = now;
            }
            wait = next - now;
            next += (long) ((double) bytes * 1_000_000_000L / r);
        }
        if (wait > 0) {
            sleeper.sleepNanos(wait);
        }
    }
}
