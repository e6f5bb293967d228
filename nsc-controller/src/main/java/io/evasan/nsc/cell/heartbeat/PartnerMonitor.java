package io.evasan.nsc.cell.heartbeat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * One controller's failure detector of its partner, a verticle on the event bus (the local bus
 * of the embedded cell, or the clustered bus: only addresses and headers are used).
 *
 * <p>Every {@link HeartbeatOptions#intervalMillis()} it sends the partner, at
 * {@link #address(String) address(partner)}, a ping ({@link HeartbeatDescriptor}) with its own
 * next sequence number and send time, as a request with the timeout as send timeout; it answers
 * the partner's pings at {@code address(self)} by echoing them. Replies feed a
 * {@link LivenessTracker} (state changes go to the listener on this verticle's event loop) and the
 * Micrometer timer {@code evasan.cell.heartbeat.rtt} (tags {@code self}, {@code partner}). A failed
 * or timed-out request is simply no evidence: only the age of the newest answered ping decides
 * SUSPECT and DEAD, checked at every tick (so DEAD is reported within one interval after the
 * timeout). Messages carry the headers {@link LinkSwitch#FROM} and {@link LinkSwitch#TO}.
 *
 * <p>Invariant: DEAD is never reported before the timeout has passed, on this monitor's clock,
 * since the send time of the newest ping the partner answered.
 */
public final class PartnerMonitor extends VerticleBase {
    public static final String ADDRESS_PREFIX = "evasan.cell.heartbeat.";
    public static final String RTT_METER = "evasan.cell.heartbeat.rtt";

    private final HeartbeatOptions options;
    private final PartnerListener listener;
    private final Timer rtt;
    private final LongSupplier nanoTime;
    private final AtomicLong pingsSent = new AtomicLong();
    private final AtomicLong repliesReceived = new AtomicLong();
    private final AtomicLong pingsAnswered = new AtomicLong();
    private volatile PartnerState state = PartnerState.UNKNOWN;
    private volatile long lastRttNanos = -1;
    /** The send time (own clock) of the newest ping the partner answered: it was alive after that instant. */
    private volatile long lastAnsweredNanos = Long.MIN_VALUE;
    private LivenessTracker tracker;
    private MessageConsumer<Buffer> consumer;
    private long timerId = -1;
    private long sequence;

    /**
     * @param registry where the round-trip timer goes, or null for none
     * @param nanoTime the monotonic clock the times of events and round trips are read on
     */
    public PartnerMonitor(HeartbeatOptions options, PartnerListener listener, MeterRegistry registry, LongSupplier nanoTime) {
        this.options = options;
        this.listener = listener;
        this.nanoTime = nanoTime;
        this.rtt = registry == null ? null : Timer.builder(RTT_METER)
                .description("round trip of the controller pair's heartbeat ping")
                .tags("self", options.self(), "partner", options.partner())
                .publishPercentileHistogram()
                .register(registry);
    }

    public PartnerMonitor(HeartbeatOptions options, PartnerListener listener, MeterRegistry registry) {
        this(options, listener, registry, System::nanoTime);
    }

    /** The event-bus address controller {@code name} answers pings on. */
    public static String address(String name) {
        return ADDRESS_PREFIX + name;
    }

    @Override
    public Future<?> start() {
        tracker = new LivenessTracker(options, this::changed, nanoTime.getAsLong());
        consumer = vertx.eventBus().consumer(address(options.self()), this::onPing);
        timerId = vertx.setPeriodic(options.intervalMillis(), id -> tick());
        return consumer.completion();
    }

    @Override
    public Future<?> stop() {
        vertx.cancelTimer(timerId);
        return consumer.unregister();
    }

    private void changed(PartnerEvent e) {
        state = e.to();
        listener.onChange(e);
    }

    private DeliveryOptions headers(String to) {
        return new DeliveryOptions().addHeader(LinkSwitch.FROM, options.self()).addHeader(LinkSwitch.TO, to);
    }

    private void onPing(Message<Buffer> m) {
        HeartbeatDescriptor.Beat b = HeartbeatDescriptor.decode(m.body() == null ? null : m.body().getBytes());
        if (b == null || b.kind() != HeartbeatDescriptor.PING) {
            return;
        }
        pingsAnswered.incrementAndGet();
        String from = m.headers().get(LinkSwitch.FROM);
        m.reply(Buffer.buffer(HeartbeatDescriptor.encode(HeartbeatDescriptor.REPLY, b.sequence(), b.sentNanos())),
                headers(from == null ? options.partner() : from));
    }

    private void tick() {
        tracker.tick(nanoTime.getAsLong());
        long seq = ++sequence;
        long sent = nanoTime.getAsLong();
        pingsSent.incrementAndGet();
        vertx.eventBus().<Buffer>request(address(options.partner()),
                        Buffer.buffer(HeartbeatDescriptor.encode(HeartbeatDescriptor.PING, seq, sent)),
                        headers(options.partner()).setSendTimeout(options.timeoutMillis()))
                .onSuccess(this::onReply);
    }

    private void onReply(Message<Buffer> m) {
        HeartbeatDescriptor.Beat b = HeartbeatDescriptor.decode(m.body() == null ? null : m.body().getBytes());
        if (b == null || b.kind() != HeartbeatDescriptor.REPLY) {
            return;
        }
        long now = nanoTime.getAsLong();
        repliesReceived.incrementAndGet();
        lastRttNanos = now - b.sentNanos();
        if (b.sentNanos() - lastAnsweredNanos > 0 || lastAnsweredNanos == Long.MIN_VALUE) {
            lastAnsweredNanos = b.sentNanos();
        }
        if (rtt != null) {
            rtt.record(lastRttNanos, TimeUnit.NANOSECONDS);
        }
        tracker.onReply(b.sentNanos(), now);
    }

    public HeartbeatOptions options() {
        return options;
    }

    /** The partner's state as last decided (readable from any thread). */
    public PartnerState partnerState() {
        return state;
    }

    /** Round trip of the newest reply, ns; -1 before the first. */
    public long lastRttNanos() {
        return lastRttNanos;
    }

    /**
     * The send time ({@code nanoTime} of this monitor) of the newest ping the partner answered, or
     * {@link Long#MIN_VALUE} before the first answer: the latest instant the partner is known to have been alive.
     */
    public long lastAnsweredPingNanos() {
        return lastAnsweredNanos;
    }

    public long pingsSent() {
        return pingsSent.get();
    }

    public long repliesReceived() {
        return repliesReceived.get();
    }

    /** Pings of the partner this monitor answered. */
    public long pingsAnswered() {
        return pingsAnswered.get();
    }

    @Override
    public String toString() {
        return "PartnerMonitor[" + options.self() + " -> " + options.partner() + ": " + state + ", sent " + pingsSent
                + ", replies " + repliesReceived + "]";
    }
}
