package io.evasan.nsc.cell.heartbeat;

import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryContext;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Injectable link faults between controllers on one event bus (as Apache Ratis'
 * {@code SimulatedRequestReply}): an outbound interceptor that drops or delays every message
 * whose headers {@link #FROM} and {@link #TO} name a blocked or delayed direction. Messages without
 * those headers pass untouched. On the clustered bus, install one switch per process: each sees
 * what its own controller sends.
 *
 * <p>Drills: partition = {@link #partition}; one-way loss = {@link #block}; a controller that
 * stops responding but keeps running = {@link #mute}; a slow link =
 * {@link #delay}; {@link #heal()} lifts everything. A dropped request is simply never delivered
 * (its sender's reply future times out); a delayed one is delivered after the delay, in the
 * order the timers fire.
 */
public final class LinkSwitch implements AutoCloseable {
    /** Header: the sending controller's name. */
    public static final String FROM = "evasan-from";
    /** Header: the addressed controller's name. */
    public static final String TO = "evasan-to";

    private final Vertx vertx;
    private final Set<String> blocked = ConcurrentHashMap.newKeySet();
    private final Set<String> muted = ConcurrentHashMap.newKeySet();
    private final Set<String> isolated = ConcurrentHashMap.newKeySet();
    private final Map<String, Long> delays = new ConcurrentHashMap<>();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong delayed = new AtomicLong();
    private final Handler<DeliveryContext<Object>> interceptor = this::intercept;

    private LinkSwitch(Vertx vertx) {
        this.vertx = vertx;
    }

    /** Installs a switch (all links open) on {@code vertx}'s event bus. */
    public static LinkSwitch install(Vertx vertx) {
        LinkSwitch s = new LinkSwitch(vertx);
        vertx.eventBus().addOutboundInterceptor(s.interceptor);
        return s;
    }

    private static String link(String from, String to) {
        return from + ">" + to;
    }

    private void intercept(DeliveryContext<Object> ctx) {
        MultiMap h = ctx.message().headers();
        String from = h.get(FROM);
        String to = h.get(TO);
        if (from == null || to == null) {
            ctx.next();
            return;
        }
        String l = link(from, to);
        if (blocked.contains(l) || muted.contains(from) || isolated.contains(from) || isolated.contains(to)) {
            dropped.incrementAndGet();
            return;
        }
        Long d = delays.get(l);
        if (d != null && d > 0) {
            delayed.incrementAndGet();
            vertx.setTimer(d, id -> ctx.next());
            return;
        }
        ctx.next();
    }

    /** Drops every message from {@code from} to {@code to} until {@link #unblock} or {@link #heal}. */
    public LinkSwitch block(String from, String to) {
        blocked.add(link(from, to));
        return this;
    }

    public LinkSwitch unblock(String from, String to) {
        blocked.remove(link(from, to));
        return this;
    }

    /** Blocks both directions between {@code a} and {@code b}. */
    public LinkSwitch partition(String a, String b) {
        return block(a, b).block(b, a);
    }

    /** Delays every message from {@code from} to {@code to} by {@code millis} (0 lifts it). */
    public LinkSwitch delay(String from, String to, long millis) {
        if (millis <= 0) {
            delays.remove(link(from, to));
        } else {
            delays.put(link(from, to), millis);
        }
        return this;
    }

    /**
     * Drops everything {@code node} sends (its pings and its replies) while it keeps running and
     * receiving: a controller that stops responding without exiting, for the embedded cell where
     * one controller cannot be SIGSTOPped alone.
     */
    public LinkSwitch mute(String node) {
        muted.add(node);
        return this;
    }

    public LinkSwitch unmute(String node) {
        muted.remove(node);
        return this;
    }

    /**
     * Drops every message from or to {@code node}: on the clustered bus, a process that isolates itself and its
     * partner sends the partner nothing (its own pings and answers, and frames its controllers address to the
     * partner); with the partner doing the same, the bus between them is cut both ways.
     */
    public LinkSwitch isolate(String node) {
        isolated.add(node);
        return this;
    }

    public LinkSwitch unisolate(String node) {
        isolated.remove(node);
        return this;
    }

    /** Lifts every block, mute, isolation and delay. */
    public LinkSwitch heal() {
        blocked.clear();
        muted.clear();
        isolated.clear();
        delays.clear();
        return this;
    }

    public long dropped() {
        return dropped.get();
    }

    public long delayed() {
        return delayed.get();
    }

    /** Removes the interceptor. */
    @Override
    public void close() {
        vertx.eventBus().removeOutboundInterceptor(interceptor);
    }
}
