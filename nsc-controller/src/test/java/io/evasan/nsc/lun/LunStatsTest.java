package io.evasan.nsc.lun;

import io.evasan.nsc.Nsc;
import io.evasan.scsi.ItNexus;
import io.evasan.scsi.lu.LogicalUnit;
import io.evasan.scsi.target.ScsiStats;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Per-LUN meters of a controller (the SCSI target's {@link ScsiStats}, the only per-LUN I/O meters): exact
 * counts and bytes after host commands, one set per LUN from its creation, gone after delete, and one host
 * command counted exactly once in the whole registry.
 */
class LunStatsTest {
    static final List<String> COUNTERS = List.of("evasan.lun.reads", "evasan.lun.writes", "evasan.lun.read.bytes",
            "evasan.lun.write.bytes", "evasan.lun.check.conditions");
    static final List<String> TIMERS = List.of("evasan.lun.read.latency", "evasan.lun.write.latency");

    /** The model: what the meters of one LUN must show. */
    static final class Expected {
        long reads;
        long writes;
        long readBytes;
        long writeBytes;
    }

    @Test
    void shouldCountEveryHostReadAndWriteOfTheLunExactly() {
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
            assertMeters(registry, "a", ea);   // from creation on, before any presentation
            assertMeters(registry, "b", eb);

            n.ctl.presentLun(Nsc.HOST, 0, "a");
            ItNexus x = n.nexus(Nsc.HOST);
            assertTrue(n.runNoUa(x, 0, Nsc.tur(), null, 0).good());
            Random r = new Random(seed);
            long blocks = a.blockCount();
            byte[] model = new byte[(int) (blocks * 512)];
            for (int step = 0; step < steps; step++) {
                int nb = 1 + r.nextInt(r.nextBoolean() ? 8 : 300);
                long lba = r.nextInt((int) (blocks - nb));
                String where = "seed=" + seed + " step=" + step + " lba=" + lba + " blocks=" + nb;
                if (r.nextInt(3) == 0) {
                    byte[] d = new byte[nb * 512];
                    r.nextBytes(d);
                    assertTrue(n.run(x, 0, Nsc.write10(lba, nb, r.nextInt(10) == 0), d, d.length).good(), where);
                    System.arraycopy(d, 0, model, (int) (lba * 512), d.length);
                    ea.writes++;
                    ea.writeBytes += nb * 512L;
                } else {
                    Nsc.Result rd = n.run(x, 0, Nsc.read10(lba, nb), null, nb * 512L);
                    assertTrue(rd.good(), where);
                    byte[] want = new byte[nb * 512];
                    System.arraycopy(model, (int) (lba * 512), want, 0, want.length);
                    assertArrayEquals(want, rd.data, where);
                    ea.reads++;
                    ea.readBytes += nb * 512L;
                }
                assertMeters(registry, "a", ea);
            }
            assertMeters(registry, "b", eb);

            // a published histogram: buckets exist for Prometheus
            HistogramSnapshot h = registry.find("evasan.lun.read.latency").tag("lun", "a").timer().takeSnapshot();
            assertEquals(ScsiStats.LATENCY_BUCKETS.length, h.histogramCounts().length);
            assertEquals(ea.reads, (long) h.histogramCounts()[h.histogramCounts().length - 1].count()
                    + countAbove(h), "every read in a bucket (or above the last)");

            // the target holds the LU's meter set; the registry holds the same meters
            ScsiStats.LuStats sa = ((io.evasan.scsi.target.impl.DiskTarget) n.ctl.scsiTarget()).stats().of(a);
            assertSame(sa.reads(), registry.find("evasan.lun.reads").tag("lun", "a").counter());

            n.ctl.deleteLun("a", true);   // presented: forced
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
    void shouldCountOneHostWriteOnceInTheWholeRegistry() {
        MeterRegistry registry = new SimpleMeterRegistry();
        try (Nsc n = new Nsc("lunstats-once", c -> c.meterRegistry(registry))) {
            n.ctl.createLun("once", 4L << 20);
            n.ctl.presentLun(Nsc.HOST, 0, "once");
            ItNexus x = n.nexus(Nsc.HOST);
            assertTrue(n.runNoUa(x, 0, Nsc.tur(), null, 0).good());   // the presentation's unit attention is consumed
            Map<Meter.Id, Double> before = counts(registry);

            assertTrue(n.run(x, 0, Nsc.write10(8, 16, false), Nsc.pattern(16 * 512, 7), 16 * 512).good());

            Map<Meter.Id, Double> after = counts(registry);
            Set<String> moved = new TreeSet<>();
            for (Map.Entry<Meter.Id, Double> e : after.entrySet()) {
                double d = e.getValue() - before.getOrDefault(e.getKey(), 0.0);
                if (d != 0 && e.getKey().getTags().stream().anyMatch(t -> t.getValue().equals("once"))) {
                    moved.add(e.getKey().getName() + "+" + (long) d);
                }
            }
            assertEquals(Set.of("evasan.lun.writes+1", "evasan.lun.write.bytes+8192", "evasan.lun.write.latency+1"),
                    moved, "one WRITE(10) of 16 blocks moves exactly one write, its bytes and one latency sample");
            assertEquals(1, registry.find("evasan.lun.writes").tag("lun", "once").meters().size(),
                    "one writes counter for the LUN");
            assertTrue(registry.getMeters().stream().noneMatch(m -> m.getId().getName().startsWith("evasan.scsi.")),
                    "no second per-LU meter family");
        }
    }

    /** Every counter's count and every timer's sample count, by meter id. */
    static Map<Meter.Id, Double> counts(MeterRegistry registry) {
        Map<Meter.Id, Double> m = new HashMap<>();
        for (Meter meter : registry.getMeters()) {
            if (meter instanceof Counter c) {
                m.put(meter.getId(), c.count());
            } else if (meter instanceof Timer t) {
                m.put(meter.getId(), (double) t.count());
            }
        }
        return m;
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
