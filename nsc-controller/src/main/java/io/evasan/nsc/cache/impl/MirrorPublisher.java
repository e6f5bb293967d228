package io.evasan.nsc.cache.impl;

import io.evasan.nsc.cache.CacheMessageDescriptor;
import io.evasan.nsc.cache.MirrorChannel;
import io.evasan.nsc.marker.SnapshotRequest;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.CRC32C;

/**
 * The mirror stream of one {@link WriteBackCache}: numbers the cache's messages, batches them and
 * hands the batches to the {@link MirrorChannel} outside the cache lock, and tracks the partner's
 * cumulative acknowledgement.
 *
 * <p>Invariants:
 * <ul>
 * <li>Mirror sequence numbers are 1, 2, 3, ... in the order of the {@code enqueue*} calls, which the
 *     cache makes under its lock, so the partner sees the cache's changes in the cache's order. The
 *     {@code enqueue*} calls only copy the message into the pending batch (this object's own short
 *     lock, never the channel).</li>
 * <li>The channel is called only by {@link #publish}, {@link #awaitAcked} and {@link #awaitRoom},
 *     which refuse to run under the cache lock ({@code IllegalStateException}); one thread at a time
 *     sends (the leader), batches go out in sequence order without gap, and the leader keeps sending
 *     while messages are pending (a message whose enqueuer did not wait is never stranded), handing
 *     over to a waiting thread once its own message is acknowledged.</li>
 * <li>{@code acked <= sent <= assigned}; {@code acked} never decreases. A host write waits (outside
 *     the cache lock) until its message is acked.</li>
 * <li>Window: {@link #hasRoom} is false while {@code assigned - acked + messages > window} (unless
 *     nothing is unacked); the cache admits host writes only with room, so at most {@code window}
 *     host messages are unacknowledged (completions and markers are always enqueued: they are bounded
 *     by the cache's entries and must not stall destage).</li>
 * <li>Lost partner (the channel reports {@link #lost} or {@code send} throws): from then on nothing is
 *     sent, {@code enqueue*} return 0, every wait returns at once and {@link #lostReason()} says why;
 *     writes go on unmirrored (durable in the NV log when the cache has one). Re-joining a partner
 *     (resync) belongs to the two-controller work.</li>
 * <li>Without a channel every method is a no-op that never blocks.</li>
 * </ul>
 */
final class MirrorPublisher implements MirrorChannel.Acks {
    private static final System.Logger LOG = System.getLogger(MirrorPublisher.class.getName());
    private static final int INITIAL_BATCH_BYTES = 64 << 10;

    private final MirrorChannel channel;
    private final int window;
    private final ReentrantLock cacheLock;

    private final ReentrantLock plock = new ReentrantLock();
    private final Condition changed = plock.newCondition();
    private final CRC32C crc = new CRC32C();
    private ByteBuffer filling;
    private ByteBuffer spare;
    private long assigned;
    private long taken;
    private long acked;
    private boolean sending;
    /** Threads inside awaitAcked / awaitRoom (the leader among them). */
    private int waiting;
    /** A {@link #publish} found another thread sending: the leader must not hand over before taking the next batch. */
    private boolean publishRequested;
    private String lostReason;
    /** Set when the controller holding this cache crashed ({@link #halt}): waiters fail instead of returning. */
    private String haltedReason;
    private long batches;
    private long messagesSent;
    private final List<RoomWaiter> roomWaiters = new ArrayList<>();

    private record RoomWaiter(int messages, CompletableFuture<Void> future) {
    }

    /** {@code channel} null = no partner. {@code cacheLock}: the lock the channel must never be called under. */
    MirrorPublisher(MirrorChannel channel, int window, ReentrantLock cacheLock) {
        if (window < 1) {
            throw new IllegalArgumentException("mirror window must be >= 1: " + window);
        }
        this.channel = channel;
        this.window = window;
        this.cacheLock = cacheLock;
        if (channel != null) {
            filling = ByteBuffer.allocate(INITIAL_BATCH_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            channel.connect(this);
        }
    }

    boolean enabled() {
        return channel != null;
    }

    // ------------------------------------------------------------------ enqueue (under the cache lock)

    /** Appends a WRITE message; returns its mirror sequence number (0: nothing to wait for). */
    long enqueueWrite(long seq, int init, int lun, long byteOffset, ByteBuffer data, int dataIndex, int length) {
        if (channel == null) {
            return 0;
        }
        plock.lock();
        try {
            if (lostReason != null) {
                return 0;
            }
            ByteBuffer dst = room(CacheMessageDescriptor.messageLength(length));
            long m = ++assigned;
            advance(CacheMessageDescriptor.encodeWrite(dst, crc, m, seq, init, lun, byteOffset, data, dataIndex, length));
            return m;
        } finally {
            plock.unlock();
        }
    }

    /** Appends a MARKER message; returns its mirror sequence number (0: nothing to wait for). */
    long enqueueMarker(long seq, SnapshotRequest request, int payloadLength) {
        if (channel == null) {
            return 0;
        }
        plock.lock();
        try {
            if (lostReason != null) {
                return 0;
            }
            ByteBuffer dst = room(CacheMessageDescriptor.messageLength(payloadLength));
            long m = ++assigned;
            advance(CacheMessageDescriptor.encodeMarker(dst, crc, m, seq, request));
            return m;
        } finally {
            plock.unlock();
        }
    }

    /** Appends a DESTAGED / MARKER_DONE message; returns its mirror sequence number (0: none). */
    long enqueueCompletion(int type, long seq) {
        if (channel == null) {
            return 0;
        }
        plock.lock();
        try {
            if (lostReason != null) {
                return 0;
            }
            ByteBuffer dst = room(CacheMessageDescriptor.HEADER_LENGTH);
            long m = ++assigned;
            advance(CacheMessageDescriptor.encodeCompletion(dst, crc, m, type, seq));
            return m;
        } finally {
            plock.unlock();
        }
    }

    /** A little-endian view at the end of the pending batch with {@code bytes} of room (grows it). */
    private ByteBuffer room(int bytes) {
        int pos = filling.position();
        if (filling.capacity() - pos < bytes) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(filling.capacity() * 2, pos + bytes))
                    .order(ByteOrder.LITTLE_ENDIAN);
            bigger.put(0, filling, 0, pos).position(pos);
            filling = bigger;
        }
        return filling.slice(pos, bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    private void advance(int messageLength) {
        filling.position(filling.position() + messageLength);
    }

    // ------------------------------------------------------------------ window (under the cache lock)

    /** True if {@code messages} more host messages fit in the unacknowledged window (always without a partner). */
    boolean hasRoom(int messages) {
        if (channel == null) {
            return true;
        }
        plock.lock();
        try {
            return roomLocked(messages);
        } finally {
            plock.unlock();
        }
    }

    private boolean roomLocked(int messages) {
        long unacked = assigned - acked;
        return lostReason != null || unacked == 0 || unacked + messages <= window;
    }

    /** The last mirror sequence number assigned (0 when none). */
    long lastAssigned() {
        if (channel == null) {
            return 0;
        }
        plock.lock();
        try {
            return assigned;
        } finally {
            plock.unlock();
        }
    }

    // ------------------------------------------------------------------ sending (never under the cache lock)

    /** Sends what is pending unless another thread is sending (it then sends it); never waits for an ack. */
    void publish() {
        if (channel == null) {
            return;
        }
        plock.lock();
        try {
            if (!sending && taken < assigned && lostReason == null) {
                lead(Long.MAX_VALUE);
            } else if (sending) {
                publishRequested = true;
            }
        } finally {
            plock.unlock();
        }
    }

    /** Returns once message {@code mirrorSeq} is acknowledged by the partner (or the partner is lost). */
    void awaitAcked(long mirrorSeq) {
        if (channel == null || mirrorSeq == 0) {
            return;
        }
        plock.lock();
        try {
            waiting++;
            try {
                // halted first: a halted cache's write is never acknowledged unless the partner holds it; the
                // partner's loss (unmirrored acknowledgement, the write durable in this cache's own log) counts only
                // while this cache runs. A takeover cuts the link of the cache it halted: without this order a writer
                // that reached this wait after the halt and the cut was acknowledged with its write in neither cache
                // (PairDrillTest's kill drill lost one acknowledged block so).
                while (acked < mirrorSeq) {
                    checkNotHalted();
                    if (lostReason != null) {
                        break;
                    }
                    if (!sending && taken < assigned) {
                        lead(mirrorSeq);
                    } else {
                        changed.awaitUninterruptibly();
                    }
                }
            } finally {
                waiting--;
            }
        } finally {
            plock.unlock();
        }
    }

    /** Returns once {@code messages} host messages fit in the window (sending what is pending meanwhile). */
    void awaitRoom(int messages) {
        if (channel == null) {
            return;
        }
        plock.lock();
        try {
            waiting++;
            try {
                while (!roomLocked(messages)) {
                    checkNotHalted();
                    if (!sending && taken < assigned) {
                        lead(assigned);
                    } else {
                        changed.awaitUninterruptibly();
                    }
                }
            } finally {
                waiting--;
            }
        } finally {
            plock.unlock();
        }
    }

    /** Completes once {@code messages} host messages may fit in the window (immediately when they do). */
    CompletableFuture<Void> whenRoom(int messages) {
        if (channel == null) {
            return CompletableFuture.completedFuture(null);
        }
        plock.lock();
        try {
            if (roomLocked(messages)) {
                return CompletableFuture.completedFuture(null);
            }
            CompletableFuture<Void> f = new CompletableFuture<>();
            roomWaiters.add(new RoomWaiter(messages, f));
            return f;
        } finally {
            plock.unlock();
        }
    }

    /**
     * The leader's loop (plock held on entry and exit; released around each send): sends pending
     * batches until none is left, or until {@code own} is acknowledged while another thread waits
     * and no {@link #publish} is owed (then every pending message belongs to a thread that waits for
     * it or is about to call in, and one of those leads next).
     */
    private void lead(long own) {
        if (cacheLock.isHeldByCurrentThread()) {
            throw new IllegalStateException("mirror send under the cache lock");
        }
        sending = true;
        try {
            while (lostReason == null && haltedReason == null && taken < assigned && !(acked >= own && waiting > 1 && !publishRequested)) {
                publishRequested = false;
                ByteBuffer batch = filling;
                long first = taken + 1;
                long last = assigned;
                taken = last;
                filling = spare != null ? spare : ByteBuffer.allocate(INITIAL_BATCH_BYTES).order(ByteOrder.LITTLE_ENDIAN);
                spare = null;
                filling.clear();
                batch.flip();
                RuntimeException failure = null;
                plock.unlock();
                try {
                    channel.send(batch, first, last);
                } catch (RuntimeException e) {
                    failure = e;
                } finally {
                    plock.lock();
                }
                batches++;
                messagesSent += last - first + 1;
                batch.clear();
                if (spare == null || spare.capacity() < batch.capacity()) {
                    spare = batch;
                }
                if (failure != null) {
                    loseLocked("send of mirror messages " + first + ".." + last + " failed: " + failure);
                }
            }
        } finally {
            sending = false;
            changed.signalAll();
        }
    }

    // ------------------------------------------------------------------ from the channel

    @Override
    public void acked(long mirrorSeq) {
        List<RoomWaiter> ready = null;
        plock.lock();
        try {
            if (mirrorSeq > acked) {
                acked = Math.min(mirrorSeq, taken);
                changed.signalAll();
                ready = readyRoomWaiters();
            }
        } finally {
            plock.unlock();
        }
        complete(ready);
    }

    @Override
    public void lost(String reason) {
        List<RoomWaiter> ready;
        plock.lock();
        try {
            loseLocked(reason);
            ready = readyRoomWaiters();
        } finally {
            plock.unlock();
        }
        complete(ready);
    }

    /**
     * The controller holding this cache crashed: nothing more is sent, and every thread waiting for an
     * acknowledgement or for room fails (a crashed controller acknowledges nothing more). Messages the partner
     * acknowledged before stay acknowledged: the partner's replica holds them.
     */
    void halt(String reason) {
        plock.lock();
        try {
            if (haltedReason == null) {
                haltedReason = reason;
                changed.signalAll();
            }
        } finally {
            plock.unlock();
        }
    }

    private void checkNotHalted() {
        if (haltedReason != null) {
            throw new io.evasan.error.StorageException(io.evasan.error.ErrorCode.BUSY, "controller halted: "
                    + haltedReason);
        }
    }

    private void loseLocked(String reason) {
        if (lostReason != null) {
            return;
        }
        lostReason = reason;
        LOG.log(System.Logger.Level.ERROR, "cache mirror partner lost, writes continue unmirrored: " + reason
                + " (acknowledged by the partner up to " + acked + " of " + assigned + ")");
        filling.clear();
        taken = assigned;
        changed.signalAll();
    }

    private List<RoomWaiter> readyRoomWaiters() {
        List<RoomWaiter> ready = null;
        for (Iterator<RoomWaiter> it = roomWaiters.iterator(); it.hasNext(); ) {
            RoomWaiter w = it.next();
            if (roomLocked(w.messages)) {
                it.remove();
                if (ready == null) {
                    ready = new ArrayList<>();
                }
                ready.add(w);
            }
        }
        return ready;
    }

    private static void complete(List<RoomWaiter> ready) {
        if (ready != null) {
            for (RoomWaiter w : ready) {
                w.future.complete(null);
            }
        }
    }

    // ------------------------------------------------------------------ introspection

    /** Why the partner was given up, or null while mirroring (or without a partner). */
    String lostReason() {
        if (channel == null) {
            return null;
        }
        plock.lock();
        try {
            return lostReason;
        } finally {
            plock.unlock();
        }
    }

    /** Messages enqueued and not yet acknowledged. */
    long unacked() {
        if (channel == null) {
            return 0;
        }
        plock.lock();
        try {
            return lostReason != null ? 0 : assigned - acked;
        } finally {
            plock.unlock();
        }
    }

    /** {batches sent, messages sent}. */
    long[] sendCounts() {
        if (channel == null) {
            return new long[2];
        }
        plock.lock();
        try {
            return new long[] {batches, messagesSent};
        } finally {
            plock.unlock();
        }
    }
}
