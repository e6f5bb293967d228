package io.evasan.nsc.cache;

import io.evasan.nsc.cache.impl.MemoryDestageTarget;
import io.evasan.nsc.cache.impl.MirrorReplica;
import io.evasan.nsc.cache.impl.WriteBackCache;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import static io.evasan.nsc.cache.TestUtil.awaitTrue;
import static io.evasan.nsc.cache.TestUtil.tagged;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The cache publishes its mirror messages outside its lock, batched, numbered per cache; a host write
 * is acknowledged only once the partner acknowledged its message; a full window is a return value.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MirrorPublishTest {
    private static final int LUN_BYTES = 1 << 20;

    private static MemoryDestageTarget target(int luns) {
        MemoryDestageTarget mem = new MemoryDestageTarget();
        for (int l = 0; l < luns; l++) {
            mem.createLun(l, LUN_BYTES);
        }
        return mem;
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        return a;
    }

    /** Applies batches to a replica and acks at once, except that sends block while {@link #gate} is set. */
    private static class GatedChannel implements MirrorChannel {
        final MirrorReplica replica = new MirrorReplica();
        final CountDownLatch firstSendEntered = new CountDownLatch(1);
        volatile CountDownLatch gate;
        final List<Integer> batchSizes = new ArrayList<>();
        volatile Acks acks;

        GatedChannel(CountDownLatch gate) {
            this.gate = gate;
        }

        @Override
        public void connect(Acks acks) {
            this.acks = acks;
        }

        @Override
        public void send(ByteBuffer batch, long firstSeq, long lastSeq) {
            firstSendEntered.countDown();
            CountDownLatch g = gate;
            if (g != null) {
                try {
                    g.await();
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            }
            synchronized (batchSizes) {
                batchSizes.add((int) (lastSeq - firstSeq + 1));
            }
            replica.applyBatch(batch);
            acks.acked(lastSeq);
        }
    }

    @Test
    void shouldServeReadsAndAcceptOtherWritesWhileAMirrorSendBlocks() throws Exception {
        MemoryDestageTarget mem = target(2);
        CountDownLatch release = new CountDownLatch(1);
        GatedChannel channel = new GatedChannel(release);
        try (WriteBackCache cache = new WriteBackCache(new CacheConfig().mirror(channel), mem, mem,
                new CacheStats("mirror-a"))) {
            ByteBuffer first = tagged(1, 8);
            byte[] firstBytes = bytes(first);
            CompletableFuture<Long> a = CompletableFuture.supplyAsync(() -> cache.write(1, 0, 0, first, false));
            channel.firstSendEntered.await();   // A's message is in a send that does not return

            // the cache is not held: a read of the LUN being mirrored sees A's data ...
            ByteBuffer got = ByteBuffer.allocate(4096);
            cache.read(0, 0, got);
            assertArrayEquals(firstBytes, got.array());
            // ... and writes to another LUN are accepted into the cache (but not acknowledged yet)
            CompletableFuture<Long> b = CompletableFuture.supplyAsync(() -> cache.write(2, 1, 0, tagged(2, 8), false));
            CompletableFuture<Long> c = CompletableFuture.supplyAsync(() -> cache.write(3, 1, 8192, tagged(3, 8), false));
            byte[] bBytes = bytes(tagged(2, 8));
            byte[] cBytes = bytes(tagged(3, 8));
            awaitTrue("both LUN 1 writes readable from the cache", () -> {
                ByteBuffer x = ByteBuffer.allocate(4096);
                ByteBuffer y = ByteBuffer.allocate(4096);
                cache.read(1, 0, x);
                cache.read(1, 8192, y);
                return Arrays.equals(bBytes, x.array()) && Arrays.equals(cBytes, y.array());
            });
            assertFalse(a.isDone(), "A is acknowledged only once the partner acked it");
            assertFalse(b.isDone(), "B waits for the partner, not for the cache");
            assertFalse(c.isDone(), "C waits for the partner, not for the cache");
            assertEquals(List.of(), channel.batchSizes, "nothing acknowledged yet");

            release.countDown();
            long seqA = a.get();
            long seqB = b.get();
            long seqC = c.get();
            assertTrue(seqA < seqB && seqA < seqC);
            cache.synchronizeAll();
            assertTrue(channel.replica.pendingSeqs().isEmpty(), "every destage completion reached the partner");
            long[] counts = cache.mirrorSendCounts();
            assertEquals(channel.replica.lastMirrorSeq(), counts[1]);
            assertTrue(channel.batchSizes.subList(1, channel.batchSizes.size()).stream().anyMatch(n -> n >= 2),
                    "B's and C's messages queued behind the blocked send and went out batched: " + channel.batchSizes);
            assertNull(cache.mirrorLost());
        }
    }

    /**
     * A write whose mirror send is still out when its cache is halted and then cut from its partner (as a takeover
     * does: halt the dead controller's cache, cut its link) is refused, not acknowledged: the partner never held it and
     * the halted cache's own log is not replayed. It was acknowledged once, as if the partner had been lost first.
     */
    @Test
    void shouldNotAcknowledgeAWriteOfAHaltedCacheWhenItsPartnerIsCutAfterwards() throws Exception {
        MemoryDestageTarget mem = target(1);
        CountDownLatch release = new CountDownLatch(1);
        GatedChannel channel = new GatedChannel(release) {
            @Override
            public void send(ByteBuffer batch, long firstSeq, long lastSeq) {
                firstSendEntered.countDown();
                try {
                    release.await();   // the partner died with this batch: nothing is applied or acknowledged
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            }
        };
        WriteBackCache cache = new WriteBackCache(new CacheConfig().mirror(channel), mem, mem, new CacheStats("mirror-halt"));
        CompletableFuture<Long> w = CompletableFuture.supplyAsync(() -> cache.write(1, 0, 0, tagged(1, 8), false));
        channel.firstSendEntered.await();
        cache.halt();                                        // the controller is killed ...
        channel.acks.lost("cut by the partner's takeover");  // ... and its partner cuts the link
        release.countDown();
        java.util.concurrent.ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(
                java.util.concurrent.ExecutionException.class, () -> w.get(30, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof io.evasan.error.StorageException
                && e.getCause().getMessage().contains("halted"), "refused as halted: " + e.getCause());
    }

    /**
     * A partner on its own thread: batches queue up, are delivered after random pauses, several at a
     * time, and acknowledged cumulatively (sometimes late). It keeps the partner's image of every LUN
     * and the item sequence numbers of the writes it holds.
     */
    private static final class DelayedPartner implements MirrorChannel, Runnable {
        final MirrorReplica replica = new MirrorReplica();
        final byte[][] image;
        final Set<Long> writesHeld = new HashSet<>();
        private final ArrayDeque<Object[]> queue = new ArrayDeque<>();
        private final Random rnd;
        private volatile Acks acks;
        private volatile boolean stop;
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final Thread thread = new Thread(this, "delayed-partner");

        DelayedPartner(long seed, int luns) {
            rnd = new Random(seed);
            image = new byte[luns][LUN_BYTES];
        }

        @Override
        public void connect(Acks acks) {
            this.acks = acks;
            thread.start();
        }

        @Override
        public void send(ByteBuffer batch, long firstSeq, long lastSeq) {
            byte[] copy = new byte[batch.remaining()];
            batch.duplicate().get(copy);
            synchronized (queue) {
                queue.addLast(new Object[] {copy, lastSeq});
                queue.notifyAll();
            }
        }

        @Override
        public void run() {
            long pendingAck = 0;
            try {
                while (true) {
                    List<Object[]> take = new ArrayList<>();
                    synchronized (queue) {
                        while (queue.isEmpty() && !stop) {
                            if (pendingAck > 0) {
                                break;
                            }
                            queue.wait();
                        }
                        if (queue.isEmpty() && stop) {
                            return;
                        }
                        int n = queue.isEmpty() ? 0 : 1 + rnd.nextInt(queue.size());
                        for (int i = 0; i < n; i++) {
                            take.add(queue.pollFirst());
                        }
                    }
                    LockSupport.parkNanos(rnd.nextInt(200_000));
                    for (Object[] t : take) {
                        deliver((byte[]) t[0]);
                        pendingAck = (long) t[1];
                    }
                    // acks are cumulative: sometimes hold this one and ack it with a later batch
                    if (pendingAck > 0 && (rnd.nextInt(4) != 0 || take.isEmpty())) {
                        acks.acked(pendingAck);
                        pendingAck = 0;
                    }
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        }

        private void deliver(byte[] batch) {
            ByteBuffer b = ByteBuffer.wrap(batch).order(ByteOrder.LITTLE_ENDIAN);
            synchronized (this) {
                CacheMessageDescriptor.forEachInBatch(b, m -> {
                    if (CacheMessageDescriptor.type(m) == CacheMessageDescriptor.TYPE_WRITE) {
                        m.get(CacheMessageDescriptor.PAYLOAD_OFFSET, image[CacheMessageDescriptor.lunId(m)],
                                (int) CacheMessageDescriptor.byteOffset(m), CacheMessageDescriptor.payloadLength(m));
                        writesHeld.add(CacheMessageDescriptor.seq(m));
                    }
                });
                replica.applyBatch(b);
            }
        }

        void stop() throws InterruptedException {
            stop = true;
            synchronized (queue) {
                queue.notifyAll();
            }
            thread.join();
        }
    }

    @Test
    void shouldKeepTheRandomlyDelayedPartnerEqualToEveryAcknowledgedWrite() throws Exception {
        long seed = Long.getLong("mirror.seed", System.nanoTime());
        System.out.println("MirrorPublishTest seed=" + seed + " (rerun: -Dmirror.seed=" + seed + ")");
        int writers = 3;
        int steps = 300;
        MemoryDestageTarget mem = target(writers);
        DelayedPartner partner = new DelayedPartner(seed, writers);
        CacheConfig cfg = new CacheConfig().mirror(partner).mirrorWindow(8).segmentSize(256 << 10).segmentCount(8);
        AtomicReference<String> failed = new AtomicReference<>();
        try (WriteBackCache cache = new WriteBackCache(cfg, mem, mem, new CacheStats("mirror-b"))) {
            Thread[] ts = new Thread[writers];
            for (int w = 0; w < writers; w++) {
                final int lun = w;
                ts[w] = new Thread(() -> {
                    Random r = new Random(seed * 31 + lun);
                    for (int step = 0; step < steps && failed.get() == null; step++) {
                        int sectors = 1 + r.nextInt(r.nextInt(8) == 0 ? 512 : 16);
                        long off = 512L * r.nextInt(LUN_BYTES / 512 - sectors);
                        ByteBuffer data = tagged(((long) lun << 32) | step, sectors);
                        byte[] expect = bytes(data);
                        long seq = cache.write(lun, lun, off, data, r.nextInt(20) == 0);
                        String where = "seed " + seed + " writer " + lun + " step " + step + " (seq " + seq
                                + ", LUN " + lun + " [" + off + ", " + (off + expect.length) + "))";
                        synchronized (partner) {
                            if (!partner.writesHeld.contains(seq)) {
                                failed.compareAndSet(null, where + ": acknowledged before the partner acked it");
                                return;
                            }
                            byte[] img = Arrays.copyOfRange(partner.image[lun], (int) off, (int) off + expect.length);
                            if (!Arrays.equals(expect, img)) {
                                failed.compareAndSet(null, where + ": the partner's image differs from the write");
                                return;
                            }
                        }
                        if (r.nextInt(4) == 0) {
                            ByteBuffer back = ByteBuffer.allocate(expect.length);
                            cache.read(lun, off, back);
                            if (!Arrays.equals(expect, back.array())) {
                                failed.compareAndSet(null, where + ": the primary reads other data");
                                return;
                            }
                        }
                    }
                }, "writer-" + w);
                ts[w].start();
            }
            for (Thread t : ts) {
                t.join();
            }
            assertNull(failed.get(), failed.get());
            cache.synchronizeAll();
            for (int l = 0; l < writers; l++) {
                ByteBuffer primary = ByteBuffer.allocate(LUN_BYTES);
                cache.read(l, 0, primary);
                assertArrayEquals(primary.array(), partner.image[l], "seed " + seed + ": LUN " + l + " partner image");
            }
            assertTrue(partner.replica.pendingSeqs().isEmpty(), "seed " + seed + ": completions mirrored");
            long[] counts = cache.mirrorSendCounts();
            assertEquals(counts[1], partner.replica.lastMirrorSeq(), "seed " + seed);
            System.out.println("MirrorPublishTest: " + counts[1] + " messages in " + counts[0] + " batches");
            assertNull(cache.mirrorLost());
        } finally {
            partner.stop();
        }
        assertNull(partner.failure.get(), () -> "seed " + seed + ": partner failed: " + partner.failure.get());
    }

    /** Applies at once but acknowledges only when told to (or always, once {@link #autoAck} is set). */
    private static final class HeldAckChannel implements MirrorChannel {
        final MirrorReplica replica = new MirrorReplica();
        volatile Acks acks;
        volatile boolean autoAck;
        volatile long lastSent;

        @Override
        public void connect(Acks acks) {
            this.acks = acks;
        }

        @Override
        public synchronized void send(ByteBuffer batch, long firstSeq, long lastSeq) {
            replica.applyBatch(batch);
            lastSent = lastSeq;
            if (autoAck) {
                acks.acked(lastSeq);
            }
        }

        synchronized void ackAllAndKeepAcking() {
            autoAck = true;
            acks.acked(lastSent);
        }
    }

    @Test
    void shouldReturnFullWhileThePartnersWindowIsFullAndLoseNothing() throws Exception {
        MemoryDestageTarget mem = target(1);
        HeldAckChannel channel = new HeldAckChannel();
        CacheConfig cfg = new CacheConfig().mirror(channel).mirrorWindow(4);
        try (WriteBackCache cache = new WriteBackCache(cfg, mem, mem, new CacheStats("mirror-c"))) {
            cache.pauseDestage();
            List<CompletableFuture<Long>> writers = new ArrayList<>();
            for (int k = 0; k < 4; k++) {
                long off = k * 4096L;
                int tag = k + 1;
                writers.add(CompletableFuture.supplyAsync(() -> cache.write(tag, 0, off, tagged(tag, 8), false)));
            }
            awaitTrue("four unacknowledged messages", () -> cache.mirrorUnacked() == 4);

            assertEquals(WriteCache.FULL, cache.tryWrite(9, 0, 4 * 4096L, tagged(5, 8)), "window full: FULL");
            CompletableFuture<Void> room = cache.whenSpaceFor(4096);
            assertFalse(room.isDone());
            AtomicInteger blockingDone = new AtomicInteger();
            CompletableFuture<Long> waiting = CompletableFuture.supplyAsync(() -> {
                long s = cache.write(10, 0, 5 * 4096L, tagged(6, 8), false);
                blockingDone.incrementAndGet();
                return s;
            });
            // the waiting writer is not in the cache and does not hold it
            ByteBuffer r = ByteBuffer.allocate(4096);
            cache.read(0, 0, r);
            assertArrayEquals(bytes(tagged(1, 8)), r.array());
            assertEquals(4, cache.pendingItems().size(), "the full-window writes were not taken into the cache");
            for (CompletableFuture<Long> w : writers) {
                assertFalse(w.isDone(), "not acknowledged before the partner acked");
            }

            channel.ackAllAndKeepAcking();
            room.get();
            for (CompletableFuture<Long> w : writers) {
                assertTrue(w.get() > 0);
            }
            assertTrue(waiting.get() > 0);
            assertTrue(cache.tryWrite(9, 0, 4 * 4096L, tagged(5, 8)) != WriteCache.FULL);
            assertEquals(6, cache.pendingItems().size());
            assertEquals(cache.pendingItems().stream().map(CachedItem::seq).toList(), channel.replica.pendingSeqs());
            cache.resumeDestage();
            cache.synchronizeAll();
            for (int k = 0; k < 6; k++) {
                assertArrayEquals(bytes(tagged(k + 1, 8)), Arrays.copyOfRange(mem.contents(0), k * 4096, (k + 1) * 4096),
                        "write " + (k + 1) + " reached the backend");
            }
            assertTrue(channel.replica.pendingSeqs().isEmpty());
            assertEquals(1, blockingDone.get());
        }
    }

    @Test
    void shouldGoOnUnmirroredAndSayWhenThePartnerIsLost() {
        MemoryDestageTarget mem = target(1);
        AtomicInteger sends = new AtomicInteger();
        MirrorChannel dead = new MirrorChannel() {
            @Override
            public void connect(Acks acks) {
            }

            @Override
            public void send(ByteBuffer batch, long firstSeq, long lastSeq) {
                sends.incrementAndGet();
                throw new IllegalStateException("link down");
            }
        };
        try (WriteBackCache cache = new WriteBackCache(new CacheConfig().mirror(dead), mem, mem, new CacheStats("mirror-d"))) {
            assertNull(cache.mirrorLost());
            cache.write(1, 0, 0, tagged(1, 8), false);
            String why = cache.mirrorLost();
            assertNotNull(why);
            assertTrue(why.contains("link down"), why);
            for (int k = 1; k < 20; k++) {
                cache.write(1, 0, k * 4096L, tagged(k + 1, 8), false);
            }
            assertEquals(1, sends.get(), "no send after the partner was lost");
            assertTrue(cache.tryWrite(1, 0, 0, tagged(30, 8)) != WriteCache.FULL);
            cache.synchronizeAll();
            assertArrayEquals(bytes(tagged(30, 8)), Arrays.copyOfRange(mem.contents(0), 0, 4096));
            assertEquals(0, cache.mirrorUnacked());
        }
    }
}
