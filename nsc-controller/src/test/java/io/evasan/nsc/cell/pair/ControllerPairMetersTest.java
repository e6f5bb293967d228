package io.evasan.nsc.cell.pair;

import io.evasan.nsc.api.FailoverMode;
import io.evasan.nsc.api.NscId;
import io.evasan.nsc.cache.CacheConfig;
import io.evasan.nsc.cache.WriteCache;
import io.evasan.nsc.cache.impl.MemoryDestageTarget;
import io.evasan.nsc.cache.impl.WriteBackCache;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The per-cache meters of the pair's controllers ({@code cache=nsc-a|nsc-b}) follow each controller's newest cache:
 * a restart opens new caches for the controller and its partner under the same names, and the registry keeps the
 * first registration of every meter.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ControllerPairMetersTest {
    private static final int UNIT_A = 2;
    private static final int UNIT_B = 1;
    private static final int BLOCK = 4096;

    @TempDir
    Path dir;

    private static double gauge(SimpleMeterRegistry r, String name, String cache) {
        return r.get(name).tag("cache", cache).gauge().value();
    }

    private static long acks(SimpleMeterRegistry r, String cache) {
        return r.get("evasan.cache.ack.latency").tag("cache", cache).timer().count();
    }

    @Test
    void shouldReportTheRestartedCachesInTheGaugesAndCountersOfTheirControllers() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        MemoryDestageTarget mem = new MemoryDestageTarget();
        mem.createLun(UNIT_A, 1 << 20);
        mem.createLun(UNIT_B, 1 << 20);
        ControllerPair pair = new ControllerPair(new PairOptions(dir, false, CacheConfig::new, registry, null, null,
                100, 500, 10_000, null, null, null));
        WriteCache router = pair.open(mem, mem);
        try {
            pair.start();
            pair.setPreference(UNIT_A, NscId.A, FailoverMode.FAILOVER_FAILBACK);
            pair.setPreference(UNIT_B, NscId.B, FailoverMode.FAILOVER_FAILBACK);
            // the first generation of B holds dirty data when it dies
            pair.caches().cache(NscId.B).pauseDestage();
            router.write(1, UNIT_B, 0, ByteBuffer.wrap(new byte[2 * BLOCK]), false);
            assertEquals(2 * BLOCK, gauge(registry, "evasan.cache.dirty.bytes", "nsc-b"));
            pair.kill(NscId.B);
            pair.restart(NscId.B);

            WriteBackCache b = pair.caches().cache(NscId.B);
            WriteBackCache a = pair.caches().cache(NscId.A);
            assertEquals(0, gauge(registry, "evasan.cache.dirty.bytes", "nsc-b"), "B's new cache is clean");
            assertEquals(b.capacityBytes(), gauge(registry, "evasan.cache.capacity.bytes", "nsc-b"));
            b.pauseDestage();
            a.pauseDestage();
            long acksB = acks(registry, "nsc-b");
            long acksA = acks(registry, "nsc-a");
            router.write(1, UNIT_B, 0, ByteBuffer.wrap(new byte[BLOCK]), false);
            router.write(1, UNIT_A, 0, ByteBuffer.wrap(new byte[3 * BLOCK]), false);
            assertEquals(BLOCK, gauge(registry, "evasan.cache.dirty.bytes", "nsc-b"), "B's gauge reads its new cache");
            assertEquals(3 * BLOCK, gauge(registry, "evasan.cache.dirty.bytes", "nsc-a"),
                    "A's gauge reads the cache it reopened for B's return");
            assertEquals(acksB + 1, acks(registry, "nsc-b"));
            assertEquals(acksA + 1, acks(registry, "nsc-a"));

            double destagedB = registry.get("evasan.cache.destaged.bytes").tag("cache", "nsc-b").counter().count();
            b.resumeDestage();
            a.resumeDestage();
            router.synchronizeAll();
            assertEquals(destagedB + BLOCK,
                    registry.get("evasan.cache.destaged.bytes").tag("cache", "nsc-b").counter().count());
            assertEquals(0, gauge(registry, "evasan.cache.dirty.bytes", "nsc-b"));
            assertEquals(0, gauge(registry, "evasan.cache.dirty.bytes", "nsc-a"));
        } finally {
            router.close();
            pair.close();
        }
    }
}
