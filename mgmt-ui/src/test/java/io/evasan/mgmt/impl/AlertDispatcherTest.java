package io.evasan.mgmt.impl;

import io.evasan.mgmt.impl.EventRecordDescriptor.Event;
import io.evasan.mgmt.impl.EventRecordDescriptor.Severity;
import io.evasan.nsc.api.DiskGroupView;
import io.evasan.nsc.api.HealthState;
import io.evasan.nsc.api.ObjectHealth;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Which rules the events the {@link EventWatcher} words raise (the coupling of the two, tested through both). */
class AlertDispatcherTest {
    @TempDir
    Path dir;

    private List<ObjectHealth> health = new ArrayList<>();
    private DiskGroupView group = new DiskGroupView(0, "dg0", 1000, 1000, false, false, List.of());

    @Test
    void shouldRaiseTheRulesTheWatchersEventsMatch() {
        AlertDispatcher d = new AlertDispatcher(() -> new AlertConfigDescriptor.Stored(EnumSet.allOf(AlertRule.class),
                List.of()), 1);
        Map<String, List<AlertRule>> raised = new TreeMap<>();
        try (EventLog log = EventLog.open(dir.resolve("events.log"), () -> 0); d) {
            log.subscribe(e -> raised.put(e.object() + " " + e.message(), d.raised(e)));
            EventWatcher w = new EventWatcher(log, () -> health, () -> List.of(group), List::of);
            w.tick();
            health = List.of(new ObjectHealth("lun", "1", "db1", HealthState.FAILED, "data lost: 128 blocks", List.of()),
                    new ObjectHealth("drive", "0/1", "dg0 drive 1", HealthState.FAILED, "drive is FAILED", List.of()),
                    new ObjectHealth("cache", "write-cache", "write cache", HealthState.DEGRADED, "cache unmirrored: B failed", List.of()));
            group = new DiskGroupView(0, "dg0", 1000, 150, false, false, List.of());   // 85 %
            w.tick();
            group = new DiskGroupView(0, "dg0", 1000, 50, false, false, List.of());    // 95 %
            health = List.of();
            w.tick();
        }
        assertEquals(List.of(AlertRule.FAILED, AlertRule.DATA_LOST), raised.get("lun db1 OK -> FAILED: data lost: 128 blocks"));
        assertEquals(List.of(AlertRule.FAILED), raised.get("drive dg0 drive 1 OK -> FAILED: drive is FAILED"));
        assertEquals(List.of(AlertRule.DEGRADED, AlertRule.CACHE_UNMIRRORED),
                raised.get("cache write cache OK -> DEGRADED: cache unmirrored: B failed"));
        assertEquals(List.of(AlertRule.CAPACITY_80), raised.get("disk-group dg0 85 % full: crossed 80 %"));
        assertEquals(List.of(AlertRule.CAPACITY_90), raised.get("disk-group dg0 95 % full: crossed 90 %"));
        assertEquals(5, raised.size(), raised::toString);
        AlertDispatcher off = new AlertDispatcher(() -> new AlertConfigDescriptor.Stored(EnumSet.of(AlertRule.DATA_LOST),
                List.of()), 1);
        assertEquals(List.of(), off.raised(new Event(1, 0, Severity.CRITICAL, "drive", "drive x", "", "OK -> FAILED: drive is FAILED")));
        off.close();
    }

    /**
     * Two webhooks, the first one answering only once the second has its alert: delivered one after the other on one
     * thread the first would time out (a failed attempt, then a retry); both must be delivered at the first attempt.
     */
    @Test
    void shouldNotLetASlowWebhookHoldUpAnother() throws Exception {
        java.util.concurrent.CountDownLatch fastGot = new java.util.concurrent.CountDownLatch(1);
        com.sun.net.httpserver.HttpServer slow = server(x -> {
            try {
                fastGot.await(30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        com.sun.net.httpserver.HttpServer fast = server(x -> fastGot.countDown());
        AlertDispatcher d = new AlertDispatcher(() -> new AlertConfigDescriptor.Stored(EnumSet.of(AlertRule.FAILED),
                List.of(url(slow), url(fast))), 1);
        try {
            d.onEvent(new Event(1, 0, Severity.CRITICAL, "drive", "drive x", "", "OK -> FAILED: drive is FAILED"));
            for (int i = 0; i < 600 && d.delivered() + d.failedAttempts() < 2; i++) {
                Thread.sleep(50);
            }
            assertEquals(2, d.delivered(), "both webhooks got the alert");
            assertEquals(0, d.failedAttempts(), "no attempt failed: the slow webhook did not hold up the fast one");
        } finally {
            d.close();
            slow.stop(0);
            fast.stop(0);
        }
    }

    private static com.sun.net.httpserver.HttpServer server(java.util.function.Consumer<com.sun.net.httpserver.HttpExchange> before)
            throws java.io.IOException {
        com.sun.net.httpserver.HttpServer s = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
        s.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        s.createContext("/", x -> {
            x.getRequestBody().readAllBytes();
            before.accept(x);
            x.sendResponseHeaders(204, -1);
            x.close();
        });
        s.start();
        return s;
    }

    private static String url(com.sun.net.httpserver.HttpServer s) {
        return "http://127.0.0.1:" + s.getAddress().getPort() + "/hook";
    }
}
