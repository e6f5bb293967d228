package io.evasan.mgmt.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import org.junit.jupiter.api.Test;

import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The stored history point: golden bytes, round trips of both kinds, every flipped bit refused. */
class PerfPointDescriptorTest {
    private static PerfPoint sample() {
        long[] b = new long[PerfPoint.BUCKETS];
        b[0] = 1;
        b[5] = 0x1_0000_0005L; // saturates at 2^32-1 when stored
        b[16] = 2;
        return new PerfPoint(1_800_000_000_000L, 3, 4, 4096, 8192, b);
    }

    @Test
    void shouldEncodeTheGoldenBytes() {
        byte[] r = PerfPointDescriptor.encode(sample());
        assertEquals(120, r.length);
        assertEquals("4556504801000100" + "00505c18a3010000" + "0300000000000000" + "0400000000000000"
                        + "0010000000000000" + "0020000000000000"
                        + "01000000" + "00000000".repeat(4) + "ffffffff" + "00000000".repeat(10) + "02000000",
                HexFormat.of().formatHex(r, 0, 116));
        long[] saturated = sample().buckets();
        saturated[5] = 0xFFFF_FFFFL;
        assertEquals(new PerfPoint(1_800_000_000_000L, 3, 4, 4096, 8192, saturated), PerfPointDescriptor.decodeIo(r));
    }

    @Test
    void shouldRoundTripACapacityPoint() {
        CapacityPoint c = new CapacityPoint(1_800_000_000_000L, 10L << 20, 100L << 20, 300L << 20);
        byte[] r = PerfPointDescriptor.encode(c);
        assertEquals(PerfPointDescriptor.SIZE, r.length);
        assertEquals(c, PerfPointDescriptor.decodeCapacity(r));
        assertEquals(PerfPointDescriptor.KIND_CAPACITY, PerfPointDescriptor.kind(r));
        assertEquals(ErrorCode.CORRUPT_METADATA, assertThrows(StorageException.class,
                () -> PerfPointDescriptor.decodeIo(r)).code());
    }

    @Test
    void shouldRefuseEveryFlippedBit() {
        for (byte[] r : new byte[][]{PerfPointDescriptor.encode(sample()),
                PerfPointDescriptor.encode(new CapacityPoint(5, 1, 2, 3))}) {
            for (int i = 0; i < r.length * 8; i++) {
                byte[] bad = r.clone();
                bad[i / 8] ^= (byte) (1 << (i % 8));
                StorageException e = assertThrows(StorageException.class, () -> PerfPointDescriptor.kind(bad), "bit " + i);
                assertEquals(ErrorCode.CORRUPT_METADATA, e.code());
            }
            assertEquals(ErrorCode.CORRUPT_METADATA, assertThrows(StorageException.class,
                    () -> PerfPointDescriptor.kind(java.util.Arrays.copyOf(r, r.length - 1))).code());
        }
    }
}
