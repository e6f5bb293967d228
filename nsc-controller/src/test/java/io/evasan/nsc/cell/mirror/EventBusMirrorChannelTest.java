package io.evasan.nsc.cell.mirror;

import io.evasan.nsc.cache.CacheConfig;
import io.evasan.nsc.cache.CacheStats;
import io.evasan.nsc.cache.CachedItem;
import io.evasan.nsc.cache.MirrorChannel;
import io.evasan.nsc.cache.impl.MemoryDestageTarget;
import io.evasan.nsc.cache.impl.MirrorReplica;
import io.evasan.nsc.cache.impl.WriteBackCache;
import io.evasan.nsc.cell.heartbeat.LinkSwitch;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The cache mirror over the local event bus: a real {@link WriteBackCache} on controller A mirrors through an
 * {@link EventBusMirrorChannel} to a {@link MirrorEndpoint} on B across a link that loses, delays (so reorders
 * against resends) and duplicates messages in both directions; every acknowledged write is in the replica. A
 * partner declared lost (by the heartbeat, or after timeouts in a row) turns the cache unmirrored, and writes go on.
 */
class EventBusMirrorChannelTest {
    static final int LUN_BYTES = 1 << 20;
    static final String CACHE = "c0";

    private Vertx vertx;
    private LinkSwitch link;

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
        link = LinkSwitch.install(vertx);
    }

    @AfterEach
    void stop() {
        vertx.close().await();
    }

    /** B's endpoint on {@code b} (a fresh replica) and A's channel to it on {@code a}; closes both. */
    record Mirror(MirrorEndpoint endpoint, EventBusMirrorChannel channel) implements AutoCloseable {
        static Mirror aToB(Vertx a, Vertx b, MirrorOptions options) {
            MirrorEndpoint endpoint = new MirrorEndpoint(b, "B", CACHE, new MirrorReplica());
            endpoint.ready().await();
            return new Mirror(endpoint, new EventBusMirrorChannel(a, CACHE, options, new MirrorStats("A", "B", CACHE)));
        }

        MirrorReplica replica() {
            return endpoint.replica();
        }

        MirrorStats stats() {
            return channel.stats();
        }

        @Override
        public void close() {
            channel.close();
            endpoint.close();
        }
    }

    static MemoryDestageTarget target(int luns) {
        MemoryDestageTarget mem = new MemoryDestageTarget();
        for (int l = 0; l < luns; l++) {
            mem.createLun(l, LUN_BYTES);
        }
        return mem;
    }

    static void await(String what, BooleanSupplier cond) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!cond.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for: " + what);
            Thread.sleep(1);
        }
    }

    /** Writes {@code count} random blocks to LUN {@code lun}, each checked in the replica once acknowledged. */
    static String writeAndCheck(WriteBackCache cache, MirrorReplica replica, byte[] oracle, int lun, long seed, int count) {
        Random r = new Random(seed * 31 + lun);
        for (int i = 0; i < count; i++) {
            int sectors = 1 + r.nextInt(16);
            long off = 512L * r.nextInt(LUN_BYTES / 512 - sectors);
            byte[] data = new byte[sectors * 512];
            r.nextBytes(data);
            long seq = cache.write(lun, lun, off, ByteBuffer.wrap(data), false);
            if (replica != null && !replica.pendingSeqs().contains(seq)) {
                return "seed " + seed + " LUN " + lun + " write " + i + " (seq " + seq + "): acknowledged but not in the replica";
            }
            System.arraycopy(data, 0, oracle, (int) off, data.length);
        }
        return null;
    }

    /** One writer per LUN of {@code oracle}, {@code count} writes each, every acknowledged one checked in the replica. */
    static void writeConcurrently(WriteBackCache cache, MirrorReplica replica, byte[][] oracle, long seed, int count)
            throws InterruptedException {
        AtomicReference<String> failed = new AtomicReference<>();
        Thread[] writers = new Thread[oracle.length];
        for (int w = 0; w < writers.length; w++) {
            int lun = w;
            writers[w] = new Thread(() -> failed.compareAndSet(null,
                    writeAndCheck(cache, replica, oracle[lun], lun, seed, count)), "writer-" + w);
            writers[w].start();
        }
        for (Thread t : writers) {
            t.join();
        }
        assertNull(failed.get(), failed.get());
    }

    /**
     * With destage paused: once the mirror is quiet, the replica holds exactly the cache's items, and the partner's
     * take-over onto (a copy of) the backend gives every LUN of {@code oracle}. Empties the replica.
     */
    static void assertTakeOverHoldsEveryWrite(WriteBackCache cache, MirrorReplica replica, MemoryDestageTarget mem,
                                              byte[][] oracle, long seed) throws InterruptedException {
        await("every mirror message acknowledged", () -> cache.mirrorUnacked() == 0);
        List<Long> cached = cache.pendingItems().stream().map(CachedItem::seq).toList();
        assertEquals(cached, replica.pendingSeqs(), "seed " + seed + ": the replica holds exactly the cache's items");
        // the owner dies here: the partner destages its replica onto the shared backend
        MemoryDestageTarget partnerView = target(oracle.length);
        for (int l = 0; l < oracle.length; l++) {
            partnerView.write(l, 0, ByteBuffer.wrap(mem.contents(l)));
        }
        assertEquals(cached.size(), replica.takeOver(partnerView, partnerView));
        for (int l = 0; l < oracle.length; l++) {
            assertArrayEquals(oracle[l], partnerView.contents(l), "seed " + seed + ": LUN " + l + " after take-over");
        }
    }

    /** Every 5 ms a new link state, seeded: open, one direction blocked, both, or one direction delayed. */
    static long chaos(Vertx vertx, LinkSwitch link, Random rnd) {
        return vertx.setPeriodic(5, id -> {
            int r;
            long d;
            synchronized (rnd) {
                r = rnd.nextInt(100);
                d = 1 + rnd.nextInt(15);
            }
            link.heal();
            if (r < 10) {
                link.block("A", "B");
            } else if (r < 20) {
                link.block("B", "A");
            } else if (r < 25) {
                link.partition("A", "B");
            } else if (r < 37) {
                link.delay("A", "B", d);
            } else if (r < 50) {
                link.delay("B", "A", d);
            }
        });
    }

    @Test
    void shouldHoldEveryAcknowledgedWriteInTheReplicaThroughALossyLink() throws Exception {
        long seed = Long.getLong("evasan.seed", System.nanoTime());
        System.out.println("EventBusMirrorChannelTest seed=" + seed + " (-Devasan.seed=" + seed + ")");
        Random dup = new Random(seed ^ 0xD0D0L);
        AtomicInteger duplicated = new AtomicInteger();
        vertx.eventBus().addOutboundInterceptor(ctx -> {   // after the switch: duplicates what it lets through
            Message<Object> m = ctx.message();
            boolean copy;
            synchronized (dup) {
                copy = dup.nextInt(100) < 5;
            }
            if (copy && ctx.send() && m.headers().get(LinkSwitch.FROM) != null && m.headers().get("dup") == null) {
                DeliveryOptions o = new DeliveryOptions().addHeader("dup", "1");
                m.headers().forEach(h -> o.addHeader(h.getKey(), h.getValue()));
                vertx.eventBus().send(m.address(), m.body(), o);
                duplicated.incrementAndGet();
            }
            ctx.next();
        });
        Mirror mirror = Mirror.aToB(vertx, vertx, MirrorOptions.defaults("A", "B").withTimeout(20, 50));
        MirrorReplica replica = mirror.replica();
        MirrorStats stats = mirror.stats();
        long chaos = chaos(vertx, link, new Random(seed ^ 0x5DEECE66DL));
        MemoryDestageTarget mem = target(2);
        byte[][] oracle = new byte[2][LUN_BYTES];
        try (mirror; WriteBackCache cache = new WriteBackCache(new CacheConfig().mirror(mirror.channel()).mirrorWindow(16),
                mem, mem, new CacheStats("mirror-bus"))) {
            cache.pauseDestage();   // every write stays pending in the cache and in the replica
            writeConcurrently(cache, replica, oracle, seed, 150);
            assertTakeOverHoldsEveryWrite(cache, replica, mem, oracle, seed);

            // (A lives on in this test) destage completions cross the same lossy link
            cache.resumeDestage();
            cache.synchronizeAll();
            for (int l = 0; l < 2; l++) {
                assertArrayEquals(oracle[l], mem.contents(l), "seed " + seed + ": LUN " + l + " on the backend");
            }
            assertNull(cache.mirrorLost(), () -> "seed " + seed + ": " + cache.mirrorLost());
            assertEquals(cache.mirrorSendCounts()[1], replica.lastMirrorSeq(), "seed " + seed);
            assertEquals(replica.lastMirrorSeq(), mirror.channel().acked());
            assertTrue(replica.pendingSeqs().isEmpty());
            assertEquals(0, stats.backlogBatches());
            assertEquals(0, stats.backlogBytes());
            assertTrue(stats.latency().count() > 0);
            System.out.println("EventBusMirrorChannelTest seed=" + seed + ": " + replica.lastMirrorSeq() + " messages, "
                    + stats.frames() + " frames, " + stats.resends() + " go-backs, " + stats.timeouts() + " timeouts, "
                    + link.dropped() + " dropped, " + link.delayed() + " delayed, " + duplicated + " duplicated; endpoint "
                    + mirror.endpoint().duplicates() + " duplicate / " + mirror.endpoint().gaps() + " gap frames; mirror latency p99 "
                    + Arrays.toString(stats.latency().takeSnapshot().percentileValues()));
        } finally {
            vertx.cancelTimer(chaos);
        }
    }

    @Test
    void shouldGoUnmirroredAndKeepAcknowledgingOnceThePartnerIsDeclaredLost() throws Exception {
        Mirror mirror = Mirror.aToB(vertx, vertx, MirrorOptions.defaults("A", "B").withTimeout(50, 1_000_000));
        EventBusMirrorChannel channel = mirror.channel();
        MirrorStats stats = mirror.stats();
        MemoryDestageTarget mem = target(1);
        byte[] oracle = new byte[LUN_BYTES];
        try (mirror; WriteBackCache cache = new WriteBackCache(new CacheConfig().mirror(channel), mem, mem,
                new CacheStats("mirror-bus-lost"))) {
            cache.pauseDestage();
            assertNull(writeAndCheck(cache, mirror.replica(), oracle, 0, 1, 5));
            link.block("A", "B");
            CompletableFuture<String> stalled = CompletableFuture.supplyAsync(() -> writeAndCheck(cache, null, oracle, 0, 2, 1));
            Thread.sleep(300);
            assertFalse(stalled.isDone(), "not acknowledged while the partner does not answer");
            assertFalse(stats.isLost());

            channel.partnerLost("heartbeat: B is DEAD");
            assertNull(stalled.get(10, TimeUnit.SECONDS));
            String why = cache.mirrorLost();
            assertNotNull(why);
            assertTrue(why.contains("heartbeat: B is DEAD"), why);
            assertTrue(stats.isLost());
            assertEquals(why, channel.lostReason());
            long framesAtLoss = stats.frames();
            assertNull(writeAndCheck(cache, null, oracle, 0, 3, 50), "writes acknowledged unmirrored");
            cache.resumeDestage();
            cache.synchronizeAll();
            assertArrayEquals(oracle, mem.contents(0));
            assertEquals(framesAtLoss, stats.frames(), "nothing sent after the loss");
            assertEquals(0, stats.backlogBatches());
        }
    }

    /** Records what a channel reports, as the cache would receive it. */
    static final class RecordingAcks implements MirrorChannel.Acks {
        volatile long acked;
        final AtomicInteger lost = new AtomicInteger();
        volatile String reason;
        final AtomicInteger decreases = new AtomicInteger();

        @Override
        public void acked(long mirrorSeq) {
            if (mirrorSeq <= acked) {
                decreases.incrementAndGet();
            }
            acked = mirrorSeq;
        }

        @Override
        public void lost(String why) {
            reason = why;
            lost.incrementAndGet();
        }
    }

    static void send(EventBusMirrorChannel channel, long first, long last) {
        channel.send(ByteBuffer.wrap(MirrorFrameDescriptorTest.messages(first, last)), first, last);
    }

    @Test
    void shouldReportLostOnceAfterTimeoutsInARow() throws Exception {
        RecordingAcks acks = new RecordingAcks();
        try (Mirror mirror = Mirror.aToB(vertx, vertx, MirrorOptions.defaults("A", "B").withTimeout(30, 3))) {
            EventBusMirrorChannel channel = mirror.channel();
            channel.connect(acks);
            send(channel, 1, 2);
            await("acked 2", () -> acks.acked == 2);
            link.partition("A", "B");
            send(channel, 3, 3);
            await("lost", () -> acks.lost.get() > 0);
            assertTrue(acks.reason.contains("3 frames in a row"), acks.reason);
            assertEquals(3, mirror.stats().timeouts());
            assertEquals(2, mirror.stats().resends());
            channel.partnerLost("heartbeat too");
            channel.close();
            send(channel, 4, 4);   // after the loss: accepted and dropped
            Thread.sleep(100);
            assertEquals(1, acks.lost.get(), "lost is reported once");
            assertEquals(2, acks.acked);
            assertEquals(0, acks.decreases.get());
        }
    }

    @Test
    void shouldWaitForRoomWhenTheWindowIsFullAndNeverBufferMore() throws Exception {
        RecordingAcks acks = new RecordingAcks();
        try (Mirror mirror = Mirror.aToB(vertx, vertx,
                MirrorOptions.defaults("A", "B").withTimeout(30, 1_000_000).withWindow(4, 1 << 20, 2, 1 << 20))) {
            EventBusMirrorChannel channel = mirror.channel();
            MirrorStats stats = mirror.stats();
            channel.connect(acks);
            link.block("B", "A");   // the partner applies, its answers are lost
            send(channel, 1, 1);
            send(channel, 2, 3);
            CompletableFuture<Void> third = CompletableFuture.runAsync(() -> send(channel, 4, 4));
            Thread.sleep(200);
            assertFalse(third.isDone(), "the third batch waits for room");
            assertEquals(2, channel.backlog());
            assertEquals(2, stats.backlogBatches());
            assertEquals(1, stats.windowFullWaits());
            assertEquals(3, mirror.replica().lastMirrorSeq(), "the partner holds them, only the answers are lost");
            link.heal();
            third.get(10, TimeUnit.SECONDS);
            await("acked 4", () -> acks.acked == 4);
            assertEquals(0, channel.backlog());
            assertTrue(mirror.endpoint().duplicates() > 0, "resent frames the partner held were answered DUPLICATE");
            assertEquals(0, acks.lost.get());
            assertEquals(0, acks.decreases.get());
        }
    }

    @Test
    void shouldSkipWhatTheReplicaHoldsAndAnswerAGapWithTheLastApplied() {
        MirrorReplica replica = new MirrorReplica();
        try (MirrorEndpoint endpoint = new MirrorEndpoint(vertx, "B", CACHE, replica)) {
            endpoint.ready().await();
            assertEquals(new MirrorFrameDescriptor.Ack(MirrorFrameDescriptor.Status.APPLIED, 2), request(1, 2));
            assertEquals(new MirrorFrameDescriptor.Ack(MirrorFrameDescriptor.Status.DUPLICATE, 2), request(1, 2));
            assertEquals(new MirrorFrameDescriptor.Ack(MirrorFrameDescriptor.Status.GAP, 2), request(4, 5));
            assertEquals(new MirrorFrameDescriptor.Ack(MirrorFrameDescriptor.Status.APPLIED, 5), request(2, 5));
            byte[] bad = MirrorFrameDescriptor.encodeFrame(6, 6, List.of(MirrorFrameDescriptorTest.messages(6, 6)));
            bad[bad.length - 1] ^= 1;
            assertEquals(new MirrorFrameDescriptor.Ack(MirrorFrameDescriptor.Status.DAMAGED, 5), MirrorFrameDescriptor.decodeAck(
                    vertx.eventBus().<Buffer>request(MirrorEndpoint.address("B", CACHE), Buffer.buffer(bad)).await().body().getBytes()));
            assertEquals(5, replica.lastMirrorSeq());
            assertEquals(5, replica.messagesApplied(), "each message applied once");
            assertTrue(replica.pendingSeqs().isEmpty(), "completions of items the replica never held remove nothing");
            assertEquals(2, endpoint.framesApplied());
            assertEquals(1, endpoint.duplicates());
            assertEquals(1, endpoint.gaps());
            assertEquals(1, endpoint.damaged());
        }
    }

    private MirrorFrameDescriptor.Ack request(long first, long last) {
        byte[] f = MirrorFrameDescriptor.encodeFrame(first, last, List.of(MirrorFrameDescriptorTest.messages(first, last)));
        return MirrorFrameDescriptor.decodeAck(vertx.eventBus().<Buffer>request(MirrorEndpoint.address("B", CACHE),
                Buffer.buffer(f)).await().body().getBytes());
    }
}
