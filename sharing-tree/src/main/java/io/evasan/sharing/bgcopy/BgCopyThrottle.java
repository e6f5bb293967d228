package io.evasan.sharing.bgcopy;

import java.util.concurrent.TimeUnit;

/**
 * The BGCOPY throttle: a rate in bytes per second (0 = unthrottled) and the pacing of the copy thread
 * against it.
 *
 * <p><b>Invariant (locks)</b>: the rate is volatile; {@link #setRate} and {@link #rate} may be called from
 * any thread holding any lock or none. {@link #start} and {@link #pace} are called only by the one
 * BGCOPY thread ({@link BgCopyEngine}), holding no lock at all (no tree structure or stripe lock, no
 * clone's {@code bgLock}, no catalog monitor): {@link #pace} sleeps.
 */
public final class BgCopyThrottle {
    private volatile long rate;
    /** When the next batch may start (nanoTime); only the BGCOPY thread touches it. */
    private long next = System.nanoTime();

    public BgCopyThrottle(long bytesPerSecond) {
        this.rate = bytesPerSecond;
    }

    /** The throttle in force, bytes per second (0 = unthrottled). */
    public long rate() {
        return rate;
    }

    public void setRate(long bytesPerSecond) {
        if (bytesPerSecond < 0) {
            throw new IllegalArgumentException("rate " + bytesPerSecond);
        }
        rate = bytesPerSecond;
    }

    /** The BGCOPY thread starts pacing from now. */
    void start() {
        next = System.nanoTime();
    }

    /**
     * Sleeps as long as copying {@code segments} segments of {@code segBytes} takes at the rate in force.
     *
     * @return false if the thread was interrupted (the engine stops)
     */
    boolean pace(int segments, int segBytes) {
        long r = rate;
        if (r > 0 && segments > 0) {
            next = Math.max(next, System.nanoTime()) + (long) segments * segBytes * 1_000_000_000L / r;
            long wait = next - System.nanoTime();
            if (wait > 0) {
                try {
                    TimeUnit.NANOSECONDS.sleep(wait);
                } catch (InterruptedException ie) {
                    return false;
                }
            }
        }
        return true;
    }
}
