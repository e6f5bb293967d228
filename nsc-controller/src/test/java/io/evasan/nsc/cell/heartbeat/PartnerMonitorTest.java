package io.evasan.nsc.cell.heartbeat;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The pair's heartbeat on a real Vert.x local event bus (the embedded cell), real timers and
 * {@code System.nanoTime}. Faults: kill (undeploy one side), hang (its event-loop thread blocked
 * on a latch: the verticle stays deployed, its consumer registered, nothing runs), partition and
 * one-way loss ({@link LinkSwitch}), slow link (delays). Detection times are measured and
 * printed, never asserted against a bound; the assertions are causal: DEAD comes after the fault,
 * after the last reply, and at least the timeout after the newest answered ping on the monitor's
 * own clock; no DEAD before the fault or while the link only delays.
 */
class PartnerMonitorTest {
    static final long MS = 1_000_000L;
    static final long WAIT_S = 20; // how long a test waits for an expected event before failing (liveness, not a bound)

    Vertx vertx;
    LinkSwitch link;
    SimpleMeterRegistry registry;
    final Side a = new Side("A", "B");
    final Side b = new Side("B", "A");

    /** One controller's monitor and what it reported. */
    final class Side {
        final String self;
        final String partner;
        final BlockingQueue<PartnerEvent> queue = new LinkedBlockingQueue<>();
        final List<PartnerEvent> all = new ArrayList<>();
        volatile Context context;
        volatile Thread thread;
        PartnerMonitor monitor;
        String deployment;

        Side(String self, String partner) {
            this.self = self;
            this.partner = partner;
        }

        void deploy(HeartbeatOptions o) throws Exception {
            monitor = new PartnerMonitor(o, e -> {
                context = Vertx.currentContext();
                thread = Thread.currentThread();
                synchronized (all) {
                    all.add(e);
                }
                queue.add(e);
            }, registry);
            deployment = vertx.deployVerticle(monitor).await(WAIT_S, TimeUnit.SECONDS);
        }

        void kill() throws Exception {
            vertx.undeploy(deployment).await(WAIT_S, TimeUnit.SECONDS);
        }

        /** Waits for the next event reporting {@code state} decided at or after {@code sinceNanos}; returns it. */
        PartnerEvent await(PartnerState state, long sinceNanos) throws InterruptedException {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
            while (System.nanoTime() < end) {
                PartnerEvent e = queue.poll(100, TimeUnit.MILLISECONDS);
                if (e != null && e.to() == state && e.atNanos() - sinceNanos >= 0) {
                    return e;
                }
            }
            fail(self + " never reported " + partner + " " + state + "; events: " + events());
            return null;
        }

        Side other() {
            return this == a ? b : a;
        }

        List<PartnerEvent> events() {
            synchronized (all) {
                return List.copyOf(all);
            }
        }

        List<PartnerEvent> deadSince(long nanos) {
            return events().stream().filter(e -> e.to() == PartnerState.DEAD && e.atNanos() - nanos >= 0).toList();
        }
    }

    private Side side(String name) {
        return name.equals("A") ? a : b;
    }

    /**
     * The longest the JVM let a 10 ms sleeper oversleep since the test began: a machine stall (GC, CPU starvation
     * on a loaded 2-core box) that holds pings and replies alike. A DEAD on a healthy link is a failure only when no
     * stall near the timeout explains it — the detector's rules themselves are checked on an injected clock
     * (LivenessTrackerTest), so this test's real-time claims need no timing threshold.
     */
    private static final class StallProbe implements AutoCloseable {
        private final Thread thread;
        private volatile long maxGapNanos;
        private volatile boolean stop;

        StallProbe() {
            thread = new Thread(() -> {
                long last = System.nanoTime();
                while (!stop) {
                    try {
                        Thread.sleep(10);
                    } catch (InterruptedException e) {
                        return;
                    }
                    long now = System.nanoTime();
                    maxGapNanos = Math.max(maxGapNanos, now - last - 10 * MS);
                    last = now;
                }
            }, "heartbeat-test-stall-probe");
            thread.setDaemon(true);
            thread.start();
        }

        long maxStallMillis() {
            return maxGapNanos / MS;
        }

        @Override
        public void close() {
            stop = true;
            thread.interrupt();
        }
    }

    private StallProbe probe;

    /** A DEAD on a link that only delays (or before any fault) is a failure unless the machine stalled for {@code allowedMs}. */
    private boolean stalled(long allowedMs) {
        long stall = probe.maxStallMillis();
        if (stall >= allowedMs) {
            System.out.printf("[heartbeat] the JVM stalled %d ms (>= %d ms): a DEAD without a fault is explained%n", stall, allowedMs);
            return true;
        }
        return false;
    }

    @BeforeEach
    void start() {
        probe = new StallProbe();
        vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(4));
        link = LinkSwitch.install(vertx);
        registry = new SimpleMeterRegistry();
    }

    @AfterEach
    void stop() throws Exception {
        probe.close();
        link.close();
        vertx.close().await(WAIT_S, TimeUnit.SECONDS);
    }

    private void startPair(HeartbeatOptions oa) throws Exception {
        long start = System.nanoTime();
        a.deploy(oa);
        b.deploy(new HeartbeatOptions("B", "A", oa.intervalMillis(), oa.suspectMillis(), oa.timeoutMillis()));
        a.await(PartnerState.ALIVE, start);
        b.await(PartnerState.ALIVE, start);
        awaitReplies(a, 5);
        awaitReplies(b, 5);
        steadyAt = System.nanoTime();
    }

    /** When both sides were ALIVE and had 5 replies (start-up, class loading and JIT behind them). */
    long steadyAt;

    private static void awaitReplies(Side s, long n) throws InterruptedException {
        awaitTrue(() -> s.monitor.repliesReceived() >= n, s.self + " got " + n + " replies");
    }

    /** The causal claims about one DEAD report. */
    private static void checkDead(String what, PartnerEvent dead, long faultNanos, HeartbeatOptions o) {
        System.out.printf("[heartbeat] %s: %s detected %s DEAD %.1f ms after the fault (%.1f ms after the newest answered"
                        + " ping, timeout %d ms, interval %d ms)%n", what, dead.self(), dead.partner(),
                (dead.atNanos() - faultNanos) / 1e6, dead.silenceMillis(), o.timeoutMillis(), o.intervalMillis());
        assertTrue(dead.atNanos() - faultNanos > 0, "DEAD after the fault");
        assertTrue(dead.lastReplyNanos() >= 0 && dead.atNanos() - dead.lastReplyNanos() > 0, "DEAD after the last reply");
        assertTrue(dead.atNanos() - dead.lastEvidenceNanos() >= o.timeoutMillis() * MS,
                "not before the timeout since the newest answered ping: " + dead.silenceMillis() + " ms");
    }

    /** No DEAD between the steady state and {@code nanos} (the fault). */
    private void noDeadBefore(Side s, long nanos) {
        for (PartnerEvent e : s.events()) {
            if (e.atNanos() - nanos < 0 && e.atNanos() - steadyAt >= 0 && !stalled(200)) {
                assertNotEquals(PartnerState.DEAD, e.to(), "DEAD before any fault: " + e);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"A", "B"})
    void shouldDetectAKilledPartner(String victim) throws Exception {
        HeartbeatOptions o = HeartbeatOptions.defaults("A", "B");
        startPair(o);
        Side dead = side(victim);
        Side survivor = dead.other();
        awaitReplies(survivor, 10);
        long fault = System.nanoTime();
        dead.kill();
        PartnerEvent e = survivor.await(PartnerState.DEAD, fault);
        checkDead("kill of " + victim, e, fault, o);
        noDeadBefore(survivor, fault);
        Timer t = registry.find(PartnerMonitor.RTT_METER).tag("self", survivor.self).timer();
        assertNotNull(t);
        assertTrue(t.count() > 0);
        System.out.printf("[heartbeat] %s round trip before the kill: %d replies, mean %.3f ms, max %.3f ms%n",
                survivor.self, t.count(), t.mean(TimeUnit.MILLISECONDS), t.max(TimeUnit.MILLISECONDS));
    }

    @ParameterizedTest
    @ValueSource(strings = {"A", "B"})
    void shouldDetectAHungPartnerAndSeeItAliveWhenItResumes(String victim) throws Exception {
        HeartbeatOptions o = HeartbeatOptions.defaults("A", "B");
        startPair(o);
        Side hung = side(victim);
        Side survivor = hung.other();
        assertNotSame(hung.thread, survivor.thread, "precondition: the two monitors run on different event loops");
        CountDownLatch stopped = new CountDownLatch(1);
        CountDownLatch resume = new CountDownLatch(1);
        long fault = System.nanoTime();
        hung.context.runOnContext(v -> { // SIGSTOP: its event loop runs nothing until released
            stopped.countDown();
            try {
                resume.await(WAIT_S, TimeUnit.SECONDS);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        });
        assertTrue(stopped.await(WAIT_S, TimeUnit.SECONDS));
        try {
            PartnerEvent e = survivor.await(PartnerState.DEAD, fault);
            checkDead("hang of " + victim, e, fault, o);
            noDeadBefore(survivor, fault);
        } catch (Throwable t) {
            resume.countDown();
            throw t;
        }
        long cont = System.nanoTime();
        resume.countDown(); // SIGCONT
        PartnerEvent back = survivor.await(PartnerState.ALIVE, cont);
        System.out.printf("[heartbeat] %s sees %s ALIVE again %.1f ms after it resumed%n", survivor.self, victim,
                (back.atNanos() - cont) / 1e6);
        assertTrue(back.atNanos() - cont > 0);
        assertTrue(back.lastEvidenceNanos() - cont > 0 || back.lastEvidenceNanos() - fault > 0,
                "revived by a ping answered after the hang began, not by a stale one");
    }

    interface Step {
        void run() throws Exception;
    }

    /** Times of one fault drill and the ALIVE reports after its heal, one per detector. */
    record Drill(long fault, long heal, List<PartnerEvent> alive) {
    }

    /**
     * Starts the pair with the defaults, injects {@code fault}, checks every detector's DEAD (the
     * causal claims, none before the fault), runs {@code whileDown}, lifts the fault with
     * {@code heal} and waits for each detector's ALIVE decided after it.
     */
    private Drill detectAndHeal(String what, Runnable fault, Step whileDown, Runnable heal, Side... detectors)
            throws Exception {
        HeartbeatOptions o = HeartbeatOptions.defaults("A", "B");
        startPair(o);
        long f = System.nanoTime();
        fault.run();
        for (Side s : detectors) {
            checkDead(what, s.await(PartnerState.DEAD, f), f, o);
            noDeadBefore(s, f);
        }
        whileDown.run();
        long h = System.nanoTime();
        heal.run();
        List<PartnerEvent> alive = new ArrayList<>();
        for (Side s : detectors) {
            alive.add(s.await(PartnerState.ALIVE, h));
        }
        return new Drill(f, h, alive);
    }

    /** Muted: the victim keeps running and answering (its replies are dropped); seen DEAD, then ALIVE when unmuted. */
    @ParameterizedTest
    @ValueSource(strings = {"A", "B"})
    void shouldDetectAPartnerThatStopsReplyingButKeepsRunning(String victim) throws Exception {
        Side mute = side(victim);
        long[] before = new long[2];
        detectAndHeal("mute of " + victim, () -> {
            link.mute(victim);
        }, () -> {
            before[0] = mute.monitor.pingsAnswered();
            before[1] = mute.monitor.pingsSent();
            awaitTrue(() -> mute.monitor.pingsAnswered() > before[0] && mute.monitor.pingsSent() > before[1],
                    victim + " keeps running: it still answers and pings");
        }, () -> link.unmute(victim), mute.other());
    }

    private static void awaitTrue(java.util.function.BooleanSupplier c, String what) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
        while (!c.getAsBoolean() && System.nanoTime() < end) {
            Thread.sleep(10);
        }
        assertTrue(c.getAsBoolean(), what);
    }

    @Test
    void shouldDetectAPartitionOnBothSidesAndReturnToAliveWhenHealed() throws Exception {
        Drill d = detectAndHeal("partition", () -> link.partition("A", "B"), () -> assertTrue(link.dropped() > 0),
                link::heal, a, b);
        PartnerEvent ea = d.alive().get(0);
        PartnerEvent eb = d.alive().get(1);
        System.out.printf("[heartbeat] healed: A sees B ALIVE after %.1f ms, B sees A after %.1f ms%n",
                (ea.atNanos() - d.heal()) / 1e6, (eb.atNanos() - d.heal()) / 1e6);
        assertTrue(ea.lastEvidenceNanos() - d.fault() > 0 && eb.lastEvidenceNanos() - d.fault() > 0,
                "ALIVE from pings answered after the partition");
    }

    /** Request/reply needs both directions: losing either one makes each side see the other DEAD. */
    @ParameterizedTest
    @ValueSource(strings = {"A>B", "B>A"})
    void shouldDetectOneWayLossOnBothSides(String direction) throws Exception {
        String[] d = direction.split(">");
        detectAndHeal("loss " + direction, () -> link.block(d[0], d[1]), () -> { }, () -> link.unblock(d[0], d[1]), a, b);
    }

    /**
     * Each direction delayed by 150 ms: round trips of about 300 ms, below timeout - interval
     * (1000 - 100 ms): no DEAD on either side over 30 answered pings each.
     */
    @Test
    void shouldNotReportDeadWhileTheLinkOnlyDelays() throws Exception {
        HeartbeatOptions o = HeartbeatOptions.defaults("A", "B").withTimes(100, 500, 1000);
        startPair(o);
        long since = System.nanoTime();
        link.delay("A", "B", 150).delay("B", "A", 150);
        long ra = a.monitor.repliesReceived();
        long rb = b.monitor.repliesReceived();
        awaitTrue(() -> a.monitor.repliesReceived() >= ra + 30 && b.monitor.repliesReceived() >= rb + 30, "pings answered");
        assertTrue(link.delayed() > 0);
        System.out.printf("[heartbeat] delayed link: last round trips A %.1f ms, B %.1f ms; states %s / %s%n",
                a.monitor.lastRttNanos() / 1e6, b.monitor.lastRttNanos() / 1e6, a.monitor.partnerState(),
                b.monitor.partnerState());
        if (!stalled(300)) {
            assertEquals(List.of(), a.deadSince(since), "A reported DEAD on a slow link");
            assertEquals(List.of(), b.deadSince(since), "B reported DEAD on a slow link");
        }
        assertTrue(a.monitor.lastRttNanos() >= 300 * MS, "the delay was applied to pings and replies");
    }
}
