package io.evasan.nsc.cell.heartbeat;

import org.junit.jupiter.api.Test;

import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.*;

class HeartbeatDescriptorTest {
    /** Ping 0x0102030405060708 sent at 0x1112131415161718 ns. */
    static final String GOLDEN = "4556414842543031" + "01000000" + "00000000" + "0807060504030201" + "1817161514131211" + "%s";
    static final String GOLDEN_CRC = "8f84d914";

    @Test
    void shouldEncodeTheGoldenBytes() {
        byte[] b = HeartbeatDescriptor.encode(HeartbeatDescriptor.PING, 0x0102030405060708L, 0x1112131415161718L);
        assertEquals(36, b.length);
        String crc = HexFormat.of().formatHex(b, 32, 36);
        assertEquals(GOLDEN.formatted(crc), HexFormat.of().formatHex(b));
        assertEquals(GOLDEN.formatted(GOLDEN_CRC), HexFormat.of().formatHex(b), "CRC32C pinned");
        assertEquals(new HeartbeatDescriptor.Beat(1, 0x0102030405060708L, 0x1112131415161718L), HeartbeatDescriptor.decode(b));
        byte[] reply = HeartbeatDescriptor.encode(HeartbeatDescriptor.REPLY, 5, -3);
        assertEquals(new HeartbeatDescriptor.Beat(2, 5, -3), HeartbeatDescriptor.decode(reply), "a reply echoes any clock value");
    }

    @Test
    void shouldRejectAMessageWithAnyBitFlipped() {
        byte[] b = HeartbeatDescriptor.encode(HeartbeatDescriptor.REPLY, 77, 123_456_789L);
        for (int i = 0; i < b.length; i++) {
            for (int bit = 0; bit < 8; bit++) {
                byte[] f = b.clone();
                f[i] ^= (byte) (1 << bit);
                assertNull(HeartbeatDescriptor.decode(f), "byte " + i + " bit " + bit);
            }
        }
    }

    @Test
    void shouldRejectWrongLengthsAndKinds() {
        byte[] b = HeartbeatDescriptor.encode(HeartbeatDescriptor.PING, 1, 2);
        assertNull(HeartbeatDescriptor.decode(null));
        assertNull(HeartbeatDescriptor.decode(java.util.Arrays.copyOf(b, 35)));
        assertNull(HeartbeatDescriptor.decode(java.util.Arrays.copyOf(b, 37)));
        assertThrows(IllegalArgumentException.class, () -> HeartbeatDescriptor.encode(3, 1, 2));
    }
}
