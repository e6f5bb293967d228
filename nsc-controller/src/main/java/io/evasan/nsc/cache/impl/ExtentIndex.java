package io.evasan.nsc.cache.impl;

import java.util.Arrays;

/**
 * Newest-entry-per-byte index of a cache: for every LUN, a set of non-overlapping extents
 * {@code [start, end)} each naming the cache entry (slot) that holds the newest data for it.
 * A treap per LUN over preallocated primitive arrays (node pool, free list; grows by doubling only
 * when the pool is exhausted), so steady-state operation allocates nothing.
 *
 * <p>Invariants: extents of one LUN never overlap and are ordered by start (hence by end);
 * {@link #insert} makes the new extent the only one covering its range and reports which slots it
 * covered; {@link #remove} drops exactly the extents of one slot inside a range. Results of
 * {@link #insert} and {@link #lookup} live in arrays owned by the index, valid until the next call.
 * Not thread-safe (the cache calls it under its lock).
 */
final class ExtentIndex {
    private long[] start;
    private long[] end;
    private int[] slot;
    private int[] pri;
    private int[] left;
    private int[] right;
    private int freeHead = -1;
    private int used;
    private int seed = 0x2545F491;

    // LUN id -> root node
    private final IntIntHashMap roots = new IntIntHashMap(-1);

    // results
    private int[] covered = new int[64];
    private int coveredCount;
    private long[] outStart = new long[64];
    private long[] outEnd = new long[64];
    private int[] outSlot = new int[64];
    private int outCount;

    // split results
    private int splitL;
    private int splitR;

    ExtentIndex(int initialNodes) {
        int n = Math.max(16, initialNodes);
        start = new long[n];
        end = new long[n];
        slot = new int[n];
        pri = new int[n];
        left = new int[n];
        right = new int[n];
    }

    // ------------------------------------------------------------------ LUN roots

    private int root(int lun) {
        return roots.get(lun);
    }

    private void setRoot(int lun, int root) {
        roots.put(lun, root);
    }

    // ------------------------------------------------------------------ node pool

    private int newNode(long s, long e, int sl) {
        int n;
        if (freeHead >= 0) {
            n = freeHead;
            freeHead = left[n];
        } else {
            if (used == start.length) {
                int cap = used * 2;
                start = Arrays.copyOf(start, cap);
                end = Arrays.copyOf(end, cap);
                slot = Arrays.copyOf(slot, cap);
                pri = Arrays.copyOf(pri, cap);
                left = Arrays.copyOf(left, cap);
                right = Arrays.copyOf(right, cap);
            }
            n = used++;
        }
        start[n] = s;
        end[n] = e;
        slot[n] = sl;
        seed ^= seed << 13;
        seed ^= seed >>> 17;
        seed ^= seed << 5;
        pri[n] = seed;
        left[n] = -1;
        right[n] = -1;
        return n;
    }

    private void freeNode(int n) {
        left[n] = freeHead;
        freeHead = n;
    }

    // ------------------------------------------------------------------ treap primitives

    /** Splits t into splitL (start < key) and splitR (start >= key). */
    private void split(int t, long key) {
        if (t < 0) {
            splitL = -1;
            splitR = -1;
            return;
        }
        if (start[t] < key) {
            split(right[t], key);
            right[t] = splitL;
            splitL = t;
        } else {
            split(left[t], key);
            left[t] = splitR;
            splitR = t;
        }
    }

    /** Merges a and b where every start in a is below every start in b. */
    private int merge(int a, int b) {
        if (a < 0) {
            return b;
        }
        if (b < 0) {
            return a;
        }
        if (pri[a] > pri[b]) {
            right[a] = merge(right[a], b);
            return a;
        }
        left[b] = merge(a, left[b]);
        return b;
    }

    /** The node with the greatest start <= key, or -1. */
    private int floor(int t, long key) {
        int best = -1;
        while (t >= 0) {
            if (start[t] <= key) {
                best = t;
                t = right[t];
            } else {
                t = left[t];
            }
        }
        return best;
    }

    /** Cuts the extent straddling p (start < p < end) in two at p. Returns the new root. */
    private int cutAt(int root, long p) {
        int x = floor(root, p);
        if (x >= 0 && start[x] < p && end[x] > p) {
            int y = newNode(p, end[x], slot[x]);
            end[x] = p;
            split(root, p);
            int l = splitL;
            int r = splitR;
            return merge(merge(l, y), r);
        }
        return root;
    }

    // ------------------------------------------------------------------ operations

    /**
     * Makes [s, e) of the LUN point at {@code newSlot}. Afterwards {@link #coveredCount()} /
     * {@link #covered()} list the slots that held the newest data of some part of the range before
     * (possibly repeated).
     */
    void insert(int lun, long s, long e, int newSlot) {
        int root = root(lun);
        root = cutAt(root, s);
        root = cutAt(root, e);
        split(root, s);
        int l = splitL;
        split(splitR, e);
        int mid = splitL;
        int r = splitR;
        coveredCount = 0;
        collectAndFree(mid);
        setRoot(lun, merge(merge(l, newNode(s, e, newSlot)), r));
    }

    private void collectAndFree(int t) {
        if (t < 0) {
            return;
        }
        collectAndFree(left[t]);
        if (coveredCount == covered.length) {
            covered = Arrays.copyOf(covered, coveredCount * 2);
        }
        covered[coveredCount++] = slot[t];
        int r = right[t];
        freeNode(t);
        collectAndFree(r);
    }

    int coveredCount() {
        return coveredCount;
    }

    int[] covered() {
        return covered;
    }

    /** Removes the extents of {@code oldSlot} inside [s, e) of the LUN. */
    void remove(int lun, long s, long e, int oldSlot) {
        int root = root(lun);
        if (root < 0) {
            return;
        }
        split(root, s);
        int l = splitL;
        split(splitR, e);
        int mid = splitL;
        int r = splitR;
        mid = filter(mid, oldSlot);
        setRoot(lun, merge(merge(l, mid), r));
    }

    private int filter(int t, int oldSlot) {
        if (t < 0) {
            return -1;
        }
        int l = filter(left[t], oldSlot);
        int r = filter(right[t], oldSlot);
        if (slot[t] == oldSlot) {
            freeNode(t);
            return merge(l, r);
        }
        left[t] = l;
        right[t] = r;
        return t;
    }

    /**
     * Lists the extents overlapping [s, e) of the LUN in address order, clipped to the range:
     * {@link #outCount()} entries in {@link #outStart()}, {@link #outEnd()}, {@link #outSlot()}.
     */
    void lookup(int lun, long s, long e) {
        outCount = 0;
        visit(root(lun), s, e);
    }

    private void visit(int t, long s, long e) {
        if (t < 0) {
            return;
        }
        if (start[t] > s) {
            visit(left[t], s, e);
        }
        if (end[t] > s && start[t] < e) {
            if (outCount == outStart.length) {
                outStart = Arrays.copyOf(outStart, outCount * 2);
                outEnd = Arrays.copyOf(outEnd, outCount * 2);
                outSlot = Arrays.copyOf(outSlot, outCount * 2);
            }
            outStart[outCount] = Math.max(start[t], s);
            outEnd[outCount] = Math.min(end[t], e);
            outSlot[outCount++] = slot[t];
        }
        if (start[t] < e) {
            visit(right[t], s, e);
        }
    }

    int outCount() {
        return outCount;
    }

    long[] outStart() {
        return outStart;
    }

    long[] outEnd() {
        return outEnd;
    }

    int[] outSlot() {
        return outSlot;
    }

    /** Extents currently held (all LUNs): pool nodes in use. */
    int size() {
        int free = 0;
        for (int n = freeHead; n >= 0; n = left[n]) {
            free++;
        }
        return used - free;
    }
}
