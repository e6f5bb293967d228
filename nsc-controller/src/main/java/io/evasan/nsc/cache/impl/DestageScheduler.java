package io.evasan.nsc.cache.impl;

import io.evasan.nsc.cache.CacheConfig;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * What a {@link WriteBackCache}'s destage workers take next, and the workers themselves (moved out of
 * {@code WriteBackCache}): the per-initiator FIFO queues, the weighted fair pick, the retry backoff
 * of a failed destage, the destage rate limit, pause / resume and the {@code cache-destage-N} threads.
 *
 * <p>Invariants (state guarded by the cache lock given at construction):
 * <ul>
 * <li>Each initiator has one FIFO queue of entry slots, linked through the entry table's
 *     {@code next} array; only a queue's head may be dispatched and a queue has at most one entry
 *     in flight, so one initiator's writes reach the backend in sequence order, one at a time.</li>
 * <li>{@link #pickEntry} takes, among the heads that are not in flight, not backing off and not
 *     {@linkplain Host#held held} by the cache (an unmet dependency edge or a marker ahead), the one
 *     whose queue has the least virtual time; a dispatch costs {@code (length + 4 KiB) * 64 / weight},
 *     so queues are served in proportion to their weights.</li>
 * <li>A marker that may fire ({@link Host#markerToFire}) goes before any write; the oldest pending item
 *     is always dispatchable, so the workers never deadlock.</li>
 * <li>A failed destage leaves its entry at the head and backs the queue off for
 *     {@code retryBackoff << (fails - 1)}, at most {@code maxRetryBackoff}.</li>
 * <li>Workers hold no lock while they destage or fire a marker ({@link Host#destage},
 *     {@link Host#fire}); they stop once {@link #stopLocked} was called.</li>
 * </ul>
 */
final class DestageScheduler {
    /** What the workers ask of the cache. */
    interface Host {
        /** Under the lock: the oldest marker if it may fire now (marked firing), else null. */
        MarkerTracker.MarkerState markerToFire();

        /** Under the lock: true while the queue head {@code slot} must not be dispatched yet. */
        boolean held(int slot);

        /** Without the lock: takes the marker's snapshot and removes it. */
        void fire(MarkerTracker.MarkerState marker);

        /** Without the lock: writes entry {@code slot} to the backend and completes or retries it. */
        void destage(int slot, ByteBuffer[] views);
    }

    /** One initiator's FIFO of cached entries. Guarded by the cache lock. */
    static final class InitQueue {
        final int id;
        int head = -1;
        int tail = -1;
        int count;
        int weight = 1;
        long vtime;
        boolean inFlight;
        long retryAt;

        InitQueue(int id) {
            this.id = id;
        }
    }

    private final ReentrantLock lock;
    private final Condition work;
    private final int[] next;
    private final int[] length;
    private final long retryBackoffNanos;
    private final long maxRetryBackoffNanos;
    private final long rateBytesPerSecond;
    private final AtomicLong rateNextFree = new AtomicLong();

    private final IntIntHashMap queueIndex = new IntIntHashMap(-1);
    private final List<InitQueue> queueList = new ArrayList<>();
    private long virtualTime;
    private boolean paused;
    private boolean stopped;
    private Thread[] workers = new Thread[0];

    /**
     * {@code next} and {@code length}: the entry table's link and length arrays (shared with the
     * cache, guarded by {@code lock}); {@code work} is signalled whenever there may be work.
     */
    DestageScheduler(CacheConfig config, ReentrantLock lock, Condition work, int[] next, int[] length) {
        this.lock = lock;
        this.work = work;
        this.next = next;
        this.length = length;
        this.retryBackoffNanos = TimeUnit.MILLISECONDS.toNanos(config.retryBackoffMillis());
        this.maxRetryBackoffNanos = TimeUnit.MILLISECONDS.toNanos(config.maxRetryBackoffMillis());
        this.rateBytesPerSecond = config.destageBytesPerSecond();
    }

    /** Starts {@code n} {@code cache-destage-N} workers serving {@code host}. */
    void start(Host host, int n, int segmentCount) {
        workers = new Thread[n];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Thread(() -> workerLoop(host, segmentCount), "cache-destage-" + i);
            workers[i].setDaemon(true);
            workers[i].start();
        }
    }

    // ------------------------------------------------------------------ queues (under the lock)

    InitQueue queue(int init) {
        int i = queueIndex.get(init);
        if (i >= 0) {
            return queueList.get(i);
        }
        InitQueue q = new InitQueue(init);
        q.vtime = virtualTime;
        queueIndex.put(init, queueList.size());
        queueList.add(q);
        return q;
    }

    /** Every queue (possibly empty), in creation order. */
    List<InitQueue> queues() {
        return queueList;
    }

    /** Links a new entry {@code slot} (its {@code next} already -1) at the tail of {@code q}. */
    void append(InitQueue q, int slot) {
        if (q.head < 0) {
            q.head = slot;
            q.vtime = Math.max(q.vtime, virtualTime);
        } else {
            next[q.tail] = slot;
        }
        q.tail = slot;
        q.count++;
    }

    /** Unlinks {@code slot}, which must be the head of {@code q}, after its destage ended. */
    void removeHead(InitQueue q, int slot) {
        if (q.head != slot) {
            throw new IllegalStateException("destaged entry is not its queue's head");
        }
        q.head = next[slot];
        if (q.head < 0) {
            q.tail = -1;
        }
        q.count--;
        q.inFlight = false;
        q.retryAt = 0;
    }

    /** The head of {@code q} failed its {@code fails}-th attempt: it stays and is retried after a backoff. */
    void retryLater(InitQueue q, int fails) {
        q.inFlight = false;
        long backoff = retryBackoffNanos << Math.min(fails - 1, 20);
        q.retryAt = System.nanoTime() + Math.min(maxRetryBackoffNanos, Math.max(backoff, retryBackoffNanos));
    }

    void setWeight(int init, int weight) {
        queue(init).weight = weight;
    }

    void pauseLocked(boolean on) {
        paused = on;
        if (!on) {
            work.signalAll();
        }
    }

    /** Workers finish what they hold and exit. */
    void stopLocked() {
        stopped = true;
        work.signalAll();
    }

    /** Waits for the workers to exit (after {@link #stopLocked}; without the lock). */
    void join() {
        for (Thread t : workers) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ------------------------------------------------------------------ workers

    private void workerLoop(Host host, int segmentCount) {
        ByteBuffer[] views = new ByteBuffer[segmentCount];
        while (true) {
            int slot = -1;
            MarkerTracker.MarkerState fire = null;
            lock.lock();
            try {
                while (true) {
                    if (stopped) {
                        return;
                    }
                    long waitNanos = Long.MAX_VALUE;
                    if (!paused) {
                        fire = host.markerToFire();
                        if (fire != null) {
                            break;
                        }
                        long now = System.nanoTime();
                        slot = pickEntry(host, now);
                        if (slot >= 0) {
                            break;
                        }
                        waitNanos = nextRetryIn(now);
                    }
                    if (waitNanos == Long.MAX_VALUE) {
                        work.awaitUninterruptibly();
                    } else {
                        try {
                            work.awaitNanos(waitNanos);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                }
            } finally {
                lock.unlock();
            }
            if (fire != null) {
                host.fire(fire);
            } else {
                host.destage(slot, views);
            }
        }
    }

    private long nextRetryIn(long now) {
        long best = Long.MAX_VALUE;
        for (InitQueue q : queueList) {
            if (q.head >= 0 && !q.inFlight && q.retryAt > now) {
                best = Math.min(best, q.retryAt - now);
            }
        }
        return best;
    }

    /** Picks the dispatchable queue head with the least virtual time (weighted fair), or -1. */
    private int pickEntry(Host host, long now) {
        InitQueue best = null;
        for (int i = 0, n = queueList.size(); i < n; i++) {
            InitQueue q = queueList.get(i);
            int s = q.head;
            if (s < 0 || q.inFlight || q.retryAt > now || host.held(s)) {
                continue;
            }
            if (best == null || q.vtime < best.vtime) {
                best = q;
            }
        }
        if (best == null) {
            return -1;
        }
        int s = best.head;
        best.inFlight = true;
        virtualTime = Math.max(virtualTime, best.vtime);
        best.vtime += (length[s] + 4096L) * 64 / best.weight;
        return s;
    }

    /** Paces destage to the configured rate across all workers (no-op without a rate). No lock. */
    void rateLimit(int len) {
        if (rateBytesPerSecond <= 0) {
            return;
        }
        long cost = len * 1_000_000_000L / rateBytesPerSecond;
        long start;
        while (true) {
            long now = System.nanoTime();
            long nf = rateNextFree.get();
            start = Math.max(now, nf);
            if (rateNextFree.compareAndSet(nf, start + cost)) {
                break;
            }
        }
        long wait;
        while ((wait = start - System.nanoTime()) > 0) {
            LockSupport.parkNanos(wait);
        }
    }
}
