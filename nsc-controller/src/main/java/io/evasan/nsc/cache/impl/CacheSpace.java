package io.evasan.nsc.cache.impl;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Whether a write fits in a {@link WriteBackCache} now, and who waits for room (moved out of
 * {@code WriteBackCache}).
 *
 * <p>Invariants (guarded by the cache lock; {@link #complete} runs without it):
 * <ul>
 * <li>A write of {@code len} bytes is cut into {@link #chunksFor} chunks: the rest of the active
 *     segment first, then whole segments' payloads; it {@link #fits} when the store has room for
 *     all of them and the entry table has a free slot for each.</li>
 * <li>A waiter registered by {@link #waitFor} is handed out by {@link #ready} once its bytes fit
 *     (the cache calls it whenever an entry or marker leaves) and completed outside the lock.</li>
 * </ul>
 */
final class CacheSpace {
    private record Waiter(int bytes, CompletableFuture<Void> future) {
    }

    private final SegmentStore store;
    private final EntryTable entries;
    private final List<Waiter> waiters = new ArrayList<>();

    CacheSpace(SegmentStore store, EntryTable entries) {
        this.store = store;
        this.entries = entries;
    }

    /** True if a write of len bytes fits now (store room for all chunks and free slots). */
    boolean fits(int len) {
        int r0 = store.activeRoom512();
        int per = store.maxPayloadPerSegment();
        long cap = r0 + (long) store.freeSegments() * per;
        if (cap < len) {
            return false;
        }
        return chunksFor(len) <= entries.freeSlots();
    }

    /** Chunks (entries, mirror messages) a write of len bytes is cut into now. */
    int chunksFor(int len) {
        int r0 = store.activeRoom512();
        int per = store.maxPayloadPerSegment();
        int rem = len;
        int chunks = 0;
        if (r0 > 0 && rem > 0) {
            rem -= Math.min(rem, r0);
            chunks++;
        }
        while (rem > 0) {
            rem -= Math.min(rem, per);
            chunks++;
        }
        return chunks;
    }

    /** A future completed (through {@link #ready} / {@link #complete}) once {@code bytes} fit. */
    CompletableFuture<Void> waitFor(int bytes) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        waiters.add(new Waiter(bytes, f));
        return f;
    }

    /** Takes the waiters whose bytes fit now; null when none. */
    List<CompletableFuture<Void>> ready() {
        if (waiters.isEmpty()) {
            return null;
        }
        List<CompletableFuture<Void>> ready = null;
        for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
            Waiter w = it.next();
            if (fits(w.bytes)) {
                it.remove();
                if (ready == null) {
                    ready = new ArrayList<>();
                }
                ready.add(w.future);
            }
        }
        return ready;
    }

    /** Completes waiters taken by {@link #ready} (null = none); call without the lock. */
    static void complete(List<CompletableFuture<Void>> ready) {
        if (ready != null) {
            for (CompletableFuture<Void> f : ready) {
                f.complete(null);
            }
        }
    }
}
