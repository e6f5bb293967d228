package io.evasan.nsc.cell.mirror;

import io.evasan.error.StorageException;
import io.evasan.nsc.cache.impl.MirrorReplica;
import io.evasan.nsc.cell.heartbeat.LinkSwitch;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The partner's side of the cache mirror: receives {@link MirrorFrameDescriptor} frames at
 * {@link #address(String, String) address(self, cache)}, applies their messages to a {@link MirrorReplica} in
 * mirror-sequence order, and answers every frame with the cumulative acknowledgement (the replica's
 * {@link MirrorReplica#lastMirrorSeq()}). Messages already applied (a resend, a duplicated message) are skipped; a
 * frame after a gap is not applied and answered GAP with the last applied number (the owner sends again from
 * there); a frame that does not decode, or whose message the replica refuses, is answered DAMAGED likewise.
 * Answers carry the headers {@link LinkSwitch#FROM} (self) and {@link LinkSwitch#TO} (the frame's FROM), so
 * LinkSwitch drills apply to both directions.
 *
 * <p>Invariants: the replica only ever holds a prefix of the owner's mirror stream, each message applied once; an
 * acknowledgement never exceeds what the replica holds. Frames are handled one at a time on this endpoint's
 * event-loop context.
 */
public final class MirrorEndpoint implements AutoCloseable {
    public static final String ADDRESS_PREFIX = "evasan.cell.mirror.";

    private final String self;
    private final MirrorReplica replica;
    private final MessageConsumer<Object> consumer;
    private final AtomicLong applied = new AtomicLong();
    private final AtomicLong duplicates = new AtomicLong();
    private final AtomicLong gaps = new AtomicLong();
    private final AtomicLong damaged = new AtomicLong();

    /** Receives the frames of cache {@code cache} mirrored to controller {@code self}, into {@code replica}. */
    public MirrorEndpoint(Vertx vertx, String self, String cache, MirrorReplica replica) {
        this.self = Objects.requireNonNull(self, "self");
        this.replica = Objects.requireNonNull(replica, "replica");
        MirrorFrameCodec.install(vertx);
        this.consumer = vertx.eventBus().consumer(address(self, cache), this::onFrame);
    }

    /** The event-bus address where controller {@code controller} holds the mirror of cache {@code cache}. */
    public static String address(String controller, String cache) {
        return ADDRESS_PREFIX + controller + "." + cache;
    }

    /** Completes once the consumer is registered (on the clustered bus: known to the other nodes). */
    public Future<Void> ready() {
        return consumer.completion();
    }

    /** The frame's bytes: the sender's own array on the local bus ({@link MirrorFrameCodec}), else a copy. */
    private static byte[] bytesOf(Object body) {
        if (body instanceof MirrorFrameCodec.Frame f) {
            return f.bytes();
        }
        if (body instanceof Buffer b) {
            return b.getBytes();
        }
        return new byte[0];
    }

    private void onFrame(Message<Object> m) {
        MirrorFrameDescriptor.Frame f;
        try {
            f = MirrorFrameDescriptor.decodeFrame(bytesOf(m.body()));
        } catch (StorageException e) {
            damaged.incrementAndGet();
            answer(m, MirrorFrameDescriptor.Status.DAMAGED, replica.lastMirrorSeq());
            return;
        }
        long held = replica.lastMirrorSeq();
        if (f.lastSeq() <= held) {
            duplicates.incrementAndGet();
            answer(m, MirrorFrameDescriptor.Status.DUPLICATE, held);
        } else if (f.firstSeq() > held + 1) {
            gaps.incrementAndGet();
            answer(m, MirrorFrameDescriptor.Status.GAP, held);
        } else {
            MirrorFrameDescriptor.Status status = MirrorFrameDescriptor.Status.APPLIED;
            try {
                replica.applyKeptBatch(MirrorFrameDescriptor.messagesFrom(f, held + 1));   // frames never change
                applied.incrementAndGet();
            } catch (StorageException e) {   // a message failed its CRC: the ones before it stay applied
                damaged.incrementAndGet();
                status = MirrorFrameDescriptor.Status.DAMAGED;
            }
            answer(m, status, replica.lastMirrorSeq());
        }
    }

    private void answer(Message<Object> m, MirrorFrameDescriptor.Status status, long acked) {
        DeliveryOptions headers = new DeliveryOptions();
        String from = m.headers().get(LinkSwitch.FROM);
        if (from != null) {
            headers.addHeader(LinkSwitch.FROM, self).addHeader(LinkSwitch.TO, from);
        }
        m.reply(Buffer.buffer(MirrorFrameDescriptor.encodeAck(new MirrorFrameDescriptor.Ack(status, acked))), headers);
    }

    public MirrorReplica replica() {
        return replica;
    }

    /** Frames whose new messages were applied. */
    public long framesApplied() {
        return applied.get();
    }

    /** Frames whose messages were all held already. */
    public long duplicates() {
        return duplicates.get();
    }

    /** Frames that started after a gap (not applied). */
    public long gaps() {
        return gaps.get();
    }

    /** Frames that did not decode, or held a message the replica refused. */
    public long damaged() {
        return damaged.get();
    }

    @Override
    public void close() {
        consumer.unregister();
    }
}
