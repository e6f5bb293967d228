package io.evasan.nsc.cache.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.cache.CacheConfig;
import io.evasan.nsc.cache.CacheLogDescriptor;
import io.evasan.nsc.cache.CacheMessageDescriptor;
import io.evasan.nsc.cache.CacheStats;
import io.evasan.nsc.cache.CachedItem;
import io.evasan.nsc.cache.DestageTarget;
import io.evasan.nsc.cache.WriteCache;
import io.evasan.nsc.marker.SnapshotAction;
import io.evasan.nsc.marker.SnapshotMarker;
import io.evasan.nsc.marker.SnapshotRequest;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import static io.evasan.nsc.cache.CacheLogDescriptor.PAYLOAD_OFFSET;
import static io.evasan.nsc.cache.CacheLogDescriptor.offsetOf;
import static io.evasan.nsc.cache.CacheLogDescriptor.segmentOf;

/**
 * The write-back cache of one controller, volatile or non-volatile ({@link CacheConfig}).
 *
 * <p>This class admits writes, serves reads and runs each destage and its completion; its parts,
 * all guarded by its one lock unless they say otherwise: {@link EntryTable} (entry slots, extent
 * index, dependency edges), {@link DestageScheduler} (initiator queues, the pick, the workers),
 * {@link MarkerTracker} (pending markers), {@link SyncWaiters} (SYNCHRONIZE CACHE / FUA),
 * {@link CacheSpace} (room and its waiters), {@link MirrorPublisher} (the partner stream, its own
 * lock) and {@link CacheLogReplay} (the NV log at open).
 *
 * <p>How it keeps the {@link WriteCache} invariants:
 * <ul>
 * <li>One lock is the serialization point: a write chunk or a marker takes the next global
 *     sequence number, is appended to the {@link SegmentStore} (committed, crc'd and optionally
 *     msync'd), indexed, queued and its mirror message enqueued ({@link MirrorPublisher}) before the
 *     lock is released. The message is sent to the partner after the lock is released (batched with
 *     whatever else queued meanwhile), and the write returns once the partner acknowledged it; when
 *     the partner's unacknowledged window is full, {@link #write} waits outside the lock and
 *     {@link #tryWrite} returns {@link #FULL}. The channel is never called under the lock.</li>
 * <li>Each cached chunk is an entry slot (primitive arrays, preallocated) linked into its
 *     initiator's FIFO queue; a queue has at most one entry in flight, and only its head may be
 *     dispatched, so one initiator's writes reach the backend in order.</li>
 * <li>A per-LUN extent index maps every cached sector to the newest entry holding it (reads copy
 *     from there). When a new entry covers sectors whose newest holder belongs to another
 *     initiator, it records a dependency edge: it may not be dispatched until that older entry is
 *     destaged, so an older write never lands over a newer one.</li>
 * <li>A marker counts the entries on its LUNs that are older than it; entries younger than a
 *     pending marker on their LUN are not dispatched; when the count reaches zero and the marker
 *     is the oldest one, a worker calls the {@link SnapshotAction}, then removes the marker. The
 *     oldest pending item is always dispatchable, so the cache never deadlocks.</li>
 * <li>Space: a write waits until the store has room for all its chunks and enough free slots.</li>
 * <li>Failed destages are bounded: an entry's attempts are counted and retried with a doubling
 *     backoff (up to {@link CacheConfig#maxRetryBackoffMillis}); after
 *     {@link CacheConfig#maxDestageAttempts} failed attempts an entry whose backend lost the data
 *     ({@link DestageTarget#losesData}) is given up: the sectors it still is the newest holder of are
 *     reported by {@link DestageTarget#destageLost} under the lock (before a read can miss them in
 *     the index), then it leaves the cache like a destaged entry (its slot, log record and
 *     dependants are released, so it never pins the cache). Any other failure keeps the entry and
 *     retries it without limit.</li>
 * <li>Waiting never holds a thread of the caller's: SYNCHRONIZE CACHE and FUA are
 *     {@link SyncWaiters} completed by the destage workers; a waiter fails with WRITE_FAULT as soon
 *     as an entry it waits for is lost or fails an attempt beyond its bound (so a wait lasts at
 *     most the entry's bounded attempts, or one more attempt once they are spent), so a stuck LUN never makes a wait
 *     on another LUN, or any caller's thread, wait without bound. The LUN's flush runs on a cache
 *     thread ({@code cache-sync}).</li>
 * </ul>
 */
public final class WriteBackCache implements WriteCache {
    final DestageTarget target;
    final SnapshotAction action;
    final CacheStats stats;
    final SegmentStore store;
    final MirrorPublisher mirror;
    final int maxAttempts;
    private static final System.Logger LOG = System.getLogger(WriteBackCache.class.getName());
    final boolean powerLossSafe;

    final ReentrantLock lock = new ReentrantLock();
    final Condition space = lock.newCondition();
    final Condition work = lock.newCondition();
    final Condition done = lock.newCondition();

    private long seqCounter;
    /** Mirror sequence number of the last message {@link #insertLocked} enqueued (guarded by lock). */
    private long lastMirrorSeq;

    // ---- entry slots ({@link EntryTable}; the arrays are aliases of its arrays)
    final EntryTable entries;
    final long[] eSeq;
    final long[] eOffset;
    final long[] eAddr;
    final int[] eLun;
    final int[] eLen;
    final int[] eInit;
    private final int[] eDeps;
    private final int[] eNext;
    final int[] eFails;

    /** One destage or marker firing, from its backend call to its completion under the lock. */
    private final DestageRun run;

    // ---- per-initiator queues, the pick, the destage workers
    final DestageScheduler scheduler;

    // ---- markers, oldest first
    final MarkerTracker markers = new MarkerTracker();

    // ---- newest-entry-per-sector index
    private final ExtentIndex index;
    private final ThreadLocal<long[][]> gapBuffers = ThreadLocal.withInitial(() -> new long[][] {new long[16]});

    /** Room for writes and the writers waiting for it. */
    final CacheSpace room;
    final SyncWaiters syncWaiters;
    /** LUNs that lost acknowledged data not yet reported to a SYNCHRONIZE CACHE / FUA (guarded by lock; {@link SyncWaiters}). */
    private final java.util.Set<Integer> unreportedLoss = new java.util.HashSet<>();

    long dirty;
    private boolean closing;
    private boolean closed;
    /** Set by {@link #halt}: the controller crashed; read without the lock by the pair's router. */
    private volatile boolean halted;
    private final long recoveredWrites;
    private final long recoveredMarkers;
    private final List<String> recoveryFailures = new ArrayList<>();

    /**
     * Creates the cache. In non-volatile mode an existing log is first replayed into the backend in
     * sequence order (writes written, markers' snapshots taken via {@code action}), the backend is
     * flushed, and the log is trimmed; then the workers start. A backend failure while replaying a
     * write propagates and leaves the log untouched (nothing acknowledged is dropped; open again
     * once the backend is healthy), except a write whose RStore lost the data, which is given up after
     * bounded attempts as at run time; a failing snapshot or a lost write is recorded in
     * {@link #recoveryFailures()}.
     */
    public WriteBackCache(CacheConfig config, DestageTarget target, SnapshotAction action, CacheStats stats) {
        config.validate();
        this.target = target;
        this.action = action;
        this.stats = stats;
        this.maxAttempts = config.maxDestageAttempts();
        this.powerLossSafe = config.nonVolatileLog() != null && config.forceOnAck();
        long[] recovered = new long[2];
        if (config.nonVolatileLog() != null) {
            this.store = CacheLogReplay.openAndRecover(config, target, action, recovered, recoveryFailures, unreportedLoss);
        } else {
            this.store = SegmentStore.volatileStore(config.segmentSize(), config.segmentCount());
        }
        this.recoveredWrites = recovered[0];
        this.recoveredMarkers = recovered[1];
        int n = config.maxEntries();
        entries = new EntryTable(n);
        eSeq = entries.seq;
        eOffset = entries.offset;
        eAddr = entries.addr;
        eLun = entries.lun;
        eLen = entries.len;
        eInit = entries.init;
        eDeps = entries.deps;
        eNext = entries.next;
        eFails = entries.fails;
        index = entries.index;
        room = new CacheSpace(store, entries);
        this.mirror = new MirrorPublisher(config.mirror(), config.mirrorWindow(), lock);
        stats.setCapacity(capacityBytes());
        scheduler = new DestageScheduler(config, lock, work, eNext, eLen);
        syncWaiters = new SyncWaiters(target, unreportedLoss, init -> {
            DestageScheduler.InitQueue q = scheduler.queue(init);
            return q.head < 0 ? Long.MAX_VALUE : eSeq[q.head];
        });
        run = new DestageRun(this);   // after every field it reads, before the workers start
        scheduler.start(new DestageScheduler.Host() {
            @Override
            public MarkerTracker.MarkerState markerToFire() {
                return markers.readyToFire();
            }

            @Override
            public boolean held(int slot) {
                return eDeps[slot] > 0 || markerBlocked(slot);
            }

            @Override
            public void fire(MarkerTracker.MarkerState marker) {
                run.fireMarker(marker);
            }

            @Override
            public void destage(int slot, ByteBuffer[] views) {
                run.destage(slot, views);
            }
        }, config.destageWorkers(), store.segmentCount());
    }

    /** Writes replayed from the non-volatile log when this cache was opened. */
    public long recoveredWrites() {
        return recoveredWrites;
    }

    /** Markers whose snapshots were taken while replaying the log when this cache was opened. */
    public long recoveredMarkers() {
        return recoveredMarkers;
    }

    /**
     * Snapshots that failed while replaying the log (the marker's request and the error; their
     * writes were still replayed) and writes given up at replay because their RStore lost the data.
     * Empty when recovery replayed everything.
     */
    public List<String> recoveryFailures() {
        return List.copyOf(recoveryFailures);
    }

    public CacheStats stats() {
        return stats;
    }

    /** Largest single write this cache accepts (the SCSI layer reports it as the maximum transfer). */
    @Override
    public int maxWriteBytes() {
        long v = (long) (store.segmentCount() - 1) * store.maxPayloadPerSegment();
        return (int) Math.min(Integer.MAX_VALUE & ~511, v);
    }

    // ------------------------------------------------------------------ writes

    @Override
    public long write(int initiatorId, int lunId, long byteOffset, ByteBuffer src, boolean fua) {
        int len = src.remaining();
        validateWrite(lunId, byteOffset, len);
        long t0 = System.nanoTime();
        long seq;
        long mseq;
        while (true) {
            int chunks;
            lock.lock();
            try {
                checkOpen();
                if (!room.fits(len)) {
                    long w0 = System.nanoTime();
                    while (!room.fits(len)) {
                        space.awaitUninterruptibly();
                        checkOpen();
                    }
                    stats.backPressure(System.nanoTime() - w0);
                }
                chunks = room.chunksFor(len);
                if (mirror.hasRoom(chunks)) {
                    seq = insertLocked(initiatorId, lunId, byteOffset, src, len);
                    mseq = lastMirrorSeq;
                    break;
                }
            } finally {
                lock.unlock();
            }
            // the partner's window is full: wait for its acknowledgements outside the cache lock
            long w0 = System.nanoTime();
            mirror.awaitRoom(chunks);
            stats.backPressure(System.nanoTime() - w0);
        }
        mirror.awaitAcked(mseq);
        stats.ack(System.nanoTime() - t0);
        if (fua) {
            SyncWaiters.join(awaitQueuePastAsync(initiatorId, lunId, seq));
        }
        return seq;
    }

    @Override
    public long tryWrite(int initiatorId, int lunId, long byteOffset, ByteBuffer src) {
        int len = src.remaining();
        validateWrite(lunId, byteOffset, len);
        long t0 = System.nanoTime();
        long seq;
        long mseq;
        lock.lock();
        try {
            checkOpen();
            if (!room.fits(len) || !mirror.hasRoom(room.chunksFor(len))) {
                return FULL;
            }
            seq = insertLocked(initiatorId, lunId, byteOffset, src, len);
            mseq = lastMirrorSeq;
        } finally {
            lock.unlock();
        }
        mirror.awaitAcked(mseq);
        stats.ack(System.nanoTime() - t0);
        return seq;
    }

    @Override
    public CompletableFuture<Void> whenSpaceFor(int bytes) {
        if (bytes < 0 || bytes > maxWriteBytes()) {
            throw new IllegalArgumentException("bytes " + bytes + " outside [0, " + maxWriteBytes() + "]");
        }
        int chunks;
        lock.lock();
        try {
            if (!room.fits(bytes)) {
                return room.waitFor(bytes);
            }
            chunks = room.chunksFor(bytes);
        } finally {
            lock.unlock();
        }
        return mirror.whenRoom(chunks);
    }

    private void validateWrite(int lunId, long byteOffset, int len) {
        if (len == 0) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "empty write to LUN " + lunId);
        }
        validateRange(lunId, byteOffset, len);
        if (len > maxWriteBytes()) {
            throw new IllegalArgumentException("write of " + len + " bytes exceeds the cache's maximum "
                    + maxWriteBytes() + " (split it)");
        }
    }

    private void validateRange(int lunId, long byteOffset, long len) {
        if (byteOffset < 0 || (byteOffset & 511) != 0 || (len & 511) != 0) {
            throw new StorageException(ErrorCode.UNALIGNED_IO, "LUN " + lunId + ": offset " + byteOffset
                    + " length " + len + " not multiples of 512");
        }
        long size = target.lunSizeBytes(lunId);
        if (byteOffset + len > size || byteOffset + len < byteOffset) {
            throw new StorageException(ErrorCode.OUT_OF_RANGE, "LUN " + lunId + ": range [" + byteOffset + ", "
                    + (byteOffset + len) + ") beyond its size " + size);
        }
    }

    private void checkOpen() {
        if (halted) {
            throw new StorageException(ErrorCode.BUSY, "controller halted: its cache accepts nothing more");
        }
        if (closed || closing) {
            throw new IllegalStateException("cache closed");
        }
    }

    /**
     * A crash of the controller holding this cache (drills and tests in one JVM): from now on nothing is accepted
     * (BUSY), no more is destaged or sent to the partner, threads waiting for space or for the partner fail, and
     * the non-volatile log is left as it is, for the partner's replica (or the next open) to account for. What the
     * partner acknowledged before the halt is held by its replica. Returns once the destage workers have exited:
     * a destage under way when this is called finishes first (the pair fences the backend before halting, so it
     * fails without writing).
     */
    public void halt() {
        List<CompletableFuture<Void>> waitersOfHalt;
        lock.lock();
        try {
            if (closed) {
                return;
            }
            halted = true;
            closing = true;
            closed = true;
            scheduler.stopLocked();
            space.signalAll();
            done.signalAll();   // awaitNothingPending fails
            waitersOfHalt = syncWaiters.haltLocked();
        } finally {
            lock.unlock();
        }
        for (CompletableFuture<Void> f : waitersOfHalt) {
            f.completeExceptionally(new StorageException(ErrorCode.BUSY, "controller halted before the data was destaged"));
        }
        mirror.halt("controller halted");
        scheduler.join();
        syncWaiters.shutdown();
        store.close();
    }

    /** Whether {@link #halt} was called. */
    public boolean halted() {
        return halted;
    }

    private long insertLocked(int init, int lun, long off, ByteBuffer src, int len) {
        DestageScheduler.InitQueue q = scheduler.queue(init);
        int rem = len;
        long pos = off;
        int srcPos = src.position();
        long seq = 0;
        while (rem > 0) {
            int room = store.activeRoom512();
            if (room == 0) {
                room = store.maxPayloadPerSegment();
            }
            int n = Math.min(rem, room);
            seq = ++seqCounter;
            long addr = store.append(CacheLogDescriptor.TYPE_WRITE, seq, init, lun, pos, n);
            ByteBuffer seg = store.segment(segmentOf(addr));
            int dataIndex = offsetOf(addr) + PAYLOAD_OFFSET;
            seg.put(dataIndex, src, srcPos, n);
            store.commit(addr);
            int slot = entries.allocate(seq, pos, addr, lun, n, init);
            scheduler.append(q, slot);
            dirty += n;
            stats.addDirty(n);
            lastMirrorSeq = mirror.enqueueWrite(seq, init, lun, pos, seg, dataIndex, n);
            rem -= n;
            pos += n;
            srcPos += n;
        }
        src.position(src.limit());
        work.signalAll();
        return seq;
    }

    @Override
    public void setInitiatorWeight(int initiatorId, int weight) {
        if (weight < 1) {
            throw new IllegalArgumentException("weight must be >= 1: " + weight);
        }
        lock.lock();
        try {
            scheduler.setWeight(initiatorId, weight);
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ reads

    @Override
    public void read(int lunId, long byteOffset, ByteBuffer dst) {
        int len = dst.remaining();
        if (len == 0) {
            return;
        }
        validateRange(lunId, byteOffset, len);
        int base = dst.position();
        int limit = dst.limit();
        long end = byteOffset + len;
        long[][] holder = gapBuffers.get();
        long[] gaps = holder[0];
        int ngaps = 0;
        lock.lock();
        try {
            long cur = byteOffset;
            index.lookup(lunId, byteOffset, end);
            long[] xs = index.outStart();
            long[] xe = index.outEnd();
            int[] xslot = index.outSlot();
            for (int i = 0, n = index.outCount(); i < n; i++) {
                if (xs[i] > cur) {
                    if (ngaps + 2 > gaps.length) {
                        gaps = Arrays.copyOf(gaps, gaps.length * 2);
                        holder[0] = gaps;
                    }
                    gaps[ngaps++] = cur;
                    gaps[ngaps++] = xs[i];
                }
                int slot = xslot[i];
                long addr = eAddr[slot];
                ByteBuffer seg = store.segment(segmentOf(addr));
                int srcIndex = offsetOf(addr) + PAYLOAD_OFFSET + (int) (xs[i] - eOffset[slot]);
                dst.put(base + (int) (xs[i] - byteOffset), seg, srcIndex, (int) (xe[i] - xs[i]));
                cur = xe[i];
            }
            if (cur < end) {
                if (ngaps + 2 > gaps.length) {
                    gaps = Arrays.copyOf(gaps, gaps.length * 2);
                    holder[0] = gaps;
                }
                gaps[ngaps++] = cur;
                gaps[ngaps++] = end;
            }
        } finally {
            lock.unlock();
        }
        try {
            for (int i = 0; i < ngaps; i += 2) {
                dst.limit(base + (int) (gaps[i + 1] - byteOffset)).position(base + (int) (gaps[i] - byteOffset));
                target.read(lunId, gaps[i], dst);
            }
        } finally {
            dst.limit(limit).position(base + len);
        }
    }

    // ------------------------------------------------------------------ sync / FUA

    /**
     * A waiter that completes once the initiator's queue has no entry with seq <= upTo (and the LUN
     * is flushed); it fails as {@link #synchronizeAsync} does.
     */
    CompletableFuture<Void> awaitQueuePastAsync(int init, int lunId, long upTo) {
        SyncWaiters.SyncWaiter w = new SyncWaiters.SyncWaiter(lunId, init, upTo);
        lock.lock();
        try {
            DestageScheduler.InitQueue q = scheduler.queue(init);
            if (syncWaiters.takeLoss(lunId)) {
                w.fault = "LUN " + lunId + " lost acknowledged writes (its backend lost their data)";
            } else if (q.head >= 0 && eSeq[q.head] <= upTo) {
                syncWaiters.add(w);
                return w.future;
            }
        } finally {
            lock.unlock();
        }
        syncWaiters.finish(w);
        return w.future;
    }

    @Override
    public void synchronize(int lunId, long byteOffset, long length) {
        SyncWaiters.join(synchronizeAsync(lunId, byteOffset, length));
    }

    @Override
    public CompletableFuture<Void> synchronizeAsync(int lunId, long byteOffset, long length) {
        long size = target.lunSizeBytes(lunId);
        long len = length == 0 ? size - byteOffset : length;
        validateRange(lunId, byteOffset, len);
        long end = byteOffset + len;
        SyncWaiters.SyncWaiter w = new SyncWaiters.SyncWaiter(lunId, -1, -1);
        boolean inline = false;
        lock.lock();
        try {
            int n = 0;
            int[] slots = new int[16];
            long[] seqs = new long[16];
            for (DestageScheduler.InitQueue q : scheduler.queues()) {
                for (int s = q.head; s >= 0; s = eNext[s]) {
                    if (eLun[s] == lunId && eOffset[s] < end && eOffset[s] + eLen[s] > byteOffset) {
                        if (n == slots.length) {
                            slots = Arrays.copyOf(slots, n * 2);
                            seqs = Arrays.copyOf(seqs, n * 2);
                        }
                        slots[n] = s;
                        seqs[n++] = eSeq[s];
                    }
                }
            }
            if (syncWaiters.takeLoss(lunId) && w.fault == null) {
                w.fault = "LUN " + lunId + " lost acknowledged writes (its backend lost their data)";
            }
            if (w.fault == null && n == 0) {
                // nothing to wait for: flush on the caller's thread, as a plain SYNCHRONIZE CACHE
                // always did (no hand-off to a cache thread on the common path)
                inline = true;
            } else if (w.fault == null) {
                SyncWaiters.sortBySlot(slots, seqs, n);
                w.slots = slots;
                w.seqs = seqs;
                w.count = n;
                w.remaining = n;
                syncWaiters.add(w);
                return w.future;
            }
        } finally {
            lock.unlock();
        }
        if (inline) {
            try {
                target.flush(lunId);
                w.future.complete(null);
            } catch (RuntimeException e) {
                w.future.completeExceptionally(e);
            }
            return w.future;
        }
        syncWaiters.finish(w);
        return w.future;
    }

    String failedWhy(int slot) {
        return "LUN " + eLun[slot] + ": destage of [" + eOffset[slot] + ", " + (eOffset[slot] + eLen[slot])
                + ") failed " + eFails[slot] + " times; the write stays cached and is retried";
    }

    @Override
    public void synchronizeAll() {
        lock.lock();
        try {
            long upTo = seqCounter;
            while (oldestPendingSeq() <= upTo) {
                done.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
        mirror.awaitAcked(mirror.lastAssigned());
        target.flushAll();
    }

    private long oldestPendingSeq() {
        long min = Long.MAX_VALUE;
        for (DestageScheduler.InitQueue q : scheduler.queues()) {
            if (q.head >= 0) {
                min = Math.min(min, eSeq[q.head]);
            }
        }
        return Math.min(min, markers.oldestSeq());
    }

    // ------------------------------------------------------------------ markers

    @Override
    public SnapshotMarker insertMarker(SnapshotRequest request) {
        byte[] name = request.name().getBytes(StandardCharsets.UTF_8);
        int payload = CacheLogDescriptor.markerPayloadLength(request.lunCount(), name.length);
        SnapshotMarker ticket;
        long mseq;
        lock.lock();
        try {
            checkOpen();
            while (!store.fitsSmall(payload)) {
                space.awaitUninterruptibly();
                checkOpen();
            }
            long seq = ++seqCounter;
            long addr = store.append(CacheLogDescriptor.TYPE_MARKER, seq, request.lunCount(), request.kindWord(),
                    request.requestId(), payload);
            CacheMessageDescriptor.putMarkerPayload(store.segment(segmentOf(addr)), offsetOf(addr) + PAYLOAD_OFFSET,
                    request, name);
            store.commit(addr);
            ticket = new SnapshotMarker(seq, request, System.nanoTime());
            int older = 0;
            for (DestageScheduler.InitQueue q : scheduler.queues()) {
                for (int s = q.head; s >= 0; s = eNext[s]) {
                    if (request.covers(eLun[s])) {
                        older++;
                    }
                }
            }
            markers.add(ticket, addr, older);
            mseq = mirror.enqueueMarker(seq, request, payload);
            work.signalAll();
        } finally {
            lock.unlock();
        }
        mirror.awaitAcked(mseq);
        return ticket;
    }

    /**
     * Waits until nothing of {@code lun} is pending: no cached write on it and no marker naming it (the pair
     * moves a unit once its writes are destaged and its markers fired). Woken by each destage completion and marker
     * firing; fails BUSY if the cache is halted (or the thread interrupted) while something of the LUN is pending.
     */
    public void awaitNothingPending(int lun) {
        lock.lock();
        try {
            while (pendingOnLocked(lun)) {
                if (halted) {
                    throw new StorageException(ErrorCode.BUSY, "controller halted with LUN " + lun + " still cached");
                }
                done.await();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageException(ErrorCode.BUSY, "interrupted while waiting for LUN " + lun + " to drain");
        } finally {
            lock.unlock();
        }
    }

    private boolean pendingOnLocked(int lun) {
        for (DestageScheduler.InitQueue q : scheduler.queues()) {
            for (int s = q.head; s >= 0; s = eNext[s]) {
                if (eLun[s] == lun) {
                    return true;
                }
            }
        }
        return markers.covers(lun);
    }

    private boolean markerBlocked(int slot) {
        return markers.blocks(eSeq[slot], eLun[slot]);
    }

    // ------------------------------------------------------------------ introspection / lifecycle

    @Override
    public long dirtyBytes() {
        lock.lock();
        try {
            return dirty;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Why the mirror partner was given up (its channel reported it lost or a send failed), or null
     * while mirroring or without a partner. Once set, writes are acknowledged unmirrored (durable in
     * the NV log in non-volatile mode) and stay so: re-joining a partner is the two-controller work.
     */
    public String mirrorLost() {
        return mirror.lostReason();
    }

    /** Mirror messages enqueued and not yet acknowledged by the partner (0 without one). */
    public long mirrorUnacked() {
        return mirror.unacked();
    }

    /** {batches, messages} sent to the partner so far (messages / batches = the batching achieved). */
    public long[] mirrorSendCounts() {
        return mirror.sendCounts();
    }

    @Override
    public long capacityBytes() {
        return (long) store.segmentSize() * store.segmentCount();
    }

    @Override
    public List<CachedItem> pendingItems() {
        List<CachedItem> out = new ArrayList<>();
        lock.lock();
        try {
            for (DestageScheduler.InitQueue q : scheduler.queues()) {
                for (int s = q.head; s >= 0; s = eNext[s]) {
                    out.add(new CachedItem(false, eSeq[s], eInit[s], eLun[s], eOffset[s], eLen[s], null));
                }
            }
            markers.addTo(out);
        } finally {
            lock.unlock();
        }
        out.sort(Comparator.comparingLong(CachedItem::seq));
        return out;
    }

    @Override
    public void pauseDestage() {
        lock.lock();
        try {
            scheduler.pauseLocked(true);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void resumeDestage() {
        lock.lock();
        try {
            scheduler.pauseLocked(false);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            if (closed || closing) {
                return;
            }
            closing = true;
            scheduler.pauseLocked(false);
        } finally {
            lock.unlock();
        }
        synchronizeAll();
        lock.lock();
        try {
            closed = true;
            scheduler.stopLocked();
            space.signalAll();
        } finally {
            lock.unlock();
        }
        scheduler.join();
        syncWaiters.shutdown();
        if (store.nonVolatile()) {
            store.trim();
        }
        store.close();
    }
}
