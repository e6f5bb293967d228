package io.evasan.nsc.cache.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.cache.CacheMessageDescriptor;
import io.evasan.nsc.cache.CacheStats;
import io.evasan.nsc.cache.DestageTarget;
import io.evasan.nsc.marker.SnapshotAction;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import static io.evasan.nsc.cache.CacheLogDescriptor.PAYLOAD_OFFSET;
import static io.evasan.nsc.cache.CacheLogDescriptor.offsetOf;
import static io.evasan.nsc.cache.CacheLogDescriptor.segmentOf;

/**
 * One destage of a cached write, or the firing of a marker, on a destage worker: the backend call outside the
 * cache's lock, then its completion under it — the entry leaves the cache (slot, log record, index, dependants,
 * marker counts, waiters), or on failure is retried with backoff, or after its bounded attempts against a backend
 * that lost the data is reported lost and leaves like a destaged one. Part of {@link WriteBackCache} (it works on
 * the cache's state, under the cache's lock, with the cache's rules: see its class comment).
 *
 * <p>Invariants: the backend is never called with the cache's lock held; an entry's completion (DONE in the log,
 * mirror completion, removal from its queue) happens once, after its data is in the backend (forced first when the
 * cache is power-loss safe); the mirror is published after the lock is released.
 */
final class DestageRun {
    private static final System.Logger LOG = System.getLogger(WriteBackCache.class.getName());

    private final WriteBackCache cache;
    private final DestageTarget target;
    private final SnapshotAction action;
    private final CacheStats stats;
    private final SegmentStore store;
    private final MirrorPublisher mirror;
    private final int maxAttempts;
    private final boolean powerLossSafe;
    private final ReentrantLock lock;
    private final Condition space;
    private final Condition work;
    private final Condition done;
    private final EntryTable entries;
    private final long[] eSeq;
    private final long[] eOffset;
    private final long[] eAddr;
    private final int[] eLun;
    private final int[] eLen;
    private final int[] eInit;
    private final int[] eFails;
    private final DestageScheduler scheduler;
    private final MarkerTracker markers;
    private final CacheSpace room;
    private final SyncWaiters syncWaiters;

    DestageRun(WriteBackCache cache) {
        this.cache = cache;
        this.target = cache.target;
        this.action = cache.action;
        this.stats = cache.stats;
        this.store = cache.store;
        this.mirror = cache.mirror;
        this.maxAttempts = cache.maxAttempts;
        this.powerLossSafe = cache.powerLossSafe;
        this.lock = cache.lock;
        this.space = cache.space;
        this.work = cache.work;
        this.done = cache.done;
        this.entries = cache.entries;
        this.eSeq = cache.eSeq;
        this.eOffset = cache.eOffset;
        this.eAddr = cache.eAddr;
        this.eLun = cache.eLun;
        this.eLen = cache.eLen;
        this.eInit = cache.eInit;
        this.eFails = cache.eFails;
        this.scheduler = cache.scheduler;
        this.markers = cache.markers;
        this.room = cache.room;
        this.syncWaiters = cache.syncWaiters;
    }


    void destage(int slot, ByteBuffer[] views) {
        long addr = eAddr[slot];
        int len = eLen[slot];
        int seg = segmentOf(addr);
        ByteBuffer v = views[seg];
        if (v == null) {
            v = store.segment(seg).duplicate();
            views[seg] = v;
        }
        int p = offsetOf(addr) + PAYLOAD_OFFSET;
        v.limit(p + len).position(p);
        scheduler.rateLimit(len);
        boolean ok;
        RuntimeException failure = null;
        try {
            target.write(eLun[slot], eOffset[slot], v);
            if (powerLossSafe) {
                target.flush(eLun[slot]); // the DONE mark below must never precede stable data
            }
            ok = true;
        } catch (RuntimeException e) {
            ok = false;
            failure = e;
            stats.destageError();
        }
        List<CompletableFuture<Void>> ready = null;
        List<SyncWaiters.SyncWaiter> sync;
        boolean lost = false;
        lock.lock();
        try {
            if (ok) {
                ready = completeLocked(slot, false);
            } else {
                int fails = ++eFails[slot];
                StorageException se = failure instanceof StorageException x ? x
                        : new StorageException(ErrorCode.IO_ERROR, String.valueOf(failure), failure);
                if (fails == 1) {
                    LOG.log(System.Logger.Level.WARNING, "destage of LUN " + eLun[slot] + " [" + eOffset[slot] + ", "
                            + (eOffset[slot] + len) + ") failed, retrying: " + failure);
                }
                if (fails >= maxAttempts && DestageTarget.losesData(se.code())) {
                    lost = true;
                    reportLostLocked(slot, se);
                    ready = completeLocked(slot, true);
                } else {
                    scheduler.retryLater(scheduler.queue(eInit[slot]), fails);
                    if (fails == maxAttempts) {
                        LOG.log(System.Logger.Level.ERROR, cache.failedWhy(slot) + ": " + failure);
                    }
                    if (fails >= maxAttempts && !syncWaiters.isEmpty()) {
                        // bounded: a wait for this entry ends with its next failed attempt
                        syncWaiters.entryLeft(slot, eSeq[slot], eLun[slot], eInit[slot], false, cache.failedWhy(slot));
                    }
                    work.signalAll();
                }
            }
            sync = syncWaiters.takeReady();
        } finally {
            lock.unlock();
        }
        mirror.publish();
        if (ok) {
            stats.destaged(len);
        } else if (lost) {
            stats.destageLost(len);
        }
        if (sync != null) {
            for (SyncWaiters.SyncWaiter w : sync) {
                syncWaiters.finish(w);
            }
        }
        CacheSpace.complete(ready);
    }

    /**
     * Reports the sectors of a given-up entry that it still is the newest cached holder of (newer
     * cached writes keep theirs) as lost to the target, and marks the LUN's loss for the next
     * SYNCHRONIZE CACHE / FUA. Caller holds the lock; the entry is still indexed.
     */
    private void reportLostLocked(int slot, StorageException cause) {
        int lun = eLun[slot];
        long off = eOffset[slot];
        long end = off + eLen[slot];
        LOG.log(System.Logger.Level.ERROR, "LUN " + lun + ": acknowledged write [" + off + ", " + end
                + ") is lost after " + eFails[slot] + " failed destages: " + cause.getMessage());
        entries.forEachNewestRun(slot, (start, length) -> target.destageLost(lun, start, length, cause));
        syncWaiters.markLoss(lun);
    }

    private List<CompletableFuture<Void>> completeLocked(int slot, boolean lost) {
        scheduler.removeHead(scheduler.queue(eInit[slot]), slot);
        long seq = eSeq[slot];
        int lun = eLun[slot];
        int len = eLen[slot];
        store.done(eAddr[slot]);
        mirror.enqueueCompletion(CacheMessageDescriptor.TYPE_DESTAGED, seq);
        markers.entryDone(seq, lun);
        cache.dirty -= len;
        stats.addDirty(-len);
        if (!syncWaiters.isEmpty()) {
            syncWaiters.entryLeft(slot, seq, lun, eInit[slot], lost, null);
        }
        entries.release(slot);
        space.signalAll();
        work.signalAll();
        done.signalAll();
        return room.ready();
    }

    void fireMarker(MarkerTracker.MarkerState m) {
        Throwable failure = null;
        try {
            action.takeSnapshot(m.ticket.request());
        } catch (Throwable t) {
            failure = t;
        }
        List<CompletableFuture<Void>> ready;
        lock.lock();
        try {
            markers.removeFired(m);
            store.done(m.addr);
            mirror.enqueueCompletion(CacheMessageDescriptor.TYPE_MARKER_DONE, m.ticket.seq());
            stats.marker(System.nanoTime() - m.ticket.insertedNanos());
            space.signalAll();
            work.signalAll();
            done.signalAll();
            ready = room.ready();
        } finally {
            lock.unlock();
        }
        mirror.publish();
        CacheSpace.complete(ready);
        if (failure == null) {
            m.ticket.taken().complete(m.ticket.request());
        } else {
            m.ticket.taken().completeExceptionally(failure);
        }
    }
}
