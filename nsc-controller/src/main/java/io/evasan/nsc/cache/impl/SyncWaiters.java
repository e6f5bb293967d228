package io.evasan.nsc.cache.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.cache.DestageTarget;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntToLongFunction;

/**
 * The SYNCHRONIZE CACHE and FUA waits of a {@link WriteBackCache} (moved out of
 * {@code WriteBackCache}): which entries each wait needs destaged, and completing it.
 *
 * <p>Invariants (the lists and the loss set are guarded by the cache lock; {@link #finish},
 * {@link #join}, {@link #shutdown} run without it):
 * <ul>
 * <li>A waiter either names its entries as ascending (slot, seq) pairs or a queue prefix (initiator
 *     {@code init} up to seq {@code upTo}); {@link #entryLeft} counts an entry off only when the slot
 *     still holds that seq, so a reused slot never satisfies an older wait.</li>
 * <li>A waiter fails with WRITE_FAULT as soon as one of its entries is lost or fails beyond its
 *     bounded attempts, or when its LUN lost acknowledged data since the last report (each loss is
 *     reported once: {@link #takeLoss}).</li>
 * <li>A waiter whose entries all left is flushed and completed on a {@code cache-sync-N} thread, never
 *     on the caller's or a destage worker's thread while the lock is held.</li>
 * </ul>
 */
final class SyncWaiters {
    /**
     * One SYNCHRONIZE CACHE or FUA in progress on {@link #lun}: either a set of (slot, seq) entries
     * ({@code slots != null}; {@code remaining} of them still cached) or a queue prefix (the entries of
     * initiator {@code init} up to seq {@code upTo}). Guarded by the cache lock until it is moved to
     * {@link SyncWaiters#takeReady}; then completed outside the lock.
     */
    static final class SyncWaiter {
        final int lun;
        final int init;
        final long upTo;
        /** Slots ascending (each slot holds one entry at a time), with the seq each held; {@code count} used. */
        int[] slots;
        long[] seqs;
        int count;
        int remaining;
        String fault;
        final CompletableFuture<Void> future = new CompletableFuture<>();

        SyncWaiter(int lun, int init, long upTo) {
            this.lun = lun;
            this.init = init;
            this.upTo = upTo;
        }
    }

    private final DestageTarget target;
    private final Set<Integer> unreportedLoss;
    private final IntToLongFunction headSeq;
    private final List<SyncWaiter> waiting = new ArrayList<>();
    private final ArrayList<SyncWaiter> ready = new ArrayList<>();
    private final ExecutorService exec;

    /**
     * {@code unreportedLoss}: LUNs that lost acknowledged data not yet reported (shared with the
     * cache, guarded by its lock); {@code headSeq}: under the lock, the seq of the head of an
     * initiator's queue, {@code Long.MAX_VALUE} when it is empty.
     */
    SyncWaiters(DestageTarget target, Set<Integer> unreportedLoss, IntToLongFunction headSeq) {
        this.target = target;
        this.unreportedLoss = unreportedLoss;
        this.headSeq = headSeq;
        AtomicInteger syncThreads = new AtomicInteger();
        exec = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "cache-sync-" + syncThreads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** Registers a waiter (caller holds the lock). */
    void add(SyncWaiter w) {
        waiting.add(w);
    }

    boolean isEmpty() {
        return waiting.isEmpty();
    }

    /** True (once) if {@code lun} lost acknowledged data not yet reported (caller holds the lock). */
    boolean takeLoss(int lun) {
        return unreportedLoss.remove(lun);
    }

    /** Marks that {@code lun} lost acknowledged data, for the next wait on it (caller holds the lock). */
    void markLoss(int lun) {
        unreportedLoss.add(lun);
    }

    void shutdown() {
        exec.shutdown();
    }

    /**
     * The cache halted (caller holds the lock): every waiter fails with BUSY, since its entries will never be
     * destaged by this cache (the partner's replica holds what was acknowledged).
     */
    List<CompletableFuture<Void>> haltLocked() {
        List<CompletableFuture<Void>> out = new ArrayList<>();
        for (SyncWaiter w : waiting) {
            out.add(w.future);
        }
        waiting.clear();
        return out;
    }

    /** Joins {@code f}, rethrowing its RuntimeException cause as itself. */
    static void join(CompletableFuture<Void> f) {
        try {
            f.join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
    }

    /** Sorts the first n (slot, seq) pairs by slot (insertion sort for small n, else via packed longs). */
    static void sortBySlot(int[] slots, long[] seqs, int n) {
        if (n <= 16) {
            for (int i = 1; i < n; i++) {
                int s = slots[i];
                long q = seqs[i];
                int j = i - 1;
                while (j >= 0 && slots[j] > s) {
                    slots[j + 1] = slots[j];
                    seqs[j + 1] = seqs[j];
                    j--;
                }
                slots[j + 1] = s;
                seqs[j + 1] = q;
            }
            return;
        }
        long[] keys = new long[n];
        for (int i = 0; i < n; i++) {
            keys[i] = ((long) slots[i] << 32) | i;
        }
        Arrays.sort(keys);
        long[] q = Arrays.copyOf(seqs, n);
        for (int i = 0; i < n; i++) {
            slots[i] = (int) (keys[i] >>> 32);
            seqs[i] = q[(int) keys[i]];
        }
    }

    /** Completes a waiter taken off the list: WRITE_FAULT for a fault, else flush the LUN on a cache thread. */
    void finish(SyncWaiter w) {
        if (w.fault != null) {
            w.future.completeExceptionally(new StorageException(ErrorCode.WRITE_FAULT, w.fault));
            return;
        }
        try {
            exec.execute(() -> {
                try {
                    target.flush(w.lun);
                    w.future.complete(null);
                } catch (Throwable t) {
                    w.future.completeExceptionally(t);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            w.future.completeExceptionally(new StorageException(ErrorCode.INVALID_STATE, "cache closed"));
        }
    }

    /** Moves the ready waiters out (caller holds the lock); null when none. */
    List<SyncWaiter> takeReady() {
        if (ready.isEmpty()) {
            return null;
        }
        List<SyncWaiter> out = new ArrayList<>(ready);
        ready.clear();
        return out;
    }

    /**
     * Updates the waiters for entry {@code slot} (seq {@code seq}) that just left the cache
     * ({@code lost}: given up) or failed its bounded attempts ({@code exhaustedWhy} non-null: why);
     * the queue of its initiator is already advanced. Caller holds the lock.
     */
    void entryLeft(int slot, long seq, int lun, int init, boolean lost, String exhaustedWhy) {
        if (waiting.isEmpty()) {
            return;
        }
        boolean exhausted = exhaustedWhy != null;
        for (Iterator<SyncWaiter> it = waiting.iterator(); it.hasNext(); ) {
            SyncWaiter w = it.next();
            if (w.lun != lun && w.slots != null) {
                continue;
            }
            boolean done = false;
            if (w.slots != null) {
                int i = Arrays.binarySearch(w.slots, 0, w.count, slot);
                if (i >= 0 && w.seqs[i] == seq) {
                    if (lost) {
                        w.fault = "LUN " + lun + ": the acknowledged write at seq " + seq
                                + " was lost (its backend lost the data)";
                        unreportedLoss.remove(lun);
                        done = true;
                    } else if (exhausted) {
                        w.fault = exhaustedWhy;
                        done = true;
                    } else {
                        w.seqs[i] = -2;
                        done = --w.remaining == 0;
                    }
                }
            } else if (w.init == init && seq <= w.upTo) {
                if (lost && w.lun == lun) {
                    w.fault = "LUN " + lun + ": the acknowledged write at seq " + seq + " was lost (its backend lost the data)";
                    unreportedLoss.remove(lun);
                    done = true;
                } else if (exhausted) {
                    w.fault = exhaustedWhy;
                    done = true;
                } else {
                    done = headSeq.applyAsLong(init) > w.upTo;
                }
            }
            if (done) {
                it.remove();
                ready.add(w);
            }
        }
    }
}
