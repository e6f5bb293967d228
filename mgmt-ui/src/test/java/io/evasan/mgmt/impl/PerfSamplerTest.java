package io.evasan.mgmt.impl;

import io.evasan.mgmt.impl.PerfHistory.Resolution;
import io.evasan.scsi.lu.LogicalUnit;
import io.evasan.scsi.target.ScsiStats;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The sampler turns the SCSI target's cumulative per-LU meters into 10 s and 5 min history points. */
class PerfSamplerTest {
    private static final long T0 = 1_800_000_000_000L;

    private static LogicalUnit lu() {
        return (LogicalUnit) Proxy.newProxyInstance(LogicalUnit.class.getClassLoader(), new Class<?>[]{LogicalUnit.class},
                (p, m, a) -> m.getName().equals("hashCode") ? System.identityHashCode(p)
                        : m.getName().equals("equals") ? p == a[0] : null);
    }

    @Test
    void shouldWriteTheIoOfEachWindowOnceAndSumTheControllerSeries() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ScsiStats stats = new ScsiStats(registry);
        ScsiStats.LuStats a = stats.register(lu(), "a");
        ScsiStats.LuStats b = stats.register(lu(), "b");
        ScsiStats.LuStats portal = ScsiStats.portMeters(registry, "127.0.0.1:3260");
        AtomicLong now = new AtomicLong(T0 + 1_000);
        a.recordRead(4096, 30_000); // before the baseline: never counted
        try (PerfHistory h = PerfHistory.inMemory(8)) {
            PerfSampler s = new PerfSampler(registry, h, "nsc0", now::get);
            assertEquals(0, s.tick(), "the first call takes the baseline");
            for (int i = 0; i < 99; i++) {
                a.recordRead(4096, 80_000);      // <= 100 µs
            }
            a.recordWrite(8192, 3_000_000);      // <= 5 ms
            b.recordWrite(512, 7_000_000_000L);  // above the last bound
        portal.recordRead(65536, 150_000);
            now.set(T0 + 9_999);
            assertEquals(0, s.tick(), "same window: nothing written");
            now.set(T0 + 10_500);
            assertEquals(4, s.tick(), "two LUNs, one portal, the controller");
            now.set(T0 + 20_100);
            assertEquals(4, s.tick(), "an idle window is a point of zeros");
            PerfPoint port = h.io("port/127.0.0.1:3260", Resolution.TEN_SECONDS, T0, T0 + 10_000, T0 + 20_100).get(0);
            assertEquals(1, port.reads());
            assertEquals(65536, port.readBytes());
            assertEquals(Duration.ofNanos(200_000), port.latency(0.5));

            List<PerfPoint> pa = h.io("lun/a", Resolution.TEN_SECONDS, T0, T0 + 20_000, T0 + 20_100);
            assertEquals(2, pa.size());
            PerfPoint p = pa.get(0);
            assertEquals(T0, p.startMillis());
            assertEquals(99, p.reads());
            assertEquals(1, p.writes());
            assertEquals(99 * 4096, p.readBytes());
            assertEquals(8192, p.writeBytes());
            assertEquals(10.0, p.iops(10_000), 1e-9);
            assertEquals(Duration.ofNanos(100_000), p.latency(0.5));
            assertEquals(Duration.ofNanos(100_000), p.latency(0.99));
            assertEquals(Duration.ofMillis(5), p.latency(1.0));
            assertEquals(PerfPoint.empty(T0 + 10_000), pa.get(1));

            PerfPoint c = h.io("controller/nsc0", Resolution.TEN_SECONDS, T0, T0 + 10_000, T0 + 20_100).get(0);
            assertEquals(99, c.reads());
            assertEquals(2, c.writes(), "the controller sums its LUNs, not its ports");
            assertEquals(Duration.ofSeconds(5), c.latency(1.0), "the overflow bucket answers the last bound");

            PerfPoint five = h.io("lun/a", Resolution.FIVE_MINUTES, T0, T0 + 300_000, T0 + 20_100).get(0);
            assertEquals(p.plus(pa.get(1), T0), five, "the 5 min point is the sum of its 10 s points");
        }
    }
}
