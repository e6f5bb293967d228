package io.evasan.nsc.cell.heartbeat;

import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@link LinkSwitch#isolate}: every message from or to the isolated node is dropped, the rest pass. */
class LinkSwitchTest {
    private final Vertx vertx = Vertx.vertx();

    @AfterEach
    void close() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    private static DeliveryOptions link(String from, String to) {
        return new DeliveryOptions().addHeader(LinkSwitch.FROM, from).addHeader(LinkSwitch.TO, to);
    }

    @Test
    void shouldDropEveryMessageFromOrToAnIsolatedNodeUntilItIsUnisolated() throws Exception {
        List<String> got = new CopyOnWriteArrayList<>();
        vertx.eventBus().<String>consumer("x", m -> got.add(m.body())).completion().await(5, TimeUnit.SECONDS);
        LinkSwitch s = LinkSwitch.install(vertx);
        s.isolate("proc-b");
        vertx.eventBus().send("x", "a>b", link("proc-a", "proc-b"));
        vertx.eventBus().send("x", "nsc-a>b", link("nsc-a", "proc-b"));
        vertx.eventBus().send("x", "b>a", link("proc-b", "nsc-a"));
        vertx.eventBus().send("x", "a>c", link("proc-a", "proc-c"));
        vertx.eventBus().send("x", "plain", new DeliveryOptions());
        awaitSize(got, 2);
        assertEquals(List.of("a>c", "plain"), got);
        assertEquals(3, s.dropped());

        s.unisolate("proc-b");
        vertx.eventBus().send("x", "a>b again", link("proc-a", "proc-b"));
        awaitSize(got, 3);
        assertEquals("a>b again", got.get(2));

        s.isolate("proc-a").heal();
        vertx.eventBus().send("x", "healed", link("proc-a", "proc-b"));
        awaitSize(got, 4);
        s.close();
    }

    private static void awaitSize(List<String> got, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (got.size() < n && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        Thread.sleep(50);   // nothing more arrives
        assertEquals(n, got.size(), got.toString());
    }
}
