package io.evasan.mgmt.impl;

import io.evasan.mgmt.impl.PerfHistory.Resolution;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Chronicle Map history: reopen, recovery without the clean-shutdown marker, downsampling, retention. */
class PerfHistoryTest {
    private static final long T0 = 1_800_000_000_000L; // a multiple of 5 min

    private static PerfPoint point(long start, long reads, int bucket) {
        long[] b = new long[PerfPoint.BUCKETS];
        b[bucket] = reads;
        return new PerfPoint(start, reads, 0, reads * 4096, 0, b);
    }

    @Test
    void shouldReturnThePointsWrittenBeforeAReopen(@TempDir Path dir) {
        try (PerfHistory h = PerfHistory.open(dir, 8)) {
            assertFalse(h.recovered());
            assertTrue(h.putIo("lun/a", Resolution.TEN_SECONDS, point(T0, 7, 3)));
            assertTrue(h.putIo("lun/a", Resolution.TEN_SECONDS, point(T0 + 10_000, 9, 4)));
        }
        assertTrue(Files.exists(dir.resolve(PerfHistory.CLEAN_MARKER)));
        try (PerfHistory h = PerfHistory.open(dir, 8)) {
            assertFalse(h.recovered(), "a clean shutdown needs no recovery");
            assertFalse(Files.exists(dir.resolve(PerfHistory.CLEAN_MARKER)), "the marker is gone while open");
            assertEquals(List.of(point(T0, 7, 3), point(T0 + 10_000, 9, 4)),
                    h.io("lun/a", Resolution.TEN_SECONDS, T0, T0 + 60_000, T0 + 60_000));
            assertEquals(List.of("lun/a"), h.seriesNames());
        }
    }

    @Test
    void shouldRecoverTheFilesWhenTheCleanShutdownMarkerIsMissing(@TempDir Path dir) throws Exception {
        try (PerfHistory h = PerfHistory.open(dir, 8)) {
            h.putIo("lun/a", Resolution.TEN_SECONDS, point(T0, 7, 3));
        }
        Files.delete(dir.resolve(PerfHistory.CLEAN_MARKER)); // as a kill -9 leaves it
        try (PerfHistory h = PerfHistory.open(dir, 8)) {
            assertTrue(h.recovered());
            assertEquals(List.of(point(T0, 7, 3)), h.io("lun/a", Resolution.TEN_SECONDS, T0, T0 + 10_000, T0 + 10_000));
            assertTrue(h.putIo("lun/a", Resolution.TEN_SECONDS, point(T0 + 10_000, 1, 0)), "writable after recovery");
        }
    }

    @Test
    void shouldDownsampleTenSecondPointsIntoFiveMinutePoints() {
        try (PerfHistory h = PerfHistory.inMemory(4)) {
            PerfPoint sum = PerfPoint.empty(T0);
            for (int i = 0; i < 30; i++) {
                PerfPoint p = point(T0 + i * 10_000L, i + 1, i < 27 ? 2 : 9); // 3 slow points out of 30
                h.addIo("lun/a", Resolution.FIVE_MINUTES, p);
                sum = sum.plus(p, T0);
            }
            h.addIo("lun/a", Resolution.FIVE_MINUTES, point(T0 + 300_000, 5, 0)); // the next window
            List<PerfPoint> five = h.io("lun/a", Resolution.FIVE_MINUTES, T0, T0 + 600_000, T0 + 600_000);
            assertEquals(2, five.size());
            assertEquals(sum, five.get(0));
            assertEquals(465, five.get(0).reads()); // 1 + 2 + ... + 30
            assertEquals(465 / 300.0, five.get(0).iops(300_000), 1e-9);
            // 378 of the 465 commands are in bucket 2 (<= 100 µs), the last 87 in bucket 9 (<= 20 ms)
            assertEquals(Duration.ofNanos(100_000), five.get(0).latency(0.5));
            assertEquals(Duration.ofMillis(20), five.get(0).latency(0.99));
            assertEquals(point(T0 + 300_000, 5, 0), five.get(1));
        }
    }

    @Test
    void shouldDropPointsOlderThanTheRetention() {
        try (PerfHistory h = PerfHistory.inMemory(4)) {
            long day = Resolution.TEN_SECONDS.retentionMillis();
            h.putIo("lun/a", Resolution.TEN_SECONDS, point(T0, 1, 0));
            h.putIo("lun/a", Resolution.TEN_SECONDS, point(T0 + 10_000, 2, 0));
            assertEquals(2, h.io("lun/a", Resolution.TEN_SECONDS, T0 - day, T0 + day, T0 + day - 1).size(),
                    "both started less than 24 h ago");
            assertEquals(1, h.io("lun/a", Resolution.TEN_SECONDS, T0 - day, T0 + day, T0 + day).size(),
                    "T0's point is 24 h old");
            assertEquals(List.of(point(T0 + 10_000, 2, 0)),
                    h.io("lun/a", Resolution.TEN_SECONDS, T0 - day, T0 + 2 * day, T0 + day + 5_000));
            // the ring slot of T0 is reused 24 h later: the new point replaces the old one
            h.putIo("lun/a", Resolution.TEN_SECONDS, point(T0 + day, 3, 0));
            assertEquals(List.of(point(T0 + day, 3, 0)),
                    h.io("lun/a", Resolution.TEN_SECONDS, T0, T0 + day + 1, T0 + day + 20_000));
            assertTrue(h.io("lun/a", Resolution.TEN_SECONDS, T0, T0 + 10_000, T0 + day + 20_000).isEmpty());
        }
    }

    @Test
    void shouldRefuseNewSeriesWhenFullAndAnswerNoLatencyForAnIdlePoint() {
        try (PerfHistory h = PerfHistory.inMemory(1)) {
            assertTrue(h.putIo("lun/a", Resolution.TEN_SECONDS, point(T0, 1, 0)));
            assertFalse(h.putIo("lun/b", Resolution.TEN_SECONDS, point(T0, 1, 0)));
            assertFalse(h.knows("lun/b"));
            assertNull(PerfPoint.empty(T0).latency(0.5));
        }
    }
}
