package io.evasan.nsc.cell.mirror;

import io.evasan.nsc.cache.MirrorChannel;
import io.evasan.nsc.cell.heartbeat.LinkSwitch;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * A {@link MirrorChannel} over the Vert.x event bus (local or clustered: only an address and headers are used):
 * the owner's side of one cache's mirror. Batches go to the partner's {@link MirrorEndpoint} at
 * {@link MirrorEndpoint#address(String, String) address(partner, cache)} in {@link MirrorFrameDescriptor} frames,
 * as requests whose answer is the partner's cumulative acknowledgement. The event bus is best-effort (it loses
 * messages to an unreachable node, delays and reorders them against resends), so delivery and order are this
 * class's: every batch is kept until acknowledged; a frame not answered within {@link MirrorOptions#timeoutMillis()}
 * (or answered GAP / DAMAGED) makes the channel send again from the first unacknowledged message (go-back-N); the
 * endpoint drops what it already holds.
 *
 * <p>Threads and locks: {@link #send} only copies the batch into the window under this channel's short lock and
 * schedules the pump; frames are built, sent and answered on this channel's Vert.x context, and acknowledgements
 * reach the cache ({@link Acks#acked}) from that context, outside the lock. No network call and no wait for the
 * partner happens under the lock.
 *
 * <p>Window (bounded: {@link MirrorOptions#maxUnackedBatches()} batches and {@link MirrorOptions#maxUnackedBytes()}
 * bytes, a batch always fits into an empty window): when it is full, {@link #send} waits — releasing the lock —
 * until acknowledgements make room or the partner is lost. That is back-pressure on the cache's sending thread,
 * which is outside the cache lock and is a writer that waits for its own acknowledgement anyway; the cache's own
 * {@code mirrorWindow} normally keeps the channel's window from filling. Never on an event-loop thread: a full
 * window there throws (the cache then runs unmirrored) rather than block the loop that delivers the acks.
 *
 * <p>Lost partner: reported once through {@link Acks#lost} when the pair's heartbeat calls {@link #partnerLost}, or
 * after {@link MirrorOptions#maxTimeouts()} failed frames in a row without the acknowledgement advancing; from then
 * on nothing is sent or kept and {@link #send} returns at once. {@link #close} stops the channel (reporting the
 * partner lost if a batch was still unacknowledged, so no writer waits forever).
 *
 * <p>Invariants: frames leave in sequence order within a go-back epoch, hold consecutive messages, and batches are
 * dropped only once acknowledged; the acknowledgement given to the cache only grows and never exceeds what was
 * handed over.
 */
public final class EventBusMirrorChannel implements MirrorChannel, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(EventBusMirrorChannel.class.getName());

    private final Vertx vertx;
    private final Context context;
    private final String address;
    private final MirrorOptions options;
    private final MirrorStats stats;

    /** One batch as the cache handed it over, until acknowledged. */
    private record Pending(long firstSeq, long lastSeq, byte[] messages, long handedNanos) {
    }

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition room = lock.newCondition();
    /** Batches not yet acknowledged, oldest first; guarded by {@link #lock}, as are the fields up to {@link #closed}. */
    private final ArrayDeque<Pending> unacked = new ArrayDeque<>();
    private long unackedBytes;
    private long handed;
    private long acked;
    private String lostReason;
    private boolean closed;
    private volatile boolean stopped;
    private volatile Acks acks;
    private final AtomicBoolean lostReported = new AtomicBoolean();
    private final AtomicBoolean pumpQueued = new AtomicBoolean();

    // on the context only
    private long nextToSend = 1;
    private int inFlight;
    private long epoch;
    private int failures;
    private long holdTimer = -1;

    /**
     * Mirrors cache {@code cache} to {@code options.partner()}; frames are sent and answered on a context of
     * {@code vertx} (the caller's, or a new event-loop context).
     */
    public EventBusMirrorChannel(Vertx vertx, String cache, MirrorOptions options, MirrorStats stats) {
        this.vertx = Objects.requireNonNull(vertx, "vertx");
        this.context = vertx.getOrCreateContext();
        this.options = Objects.requireNonNull(options, "options");
        this.address = MirrorEndpoint.address(options.partner(), Objects.requireNonNull(cache, "cache"));
        this.stats = Objects.requireNonNull(stats, "stats");
        MirrorFrameCodec.install(vertx);
    }

    @Override
    public void connect(Acks acks) {
        this.acks = Objects.requireNonNull(acks, "acks");
        String reason = lostReason();
        if (reason != null) {
            report(reason);
        }
    }

    @Override
    public void send(ByteBuffer batch, long firstSeq, long lastSeq) {
        if (acks == null) {
            throw new IllegalStateException("mirror channel to " + address + ": connect before send");
        }
        byte[] copy = new byte[batch.remaining()];
        batch.duplicate().get(copy);
        lock.lock();
        try {
            if (lostReason != null) {
                return;   // already reported: the cache stops sending
            }
            if (closed) {
                throw new IllegalStateException("mirror channel to " + address + " is closed");
            }
            if (firstSeq != handed + 1 || lastSeq < firstSeq) {
                throw new IllegalArgumentException("mirror batch " + firstSeq + ".." + lastSeq + " after " + handed);
            }
            boolean waited = false;
            while (lostReason == null && !unacked.isEmpty() && (unacked.size() >= options.maxUnackedBatches()
                    || unackedBytes + copy.length > options.maxUnackedBytes())) {
                if (Context.isOnEventLoopThread()) {
                    throw new IllegalStateException("mirror window to " + address + " full (" + unacked.size()
                            + " batches, " + unackedBytes + " bytes) on an event-loop thread");
                }
                if (!waited) {
                    waited = true;
                    stats.windowFull();
                }
                room.awaitUninterruptibly();
            }
            if (lostReason != null) {
                return;
            }
            unacked.addLast(new Pending(firstSeq, lastSeq, copy, System.nanoTime()));
            unackedBytes += copy.length;
            handed = lastSeq;
            stats.backlog(unacked.size(), unackedBytes);
        } finally {
            lock.unlock();
        }
        if (pumpQueued.compareAndSet(false, true)) {
            context.runOnContext(v -> pump());
        }
    }

    /** The pair's heartbeat says the partner is dead: report it lost (once) and stop sending. Any thread. */
    public void partnerLost(String reason) {
        lose("partner " + options.partner() + " lost: " + reason);
    }

    // ------------------------------------------------------------------ on the context

    /** Sends frames from {@link #nextToSend} while the in-flight limit allows. */
    private void pump() {
        pumpQueued.set(false);
        while (inFlight < options.maxInFlight() && holdTimer < 0 && !stopped) {
            List<byte[]> parts = new ArrayList<>();
            long first = -1;
            long last = -1;
            lock.lock();
            try {
                long bytes = 0;
                for (Pending p : unacked) {
                    if (p.lastSeq() < nextToSend) {
                        continue;
                    }
                    if (first >= 0 && bytes + p.messages().length > options.maxFrameBytes()) {
                        break;
                    }
                    if (first < 0) {
                        first = p.firstSeq();
                    }
                    parts.add(p.messages());
                    bytes += p.messages().length;
                    last = p.lastSeq();
                }
            } finally {
                lock.unlock();
            }
            if (first < 0) {
                return;
            }
            sendFrame(first, last, parts);
        }
    }

    private void sendFrame(long first, long last, List<byte[]> parts) {
        byte[] frame = MirrorFrameDescriptor.encodeFrame(first, last, parts);
        long frameEpoch = epoch;
        long sentNanos = System.nanoTime();
        inFlight++;
        nextToSend = last + 1;
        stats.frameSent();
        DeliveryOptions headers = new DeliveryOptions().addHeader(LinkSwitch.FROM, options.self())
                .addHeader(LinkSwitch.TO, options.partner()).setSendTimeout(options.timeoutMillis());
        vertx.eventBus().<Buffer>request(address, new MirrorFrameCodec.Frame(frame), headers)
                .onComplete(ar -> answered(ar, frameEpoch, last, sentNanos));
    }

    private void answered(AsyncResult<Message<Buffer>> ar, long frameEpoch, long last, long sentNanos) {
        inFlight--;
        if (stopped) {
            return;
        }
        if (ar.succeeded()) {
            MirrorFrameDescriptor.Ack ack = null;
            try {
                ack = MirrorFrameDescriptor.decodeAck(ar.result().body().getBytes());
            } catch (RuntimeException e) {
                failed(frameEpoch, last, "damaged acknowledgement: " + e.getMessage(), System.nanoTime());
            }
            if (ack != null) {
                advance(ack.acked());
                if (ack.acked() < last && frameEpoch == epoch && !stopped) {
                    failed(frameEpoch, last, "partner answered " + ack.status() + " at " + ack.acked(), System.nanoTime());
                }
            }
        } else {
            stats.timeout();
            failed(frameEpoch, last, String.valueOf(ar.cause().getMessage()),
                    sentNanos + options.timeoutMillis() * 1_000_000L);
        }
        pump();
    }

    /** Frame {@code ..last} of {@code frameEpoch} failed: go back (not before {@code resumeNanos}), or give up. */
    private void failed(long frameEpoch, long last, String why, long resumeNanos) {
        if (frameEpoch != epoch || acked() >= last || stopped) {
            return;   // already sent again, or acknowledged through a later frame
        }
        failures++;
        if (failures >= options.maxTimeouts()) {
            lose("no acknowledgement from " + options.partner() + " for " + failures + " frames in a row ("
                    + options.timeoutMillis() + " ms timeout; last: " + why + ")");
            return;
        }
        epoch++;
        nextToSend = 1;   // the first unacknowledged batch: every kept one is after the acknowledgement
        stats.resend();
        long delayMillis = (resumeNanos - System.nanoTime()) / 1_000_000L;
        if (delayMillis >= 1) {
            holdTimer = vertx.setTimer(delayMillis, id -> {
                holdTimer = -1;
                pump();
            });
        }
    }

    /** The partner holds everything up to {@code seq}: drop those batches and tell the cache. */
    private void advance(long seq) {
        long now = System.nanoTime();
        long a;
        lock.lock();
        try {
            a = Math.min(seq, handed);
            if (lostReason != null || a <= acked) {
                return;
            }
            acked = a;
            while (!unacked.isEmpty() && unacked.peekFirst().lastSeq() <= a) {
                Pending p = unacked.removeFirst();
                unackedBytes -= p.messages().length;
                stats.acknowledged(now - p.handedNanos());
            }
            stats.backlog(unacked.size(), unackedBytes);
            room.signalAll();
        } finally {
            lock.unlock();
        }
        failures = 0;
        acks.acked(a);
    }

    // ------------------------------------------------------------------ lost, close

    private void lose(String reason) {
        lock.lock();
        try {
            if (lostReason != null) {
                return;
            }
            lostReason = reason;
            stopped = true;
            unacked.clear();
            unackedBytes = 0;
            stats.backlog(0, 0);
            stats.lost();
            room.signalAll();
        } finally {
            lock.unlock();
        }
        LOG.log(System.Logger.Level.WARNING, "cache mirror to " + address + " lost: " + reason);
        report(reason);
        context.runOnContext(v -> {
            if (holdTimer >= 0) {
                vertx.cancelTimer(holdTimer);
                holdTimer = -1;
            }
        });
    }

    private void report(String reason) {
        Acks a = acks;
        if (a != null && lostReported.compareAndSet(false, true)) {
            a.lost(reason);
        }
    }

    /**
     * Stops the channel: nothing more is sent or answered; a later {@link #send} throws. If a batch is still
     * unacknowledged the partner is reported lost (the cache goes on unmirrored instead of waiting forever).
     */
    @Override
    public void close() {
        boolean pending;
        lock.lock();
        try {
            closed = true;
            pending = !unacked.isEmpty();
            if (!pending) {
                stopped = true;
            }
        } finally {
            lock.unlock();
        }
        if (pending) {
            lose("mirror channel to " + address + " closed with unacknowledged batches");
        }
    }

    // ------------------------------------------------------------------ introspection

    /** The last mirror sequence number the partner acknowledged (with every one before it). */
    public long acked() {
        return underLock(() -> acked);
    }

    /** Batches kept until acknowledged. */
    public int backlog() {
        return underLock(() -> unacked.size());
    }

    /** Why the partner was given up, or null. */
    public String lostReason() {
        return underLock(() -> lostReason);
    }

    private <T> T underLock(Supplier<T> read) {
        lock.lock();
        try {
            return read.get();
        } finally {
            lock.unlock();
        }
    }

    /** Where the frames go. */
    public String address() {
        return address;
    }

    public MirrorOptions options() {
        return options;
    }

    public MirrorStats stats() {
        return stats;
    }
}
