package io.evasan.nsc.backup;

import java.util.Arrays;

/**
 * Changed-segment tracking of one primary LUN since its last backup snapshot (seed 003: the log
 * usage of the active snapshot, and what an incremental copy must move).
 *
 * <p>Invariants: bit s is set iff a write covering segment s was destaged to the primary since
 * {@link #restart} (the moment the last backup snapshot was taken, under the cache marker's barrier);
 * {@link #count()} is the number of set bits. Thread-safe (destage workers call {@link #mark}).
 */
public final class ChangeTracker {
    private final long[] bits;
    private final int segments;
    private int count;
    private long generation = -1;

    public ChangeTracker(int segments) {
        this.segments = segments;
        this.bits = new long[(segments + 63) >>> 6];
    }

    /** Marks segments first..last (inclusive, clipped to the disk); returns the new count. */
    public synchronized int mark(int first, int last) {
        last = Math.min(last, segments - 1);
        for (int s = first; s <= last; s++) {
            long m = 1L << (s & 63);
            long w = bits[s >>> 6];
            if ((w & m) == 0) {
                bits[s >>> 6] = w | m;
                count++;
            }
        }
        return count;
    }

    public synchronized int count() {
        return count;
    }

    /** Generation of the backup snapshot tracking started at (-1: none yet). */
    public synchronized long generation() {
        return generation;
    }

    /**
     * Starts tracking afresh at the backup snapshot of generation {@code gen}; returns the bits
     * collected since the previous one (or null if there was none).
     */
    public synchronized long[] restart(long gen) {
        long[] prev = generation >= 0 ? bits.clone() : null;
        Arrays.fill(bits, 0L);
        count = 0;
        generation = gen;
        return prev;
    }

    public int segments() {
        return segments;
    }
}
