package io.evasan.sharing.impl;

import java.util.Arrays;

/**
 * A sparse array of {@code long}s indexed by segment, every value 0 until set: storage is pages of
 * {@value #PAGE} values, each created on the first {@link #set} or {@link #touch} inside it, behind a
 * directory as long as the highest page created so far. A never-written array costs one empty directory,
 * whatever the disk's virtual size.
 *
 * <p><b>Invariant</b>: a page, once created, stays in the directory (pages are never dropped or replaced),
 * so a value written into a page is never lost by a later page creation; page creation is serialised on
 * this object and published through the volatile directory, so a reader that finds a page sees it
 * initialised. Element reads and writes are plain: callers order them (the stripe locks of {@link Tree}).
 */
final class PagedLongs {
    static final int PAGE_SHIFT = 10;
    static final int PAGE = 1 << PAGE_SHIFT;
    private static final int MASK = PAGE - 1;
    private static final long[][] EMPTY = new long[0][];

    private volatile long[][] pages = EMPTY;

    /** The value at {@code i}; 0 when its page was never created. */
    long get(int i) {
        long[] p = pageOrNull(i);
        return p == null ? 0 : p[i & MASK];
    }

    void set(int i, long v) {
        page(i)[i & MASK] = v;
    }

    /** Adds one to the value at {@code i} if its page exists; returns whether it did. */
    boolean incrementIfPresent(int i) {
        long[] p = pageOrNull(i);
        if (p == null) {
            return false;
        }
        p[i & MASK]++;
        return true;
    }

    /** Creates the page holding {@code i} (its values stay as they were: 0 for a new page). */
    void touch(int i) {
        page(i);
    }

    /** Pages created so far. */
    int pageCount() {
        int n = 0;
        for (long[] p : pages) {
            if (p != null) {
                n++;
            }
        }
        return n;
    }

    private long[] pageOrNull(int i) {
        long[][] d = pages;
        int k = i >>> PAGE_SHIFT;
        return k < d.length ? d[k] : null;
    }

    private long[] page(int i) {
        long[] p = pageOrNull(i);
        return p != null ? p : create(i >>> PAGE_SHIFT);
    }

    private synchronized long[] create(int k) {
        long[][] d = pages;
        if (k < d.length && d[k] != null) {
            return d[k];
        }
        long[][] nd = k < d.length ? d.clone() : Arrays.copyOf(d, k + 1);
        long[] p = new long[PAGE];
        nd[k] = p;
        pages = nd;
        return p;
    }
}
