package io.evasan.mld.lease;

/**
 * Timing of the quorum lease.
 *
 * @param durationMillis how long one renewal lets the holder write (less {@code marginMillis}),
 *                       and how long a contender must see the lease unchanged (plus the margin)
 * @param marginMillis   covers the drift between the two controllers' monotonic clocks over one
 *                       duration: safety needs {@code margin >= drift rate * duration}; must be
 *                       positive and below a third of the duration
 */
public record LeaseOptions(long durationMillis, long marginMillis) {
    public LeaseOptions {
        if (durationMillis <= 0 || marginMillis <= 0 || 3 * marginMillis >= durationMillis) {
            throw new IllegalArgumentException("lease duration > 0 and 0 < margin < duration / 3: " + durationMillis
                    + " ms, margin " + marginMillis + " ms");
        }
    }

    /** 3 s, margin 300 ms (renewed every second). */
    public static LeaseOptions defaults() {
        return new LeaseOptions(3000, 300);
    }

    /** The holder renews this often: a third of the duration. */
    public long renewIntervalMillis() {
        return durationMillis / 3;
    }
}
