package io.evasan.mgmt.impl;

import io.evasan.mgmt.impl.PerfHistory.Resolution;
import io.evasan.raid.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A child JVM writes history points (printing "acked N" after each 10 s point), then keeps adding into one 5 min
 * point; it is killed with SIGKILL while doing so. The next open finds no clean-shutdown marker, recovers the
 * Chronicle Map files, answers every acknowledged point, and accepts writes again (no segment lock left held).
 */
class PerfHistoryCrashTest {
    static final long T0 = 1_800_000_000_000L;
    static final int POINTS = 2_000;

    static PerfPoint point(int i) {
        long[] b = new long[PerfPoint.BUCKETS];
        b[i % PerfPoint.BUCKETS] = i + 1;
        return new PerfPoint(T0 + i * 10_000L, i + 1, i, 4096L * (i + 1), 512L * i, b);
    }

    /** The child: args[0] = the history directory. */
    public static void main(String[] args) {
        PerfHistory h = PerfHistory.open(Path.of(args[0]), 4);
        for (int i = 0; i < POINTS; i++) {
            h.putIo("lun/a", Resolution.TEN_SECONDS, point(i));
            System.out.println("acked " + i);
        }
        System.out.println("ready");
        System.out.flush();
        for (long n = 0; ; n++) { // mid-put when the SIGKILL lands, most likely
            h.addIo("lun/a", Resolution.FIVE_MINUTES, PerfPoint.empty(T0));
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldRecoverAfterAKill9AndAnswerEveryAcknowledgedPoint(@TempDir Path dir) throws Exception {
        List<String> lines;
        try (ChildJvm child = ChildJvm.of(PerfHistoryCrashTest.class).args(dir.toString()).heap("256m").start()) {
            assertTrue(child.awaitLine("ready", 90_000), () -> "the child did not write its points: " + child.lines());
            lines = child.killAndCollect();
        }
        assertFalse(Files.exists(dir.resolve(PerfHistory.CLEAN_MARKER)), "a killed process leaves no marker");
        long acked = lines.stream().filter(l -> l.startsWith("acked ")).count();
        assertEquals(POINTS, acked);
        long now = T0 + POINTS * 10_000L;
        try (PerfHistory h = PerfHistory.open(dir, 4)) {
            assertTrue(h.recovered());
            List<PerfPoint> got = h.io("lun/a", Resolution.TEN_SECONDS, T0, now, now);
            assertEquals(POINTS, got.size());
            for (int i = 0; i < POINTS; i++) {
                assertEquals(point(i), got.get(i));
            }
            assertTrue(h.addIo("lun/a", Resolution.FIVE_MINUTES, point(0)), "writable: no segment lock left held");
            assertTrue(h.putIo("lun/b", Resolution.TEN_SECONDS, point(1)));
        }
        try (PerfHistory h = PerfHistory.open(dir, 4)) {
            assertFalse(h.recovered(), "closed cleanly this time");
        }
    }
}
