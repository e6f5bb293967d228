package io.evasan.mgmt.impl;

import io.evasan.scsi.target.ScsiStats;

import java.time.Duration;
import java.util.Arrays;

/**
 * Host I/O of one series over one interval [{@code startMillis}, {@code startMillis + stepMillis}): command and
 * byte counts and the latency histogram over the SCSI target's fixed buckets ({@link ScsiStats#LATENCY_BUCKETS}, then
 * one overflow bucket). Invariant: {@code buckets} has {@link #BUCKETS} non-negative, non-cumulative counts;
 * {@link #plus} of two points is exact (sums), which is what makes 10 s → 5 min downsampling lossless for every
 * figure derived here.
 */
public record PerfPoint(long startMillis, long reads, long writes, long readBytes, long writeBytes, long[] buckets) {
    /** Latency buckets: one per bound of {@link ScsiStats#LATENCY_BUCKETS} plus the overflow bucket. */
    public static final int BUCKETS = ScsiStats.LATENCY_BUCKETS.length + 1;

    public PerfPoint {
        if (buckets.length != BUCKETS) {
            throw new IllegalArgumentException("a point has " + BUCKETS + " latency buckets, not " + buckets.length);
        }
        buckets = buckets.clone();
        for (long b : buckets) {
            if (b < 0) {
                throw new IllegalArgumentException("negative bucket count " + Arrays.toString(buckets));
            }
        }
        if (reads < 0 || writes < 0 || readBytes < 0 || writeBytes < 0) {
            throw new IllegalArgumentException("negative count");
        }
    }

    /** A point with no I/O. */
    public static PerfPoint empty(long startMillis) {
        return new PerfPoint(startMillis, 0, 0, 0, 0, new long[BUCKETS]);
    }

    @Override
    public long[] buckets() {
        return buckets.clone();
    }

    /** This point's counts plus {@code o}'s, stamped {@code startMillis}. */
    public PerfPoint plus(PerfPoint o, long startMillis) {
        long[] b = new long[BUCKETS];
        for (int i = 0; i < BUCKETS; i++) {
            b[i] = buckets[i] + o.buckets[i];
        }
        return new PerfPoint(startMillis, reads + o.reads, writes + o.writes, readBytes + o.readBytes,
                writeBytes + o.writeBytes, b);
    }

    /** Commands per second over an interval of {@code stepMillis}. */
    public double iops(long stepMillis) {
        return (reads + writes) * 1000.0 / stepMillis;
    }

    /** Bytes per second over an interval of {@code stepMillis}. */
    public double bytesPerSecond(long stepMillis) {
        return (readBytes + writeBytes) * 1000.0 / stepMillis;
    }

    /**
     * The latency at quantile {@code q} (0 &lt; q &le; 1) as the upper bound of the bucket holding it (the
     * histogram's resolution: "q of the commands took at most this"); the overflow bucket answers the last bound.
     * Null when the point holds no timed command.
     */
    public Duration latency(double q) {
        long total = 0;
        for (long b : buckets) {
            total += b;
        }
        if (total == 0) {
            return null;
        }
        long rank = (long) Math.ceil(q * total);
        long seen = 0;
        Duration[] bounds = ScsiStats.LATENCY_BUCKETS;
        for (int i = 0; i < bounds.length; i++) {
            seen += buckets[i];
            if (seen >= rank) {
                return bounds[i];
            }
        }
        return bounds[bounds.length - 1];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PerfPoint p && startMillis == p.startMillis && reads == p.reads && writes == p.writes
                && readBytes == p.readBytes && writeBytes == p.writeBytes && Arrays.equals(buckets, p.buckets);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(startMillis) * 31 + Arrays.hashCode(buckets);
    }

    @Override
    public String toString() {
        return "PerfPoint[" + startMillis + " r=" + reads + " w=" + writes + " rb=" + readBytes + " wb=" + writeBytes
                + " " + Arrays.toString(buckets) + "]";
    }
}
