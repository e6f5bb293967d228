package io.evasan.nsc.cache.impl;

import java.util.Arrays;

/**
 * The cached write chunks of a {@link WriteBackCache} as preallocated entry slots (primitive
 * arrays), the newest-entry-per-sector {@link ExtentIndex} over them and the dependency edges
 * between them (moved out of {@code WriteBackCache}).
 *
 * <p>Invariants (guarded by the cache lock; the arrays are shared with the cache and its
 * {@link DestageScheduler}, which read them directly):
 * <ul>
 * <li>A slot is free ({@code seq == -1}) or holds one cached chunk: its seq, LUN, byte offset,
 *     length, initiator, log record address, failed attempts, and {@code next} in its initiator's
 *     queue.</li>
 * <li>The index maps every cached sector to the newest slot holding it.</li>
 * <li>When a new entry covers sectors whose newest holder belongs to another initiator, an edge
 *     from that older entry to the new one is recorded and the new entry's {@code deps} counts it;
 *     {@link #release} of the older entry drops its edges, so {@code deps == 0} means every older
 *     write of another initiator to the same sectors has left the cache (newest wins per sector on
 *     the backend).</li>
 * </ul>
 */
final class EntryTable {
    final long[] seq;
    final long[] offset;
    final long[] addr;
    final int[] lun;
    final int[] len;
    final int[] init;
    final int[] deps;
    final int[] next;
    final int[] edgeHead;
    final int[] fails;
    final ExtentIndex index;
    private final long[] depStamp;
    private long stamp;
    private final int[] slotFree;
    private int slotTop;

    // ---- dependency edges (pool, grows rarely)
    private int[] edgeTarget = new int[1024];
    private int[] edgeNext = new int[1024];
    private int edgeFree = -1;
    private int edgeUsed;

    EntryTable(int n) {
        seq = new long[n];
        offset = new long[n];
        addr = new long[n];
        lun = new int[n];
        len = new int[n];
        init = new int[n];
        deps = new int[n];
        next = new int[n];
        edgeHead = new int[n];
        fails = new int[n];
        depStamp = new long[n];
        slotFree = new int[n];
        index = new ExtentIndex(2 * n + 2);
        for (int i = n - 1; i >= 0; i--) {
            slotFree[slotTop++] = i;
            seq[i] = -1;
        }
    }

    /** Free slots. */
    int freeSlots() {
        return slotTop;
    }

    /** Takes a free slot for a new chunk, indexes it and records its dependency edges. */
    int allocate(long s, long off, long address, int l, int n, int initiator) {
        int slot = slotFree[--slotTop];
        seq[slot] = s;
        offset[slot] = off;
        addr[slot] = address;
        lun[slot] = l;
        len[slot] = n;
        init[slot] = initiator;
        deps[slot] = 0;
        next[slot] = -1;
        edgeHead[slot] = -1;
        fails[slot] = 0;
        indexInsert(slot);
        return slot;
    }

    /** The entry left the cache: unindexes it, releases its dependants and frees the slot. */
    void release(int slot) {
        indexRemove(slot);
        for (int e = edgeHead[slot]; e >= 0; ) {
            deps[edgeTarget[e]]--;
            int nx = edgeNext[e];
            edgeNext[e] = edgeFree;
            edgeFree = e;
            e = nx;
        }
        seq[slot] = -1;
        slotFree[slotTop++] = slot;
    }

    /** Receives a run of sectors: byte offset and length. */
    interface RunConsumer {
        void accept(long start, long length);
    }

    /**
     * Calls {@code each} with every maximal run of entry {@code slot}'s range of which it still is
     * the newest cached holder (newer cached writes keep theirs), ascending.
     */
    void forEachNewestRun(int slot, RunConsumer each) {
        int lun = this.lun[slot];
        long off = offset[slot];
        long end = off + len[slot];
        index.lookup(lun, off, end);
        long[] xs = index.outStart();
        long[] xe = index.outEnd();
        int[] xslot = index.outSlot();
        long runStart = -1;
        long runEnd = -1;
        for (int i = 0, n = index.outCount(); i < n; i++) {
            if (xslot[i] != slot) {
                continue;
            }
            if (runStart >= 0 && xs[i] == runEnd) {
                runEnd = xe[i];
                continue;
            }
            if (runStart >= 0) {
                each.accept(runStart, runEnd - runStart);
            }
            runStart = xs[i];
            runEnd = xe[i];
        }
        if (runStart >= 0) {
            each.accept(runStart, runEnd - runStart);
        }
    }

    private void indexInsert(int slot) {
        long s = offset[slot];
        index.insert(lun[slot], s, s + len[slot], slot);
        stamp++;
        int in = init[slot];
        int[] covered = index.covered();
        for (int i = 0, n = index.coveredCount(); i < n; i++) {
            int o = covered[i];
            if (init[o] != in && depStamp[o] != stamp) {
                depStamp[o] = stamp;
                addEdge(o, slot);
                deps[slot]++;
            }
        }
    }

    private void indexRemove(int slot) {
        long s = offset[slot];
        index.remove(lun[slot], s, s + len[slot], slot);
    }

    private void addEdge(int from, int to) {
        int e;
        if (edgeFree >= 0) {
            e = edgeFree;
            edgeFree = edgeNext[e];
        } else {
            if (edgeUsed == edgeTarget.length) {
                edgeTarget = Arrays.copyOf(edgeTarget, edgeUsed * 2);
                edgeNext = Arrays.copyOf(edgeNext, edgeUsed * 2);
            }
            e = edgeUsed++;
        }
        edgeTarget[e] = to;
        edgeNext[e] = edgeHead[from];
        edgeHead[from] = e;
    }
}
