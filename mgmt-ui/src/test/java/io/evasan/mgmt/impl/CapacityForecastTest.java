package io.evasan.mgmt.impl;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Least-squares forecast of the days until a disk group is full. */
class CapacityForecastTest {
    private static final long DAY = 86_400_000L;
    private static final long GIB = 1L << 30;

    @Test
    void shouldExtrapolateTheLeastSquaresSlope() {
        // used: 10, 13, 14, 19 GiB on days 0..3 of a 100 GiB group; slope = 2.8 GiB/day (least squares)
        long[] used = {10, 13, 14, 19};
        List<CapacityPoint> h = new ArrayList<>();
        for (int d = 0; d < used.length; d++) {
            h.add(new CapacityPoint(d * DAY, used[d] * GIB, 100 * GIB, 300 * GIB));
        }
        CapacityForecast f = CapacityForecast.of(h);
        assertEquals(2.8 * GIB, f.growthBytesPerDay(), 1);
        assertEquals((100 - 19) / 2.8, f.daysUntilFull(), 1e-6);
        assertEquals(4, f.points());
        assertEquals("28.9 days until full", f.text());
        java.util.Collections.reverse(h);
        assertEquals((100 - 19) / 2.8, CapacityForecast.of(h).daysUntilFull(), 1e-6, "order does not matter");
    }

    @Test
    void shouldSayNoGrowthWhenFlatShrinkingOrShort() {
        List<CapacityPoint> flat = List.of(new CapacityPoint(0, GIB, 10 * GIB, 0), new CapacityPoint(DAY, GIB, 10 * GIB, 0));
        assertNull(CapacityForecast.of(flat).daysUntilFull());
        assertEquals("no growth", CapacityForecast.of(flat).text());
        List<CapacityPoint> shrinking = List.of(new CapacityPoint(0, 5 * GIB, 10 * GIB, 0),
                new CapacityPoint(DAY, GIB, 10 * GIB, 0));
        assertNull(CapacityForecast.of(shrinking).daysUntilFull());
        assertEquals(-4.0 * GIB, CapacityForecast.of(shrinking).growthBytesPerDay(), 1);
        assertNull(CapacityForecast.of(List.of(new CapacityPoint(0, GIB, 10 * GIB, 0))).daysUntilFull());
        assertNull(CapacityForecast.of(List.of()).daysUntilFull());
    }
}
