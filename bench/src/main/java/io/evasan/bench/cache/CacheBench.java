package io.evasan.bench.cache;

import io.evasan.nsc.cache.CacheConfig;
import io.evasan.nsc.cache.CacheStats;
import io.evasan.nsc.cache.DestageTarget;
import io.evasan.nsc.cache.impl.FileDestageTarget;
import io.evasan.nsc.cache.impl.WriteBackCache;
import io.evasan.raid.DiskGroup;
import io.evasan.raid.Pool;
import io.evasan.raid.PoolSpec;
import io.evasan.raid.Pools;
import io.evasan.raid.rstore.RStore;
import io.evasan.raid.rstore.RaidLevel;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Write-back cache figures beside the raw backend, same run:
 * <ol>
 * <li>acknowledgement latency p50/p99 of 4 KiB random writes through the cache (volatile, and
 *     non-volatile with and without msync per record) vs the latency of the same write straight to
 *     the backend;</li>
 * <li>destage throughput: 64 KiB random writes from 4 initiators through the cache until drained,
 *     vs the raw backend written by 2 threads (as many as destage workers).</li>
 * </ol>
 * Backends: RStores (RAID5 4+1, 12 sparse 1 GiB drives; the raw figure the issue asks for) and a
 * sparse file ({@link FileDestageTarget}).
 *
 * <p>Run: {@code mvn -q -B -pl bench -am package -DskipTests &&
 * java -cp bench/target/benchmarks.jar io.evasan.bench.cache.CacheBench [MiB-per-case] [dir]}
 */
public final class CacheBench {
    private static final int SMALL = 4096;
    private static final int BIG = 64 << 10;

    private CacheBench() {
    }

    public static void main(String[] args) throws Exception {
        int mib = args.length > 0 ? Integer.parseInt(args[0]) : 128;
        Path dir = args.length > 1 ? Path.of(args[1]) : Files.createTempDirectory("evasan-cache-bench");
        long volume = (long) mib << 20;
        try (Pool pool = Pools.create(dir.resolve("pool"), PoolSpec.uniform("bench", 12, 1L << 30))) {
            DiskGroup g = pool.diskGroup(0);
            List<RStore> stores = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                stores.add(g.allocate(RaidLevel.RAID5));
            }
            RStoreDestageTarget rstore = new RStoreDestageTarget(g, stores);
            FileDestageTarget file = new FileDestageTarget(dir.resolve("files"));
            file.openLun(0, rstore.lunSizeBytes(0));
            long lunBytes = rstore.lunSizeBytes(0);
            fill(rstore, lunBytes);
            fill(file, lunBytes);
            System.out.printf("cache benchmark: LUN %d MiB, %d MiB per throughput case, dir %s%n", lunBytes >> 20, mib, dir);
            for (String name : List.of("RStore RAID5", "file")) {
                DestageTarget t = name.equals("file") ? file : rstore;
                System.out.println("== backend: " + name);
                int n = 20_000;
                long[] raw = rawLatency(t, lunBytes, n);
                long[] vol = cachedLatency(t, lunBytes, n, new CacheConfig().segmentSize(1 << 20).segmentCount(128));
                Path log = dir.resolve("cache-" + name.replace(' ', '_') + ".log");
                long[] nv = cachedLatency(t, lunBytes, n, new CacheConfig().segmentSize(1 << 20).segmentCount(128)
                        .nonVolatileLog(log));
                long[] nvForce = cachedLatency(t, lunBytes, 2000, new CacheConfig().segmentSize(1 << 20).segmentCount(128)
                        .nonVolatileLog(log).forceOnAck(true));
                Files.deleteIfExists(log);
                latencyRow("raw backend write 4K", raw, raw);
                latencyRow("cache ack (volatile)", vol, raw);
                latencyRow("cache ack (NV mapped)", nv, raw);
                latencyRow("cache ack (NV + msync)", nvForce, raw);
                double rawMb = rawThroughput(t, lunBytes, volume, 2);
                double[] cached = cachedThroughput(t, lunBytes, volume);
                System.out.printf("  %-28s %10.1f MB/s%n", "raw backend 64K x2 threads", rawMb);
                System.out.printf("  %-28s %10.1f MB/s  (ratio to raw %.2f)%n", "cache ack rate 64K x4 init", cached[0],
                        cached[0] / rawMb);
                System.out.printf("  %-28s %10.1f MB/s  (ratio to raw %.2f)%n", "cache destage 64K (drained)", cached[1],
                        cached[1] / rawMb);
            }
            file.close();
        } finally {
            if (args.length < 2) {
                try (Stream<Path> w = Files.walk(dir)) {
                    w.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    private static void fill(DestageTarget t, long lunBytes) {
        ByteBuffer b = ByteBuffer.allocateDirect(1 << 20);
        for (long off = 0; off < lunBytes; off += 1 << 20) {
            b.clear();
            t.write(0, off, b);
        }
    }

    private static ByteBuffer payload(int size, long seed) {
        ByteBuffer b = ByteBuffer.allocateDirect(size);
        SplittableRandom r = new SplittableRandom(seed);
        while (b.hasRemaining()) {
            b.put((byte) r.nextInt());
        }
        return b.flip();
    }

    private static long[] rawLatency(DestageTarget t, long lunBytes, int n) {
        ByteBuffer b = payload(SMALL, 1);
        SplittableRandom r = new SplittableRandom(2);
        long[] lat = new long[n];
        for (int i = 0; i < n; i++) {
            long off = r.nextLong(lunBytes / SMALL) * SMALL;
            b.clear();
            long t0 = System.nanoTime();
            t.write(0, off, b);
            lat[i] = System.nanoTime() - t0;
        }
        return lat;
    }

    private static long[] cachedLatency(DestageTarget t, long lunBytes, int n, CacheConfig cfg) {
        ByteBuffer b = payload(SMALL, 1);
        SplittableRandom r = new SplittableRandom(3);
        long[] lat = new long[n];
        try (WriteBackCache cache = new WriteBackCache(cfg, t, req -> { }, new CacheStats("bench"))) {
            for (int i = 0; i < n; i++) {
                long off = r.nextLong(lunBytes / SMALL) * SMALL;
                b.clear();
                long t0 = System.nanoTime();
                cache.write(1, 0, off, b, false);
                lat[i] = System.nanoTime() - t0;
            }
        }
        return lat;
    }

    private static void latencyRow(String what, long[] lat, long[] raw) {
        long[] a = lat.clone();
        long[] w = raw.clone();
        Arrays.sort(a);
        Arrays.sort(w);
        double p50 = a[a.length / 2] / 1e3;
        double p99 = a[(int) (a.length * 0.99)] / 1e3;
        double r50 = w[w.length / 2] / 1e3;
        double r99 = w[(int) (w.length * 0.99)] / 1e3;
        System.out.printf("  %-28s p50 %8.1f us  p99 %8.1f us  (ratio to raw write p50 %.2f, p99 %.2f; n=%d)%n",
                what, p50, p99, p50 / r50, p99 / r99, a.length);
    }

    private static double rawThroughput(DestageTarget t, long lunBytes, long volume, int threads) throws Exception {
        AtomicLong next = new AtomicLong();
        long blocks = volume / BIG;
        List<Thread> ts = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < threads; i++) {
            int id = i;
            Thread th = new Thread(() -> {
                ByteBuffer b = payload(BIG, 10 + id);
                SplittableRandom r = new SplittableRandom(20 + id);
                while (next.getAndIncrement() < blocks) {
                    b.clear();
                    t.write(0, r.nextLong(lunBytes / BIG) * BIG, b);
                }
            });
            ts.add(th);
            th.start();
        }
        for (Thread th : ts) {
            th.join();
        }
        t.flushAll();
        return volume / 1e6 / ((System.nanoTime() - t0) / 1e9);
    }

    /** Returns {acknowledged MB/s, destaged (drained) MB/s}. */
    private static double[] cachedThroughput(DestageTarget t, long lunBytes, long volume) throws Exception {
        CacheConfig cfg = new CacheConfig().segmentSize(4 << 20).segmentCount(16).destageWorkers(2);
        AtomicLong next = new AtomicLong();
        long blocks = volume / BIG;
        double ackMb;
        double destMb;
        try (WriteBackCache cache = new WriteBackCache(cfg, t, req -> { }, new CacheStats("bench-tp"))) {
            List<Thread> ts = new ArrayList<>();
            long t0 = System.nanoTime();
            for (int i = 0; i < 4; i++) {
                int id = i;
                Thread th = new Thread(() -> {
                    ByteBuffer b = payload(BIG, 30 + id);
                    SplittableRandom r = new SplittableRandom(40 + id);
                    while (next.getAndIncrement() < blocks) {
                        b.clear();
                        cache.write(id, 0, r.nextLong(lunBytes / BIG) * BIG, b, false);
                    }
                });
                ts.add(th);
                th.start();
            }
            for (Thread th : ts) {
                th.join();
            }
            long acked = System.nanoTime();
            cache.synchronizeAll();
            long drained = System.nanoTime();
            ackMb = volume / 1e6 / ((acked - t0) / 1e9);
            destMb = volume / 1e6 / ((drained - t0) / 1e9);
        }
        return new double[] {ackMb, destMb};
    }
}
