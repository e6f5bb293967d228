package io.evasan.nsc.lun;

import io.evasan.nsc.Nsc;
import io.evasan.scsi.ItNexus;
import io.evasan.scsi.lu.LogicalUnit;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Per-LUN meters: exact counts and bytes after host I/O, one set per LUN, gone after delete. */
class LunStatsTest {
    static final List<String> COUNTERS = List.of("evasan.lun.reads", "evasan.lun.writes", "evasan.lun.read.bytes",
            "evasan.lun.write.bytes");
    static final List<String> TIMERS = List.of("evasan.lun.read.latency", "evasan.lun.write.latency");

    /** The model: what the meters of one LUN must show. */
    static final class Expected {
        long reads;
        long writes;
        long readBytes;
        long writeBytes;
    }

    @Test
    void shouldCountEveryReadAndWriteOfTheLunExactly() {
        long seed = Long.getLong("evasan.seed", System.nanoTime());
        int steps = Integer.getInteger("evasan.steps", 300);
        System.out.println("LunStatsTest seed=" + seed + " steps=" + steps);
        MeterRegistry registry = new SimpleMeterRegistry();
        try (Nsc n = new Nsc("lunstats", c -> c.meterRegistry(registry))) {
            n.ctl.createLun("a", 4L << 20);
            n.ctl.createLun("b", 4L << 20);
            LogicalUnit a = n.ctl.logicalUnit("a");
            Expected ea = new Expected();
            Expected eb = new Expected();
            assertMeters(registry, "a", ea);
            assertMeters(registry, "b", eb);

            Random r = new Random(seed);
            long blocks = a.blockCount();
            byte[] model = new byte[(int) (blocks * 512)];
            for (int step = 0; step < steps; step++) {
                int nb = 1 + r.nextInt(r.nextBoolean() ? 8 : 300);
                long lba = r.nextInt((int) (blocks - nb));
                String where = "seed=" + seed + " step=" + step + " lba=" + lba + " blocks=" + nb;
                try {
                    if (r.nextInt(3) == 0) {
                        byte[] d = new byte[nb * 512];
                        r.nextBytes(d);
                        ByteBuffer src = r.nextBoolean() ? ByteBuffer.wrap(d) : ByteBuffer.allocateDirect(d.length).put(d).flip();
                        a.write(lba, nb, src, r.nextInt(10) == 0);
                        System.arraycopy(d, 0, model, (int) (lba * 512), d.length);
                        ea.writes++;
                        ea.writeBytes += nb * 512L;
                    } else {
                        ByteBuffer dst = r.nextBoolean() ? ByteBuffer.allocate(nb * 512) : ByteBuffer.allocateDirect(nb * 512);
                        a.read(lba, nb, dst);
                        dst.flip();
                        byte[] got = new byte[nb * 512];
                        dst.get(got);
                        byte[] want = new byte[nb * 512];
                        System.arraycopy(model, (int) (lba * 512), want, 0, want.length);
                        assertArrayEquals(want, got, where);
                        ea.reads++;
                        ea.readBytes += nb * 512L;
                    }
                } catch (Exception e) {
                    throw new AssertionError(where, e);
                }
                assertMeters(registry, "a", ea);
            }
            assertMeters(registry, "b", eb);

            // through the SCSI target (where the transport's commands enter): the same meters move
            n.ctl.presentLun(Nsc.HOST, 0, "b");
            ItNexus x = n.nexus(Nsc.HOST);
            assertTrue(n.runNoUa(x, 0, Nsc.write10(8, 16, false), Nsc.pattern(16 * 512, 5), 16 * 512).good());
            eb.writes++;
            eb.writeBytes += 16 * 512;
            Nsc.Result rd = n.runNoUa(x, 0, Nsc.read10(8, 16), null, 16 * 512);
            assertTrue(rd.good());
            assertArrayEquals(Nsc.pattern(16 * 512, 5), rd.data);
            eb.reads++;
            eb.readBytes += 16 * 512;
            assertMeters(registry, "b", eb);
            assertMeters(registry, "a", ea);

            // a published histogram: buckets exist for Prometheus
            HistogramSnapshot h = registry.find("evasan.lun.read.latency").tag("lun", "a").timer().takeSnapshot();
            assertEquals(LunStats.LATENCY_BUCKETS.length, h.histogramCounts().length);
            assertEquals(ea.reads, (long) h.histogramCounts()[h.histogramCounts().length - 1].count()
                    + countAbove(h), "every read in a bucket (or above the last)");

            // the LU holds its stats object; the registry holds the same meters
            LunStats sa = ((io.evasan.nsc.lun.impl.CachedLogicalUnit) a).stats();
            assertSame(sa.reads(), registry.find("evasan.lun.reads").tag("lun", "a").counter());

            n.ctl.deleteLun("a");
            for (String m : COUNTERS) {
                assertNull(registry.find(m).tag("lun", "a").meter(), m + " still registered after delete");
            }
            for (String m : TIMERS) {
                assertNull(registry.find(m).tag("lun", "a").meter(), m + " still registered after delete");
            }
            assertEquals(0, tagged(registry, "a"), "no meter tagged lun=a after delete");
            assertMeters(registry, "b", eb);

            // reopen: the surviving LUN gets its meters again (counting from zero in this process)
            n.reopen();
            assertMeters(registry, "b", new Expected());
            assertNull(registry.find("evasan.lun.reads").tag("lun", "a").meter());
        }
    }

    @Test
    void shouldRemoveExactlyItsOwnMetersOnClose() {
        MeterRegistry registry = new SimpleMeterRegistry();
        LunStats x = new LunStats(registry, "x");
        LunStats y = new LunStats(registry, "y");
        x.recordRead(4096, 1_000);
        x.recordWrite(512, 2_000);
        y.recordRead(1024, 3_000);
        assertEquals(2, registry.find("evasan.lun.reads").meters().size(), "one reads counter per LUN");
        long yMeters = tagged(registry, "y");
        assertTrue(yMeters >= 6, "six meters (and a registry's synthetic histogram gauges) per LUN: " + yMeters);
        assertEquals(yMeters, tagged(registry, "x"));
        x.close();
        assertEquals(0, tagged(registry, "x"), "no meter of x left (synthetic ones included)");
        assertEquals(yMeters, tagged(registry, "y"));
        assertNull(registry.find("evasan.lun.reads").tag("lun", "x").meter());
        assertEquals(1.0, registry.find("evasan.lun.reads").tag("lun", "y").counter().count());
        assertEquals(1024.0, registry.find("evasan.lun.read.bytes").tag("lun", "y").counter().count());
        assertEquals(3_000.0, y.readLatency().totalTime(java.util.concurrent.TimeUnit.NANOSECONDS));
    }

    /** Samples above the largest bucket bound (none expected in a unit test, but not asserted). */
    static long countAbove(HistogramSnapshot h) {
        return h.count() - (long) h.histogramCounts()[h.histogramCounts().length - 1].count();
    }

    static long tagged(MeterRegistry registry, String lun) {
        return registry.getMeters().stream().filter(m -> lun.equals(m.getId().getTag("lun"))).count();
    }

    static void assertMeters(MeterRegistry registry, String lun, Expected e) {
        Counter reads = registry.find("evasan.lun.reads").tag("lun", lun).counter();
        Counter writes = registry.find("evasan.lun.writes").tag("lun", lun).counter();
        Counter rb = registry.find("evasan.lun.read.bytes").tag("lun", lun).counter();
        Counter wb = registry.find("evasan.lun.write.bytes").tag("lun", lun).counter();
        Timer rl = registry.find("evasan.lun.read.latency").tag("lun", lun).timer();
        Timer wl = registry.find("evasan.lun.write.latency").tag("lun", lun).timer();
        assertNotNull(reads, "evasan.lun.reads lun=" + lun);
        assertNotNull(writes);
        assertNotNull(rb);
        assertNotNull(wb);
        assertNotNull(rl);
        assertNotNull(wl);
        assertEquals(e.reads, (long) reads.count(), "reads of " + lun);
        assertEquals(e.writes, (long) writes.count(), "writes of " + lun);
        assertEquals(e.readBytes, (long) rb.count(), "read bytes of " + lun);
        assertEquals(e.writeBytes, (long) wb.count(), "write bytes of " + lun);
        assertEquals(e.reads, rl.count(), "read latency samples of " + lun);
        assertEquals(e.writes, wl.count(), "write latency samples of " + lun);
    }
}
