package io.evasan.mgmt.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The stored schedule record (round trip, every damage refused) and the destage-rate sampler. */
class ScheduleDescriptorTest {
    @Test
    void shouldRoundTripAndRefuseDamagedRecords() {
        ScheduleDescriptor.Stored s = new ScheduleDescriptor.Stored("nightly.db-1", "lun:ä", 86_400, 7, true,
                1_800_000_000_000L, -1);
        byte[] r = ScheduleDescriptor.encode(s);
        assertEquals(36 + "nightly.db-1".length() + "lun:ä".getBytes(java.nio.charset.StandardCharsets.UTF_8).length + 4, r.length);
        assertEquals(s, ScheduleDescriptor.decode(r));
        for (int i = 0; i < r.length; i++) {
            byte[] bad = r.clone();
            bad[i] ^= 0x10;
            StorageException e = assertThrows(StorageException.class, () -> ScheduleDescriptor.decode(bad), "byte " + i);
            assertEquals(ErrorCode.CORRUPT_METADATA, e.code());
        }
        assertEquals(ErrorCode.CORRUPT_METADATA, assertThrows(StorageException.class,
                () -> ScheduleDescriptor.decode(Arrays.copyOf(r, r.length - 1))).code());
        assertEquals(ErrorCode.CORRUPT_METADATA, assertThrows(StorageException.class,
                () -> ScheduleDescriptor.decode(new byte[3])).code());
        assertThrows(IllegalArgumentException.class, () -> ScheduleDescriptor.encode(
                new ScheduleDescriptor.Stored("x", "l", 0, 1, false, 0, -1)));
    }

    @Test
    void shouldStoreTheTimeOfDayWhereTheReservedFieldWas() {
        ScheduleDescriptor.Stored s = new ScheduleDescriptor.Stored("n", "l", 86_400, 3, false, 5L, -1, 135);
        byte[] r = ScheduleDescriptor.encode(s);
        assertEquals(136, (r[18] & 0xFF) | (r[19] & 0xFF) << 8, "1 + minutes after midnight, little endian");
        assertEquals(s, ScheduleDescriptor.decode(r));
        byte[] old = ScheduleDescriptor.encode(new ScheduleDescriptor.Stored("n", "l", 86_400, 3, false, 5L, -1));
        assertEquals(0, old[18] | old[19], "none: 0, what the reserved field always held");
        assertEquals(-1, ScheduleDescriptor.decode(old).atMinute());
        assertThrows(IllegalArgumentException.class, () -> ScheduleDescriptor.encode(
                new ScheduleDescriptor.Stored("x", "l", 60, 1, false, 0, -1, 1440)));
    }

    @Test
    void shouldPlaceTheRunsOnTheTimeOfDay() {
        long day = 86_400_000L;
        long t = 20_000 * day + 5 * 3_600_000L;   // 05:00 UTC
        assertEquals(t + 3_600_000L, ScheduleRoutes.nextRun(t, 3600, -1), "no time of day: an interval later");
        assertEquals(20_001 * day + 2 * 3_600_000L, ScheduleRoutes.nextRun(t, 86_400, 120), "daily at 02:00: tomorrow's");
        assertEquals(20_000 * day + 6 * 3_600_000L, ScheduleRoutes.nextRun(t, 86_400, 360), "daily at 06:00: today's");
        assertEquals(t + 15 * 60_000L, ScheduleRoutes.nextRun(t, 3600, 15), "hourly at :15");
        assertEquals(20_001 * day + 2 * 3_600_000L, ScheduleRoutes.nextRun(20_000 * day + 2 * 3_600_000L, 86_400, 120),
                "a run at 02:00 is followed by the next day's");
        assertEquals("02:05", ScheduleRoutes.timeOfDay(125));
        assertEquals(null, ScheduleRoutes.timeOfDay(-1));
    }

    @Test
    void shouldMeasureTheDestageRateBetweenSamples() {
        AtomicLong now = new AtomicLong(1_000);
        double[] bytes = {0};
        DestageRate r = new DestageRate(() -> bytes[0], now::get);
        assertEquals(0, r.bytesPerSecond());
        r.sample();
        bytes[0] = 3 << 20;
        now.addAndGet(2_000);
        r.sample();
        assertEquals((3L << 20) / 2, r.bytesPerSecond());
        now.addAndGet(1_000);
        r.sample();
        assertEquals(0, r.bytesPerSecond(), "nothing destaged in the last second");
        r.sample();   // no time passed: the last rate stays
        assertEquals(0, r.bytesPerSecond());
    }
}
