package io.evasan.nsc.cell.drill;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The verifier's 4 KiB pattern block: golden header and CRC, what it says about itself, and every single-bit flip,
 * an all-zero (never written) block and another write's block refused or told apart.
 */
class PatternBlockDescriptorTest {
    private static final String GOLDEN_HEADER = "4556445600010000000000000000002a00000000000000070000000000000008";
    private static final String GOLDEN_CRC = "b00f27c8";

    @Test
    void shouldEncodeTheGoldenHeaderAndCrc() {
        byte[] b = PatternBlockDescriptor.encode(42, 7, 8);
        assertEquals(PatternBlockDescriptor.LENGTH, b.length);
        assertEquals(GOLDEN_HEADER, HexFormat.of().formatHex(b, 0, 32));
        assertEquals(GOLDEN_CRC, HexFormat.of().formatHex(b, 4092, 4096));
        CRC32C crc = new CRC32C();
        crc.update(b, 0, 4092);
        assertEquals((int) crc.getValue(), ByteBuffer.wrap(b).getInt(4092));
    }

    @Test
    void shouldDescribeItself() {
        assertEquals(new PatternBlockDescriptor.Block(42, 7, 8), PatternBlockDescriptor.decode(PatternBlockDescriptor.encode(42, 7, 8), 7));
    }

    @Test
    void shouldTellEveryWriteApart() {
        byte[] a = PatternBlockDescriptor.encode(42, 7, 8);
        assertNotEquals(HexFormat.of().formatHex(a, 32, 64), HexFormat.of().formatHex(PatternBlockDescriptor.encode(42, 7, 9), 32, 64));
        assertNotEquals(HexFormat.of().formatHex(a, 32, 64), HexFormat.of().formatHex(PatternBlockDescriptor.encode(42, 8, 8), 32, 64));
        assertNotEquals(HexFormat.of().formatHex(a, 32, 64), HexFormat.of().formatHex(PatternBlockDescriptor.encode(43, 7, 8), 32, 64));
    }

    @Test
    void shouldRefuseEveryBitFlipAndABlockNeverWritten() {
        byte[] good = PatternBlockDescriptor.encode(42, 7, 8);
        for (int bit = 0; bit < good.length * 8; bit++) {
            byte[] bad = good.clone();
            bad[bit / 8] ^= (byte) (1 << (bit % 8));
            assertCorrupt(bad, "bit " + bit);
        }
        assertCorrupt(new byte[4096], "zeros");
        assertCorrupt(new byte[512], "512 bytes");
    }

    private static void assertCorrupt(byte[] b, String what) {
        try {
            fail(what + " decoded as " + PatternBlockDescriptor.decode(b, 7));
        } catch (StorageException e) {
            assertEquals(ErrorCode.CORRUPT_METADATA, e.code(), what);
        }
    }
}
