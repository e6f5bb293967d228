package io.evasan.nsc.cell.drill;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.api.DrillReport;
import io.evasan.nsc.api.NscId;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The stored layout of a finished drill's report ({@code drill/<id>} in the MLD): golden bytes, the header as the
 * diagram draws it, round trips, and every single-bit flip (and every torn or padded record) refused with
 * CORRUPT_METADATA.
 */
class DrillReportDescriptorTest {
    private static final DrillReport KILL = new DrillReport(7, "kill", NscId.B, 1765100000000L, 12, 95, 97, 2, 138, 138,
            0, "taken over by A");
    private static final DrillReport PULL = new DrillReport(8, "pull-drive", null, 1765100001000L, -1, -1, 4, 0, 0, 0,
            0, "drive 3 pulled \u2014 degraded");
    private static final List<DrillReport> SAMPLES = List.of(KILL, PULL,
            new DrillReport(9, "partition", NscId.A, 0, -1, -1, -1, 0, 5, 4, 1, ""));

    private static final String GOLDEN_KILL = "01010400000f0000"
            + "0000000000000007" + "0000019af8289300" + "000000000000000c" + "000000000000005f" + "0000000000000061"
            + "000000000000008a" + "000000000000008a" + "0000000000000000" + "00000002" + "6b696c6c"
            + "74616b656e206f7665722062792041" + "afea2837";

    @Test
    void shouldEncodeTheGoldenBytes() {
        String now = HexFormat.of().formatHex(DrillReportDescriptor.encode(KILL));
        assertEquals(GOLDEN_KILL, now);
        assertEquals(KILL, DrillReportDescriptor.decode(HexFormat.of().parseHex(GOLDEN_KILL)));
    }

    @Test
    void shouldLayOutTheRecordAsTheDiagramSays() {
        byte[] b = DrillReportDescriptor.encode(KILL);
        ByteBuffer w = ByteBuffer.wrap(b);
        assertEquals(1, b[0]);                       // version
        assertEquals(1, b[1]);                       // target B
        assertEquals(4, b[2]);                       // "kill"
        assertEquals(0, b[3]);
        assertEquals(15, w.getShort(4));             // "taken over by A"
        assertEquals(0, w.getShort(6));
        assertEquals(7, w.getLong(8));
        assertEquals(1765100000000L, w.getLong(16));
        assertEquals(12, w.getLong(24));
        assertEquals(95, w.getLong(32));
        assertEquals(97, w.getLong(40));
        assertEquals(138, w.getLong(48));
        assertEquals(138, w.getLong(56));
        assertEquals(0, w.getLong(64));
        assertEquals(2, w.getInt(72));
        assertEquals("kill", new String(b, 76, 4, java.nio.charset.StandardCharsets.US_ASCII));
        assertEquals("taken over by A", new String(b, 80, 15, java.nio.charset.StandardCharsets.UTF_8));
        CRC32C crc = new CRC32C();
        crc.update(b, 0, 95);
        assertEquals((int) crc.getValue(), w.getInt(95));
        assertEquals(99, b.length);
        assertEquals((byte) 0xFF, DrillReportDescriptor.encode(PULL)[1], "no target");
    }

    @Test
    void shouldRoundTripEverySample() {
        for (DrillReport r : SAMPLES) {
            assertEquals(r, DrillReportDescriptor.decode(DrillReportDescriptor.encode(r)));
        }
    }

    @Test
    void shouldCutAnOverlongOutcome() {
        DrillReport r = new DrillReport(1, "kill", NscId.A, 0, 1, 2, 3, 0, 0, 0, 0, "x".repeat(5000));
        assertEquals(DrillReportDescriptor.MAX_OUTCOME_CHARS, DrillReportDescriptor.decode(DrillReportDescriptor.encode(r))
                .outcome().length());
    }

    @Test
    void shouldRefuseEveryBitFlipAndEveryTornOrPaddedRecord() {
        for (DrillReport r : SAMPLES) {
            byte[] good = DrillReportDescriptor.encode(r);
            for (int bit = 0; bit < good.length * 8; bit++) {
                byte[] bad = good.clone();
                bad[bit / 8] ^= (byte) (1 << (bit % 8));
                assertCorrupt(bad, r.kind() + " with bit " + bit + " flipped");
            }
            for (int len = 0; len < good.length; len++) {
                assertCorrupt(java.util.Arrays.copyOf(good, len), r.kind() + " torn at " + len);
            }
            assertCorrupt(java.util.Arrays.copyOf(good, good.length + 1), r.kind() + " padded");
        }
        assertCorrupt(null, "null");
    }

    @Test
    void shouldRefuseARecordWithAValidCrcButInvalidFields() {
        assertCorrupt(withCrc(DrillReportDescriptor.encode(KILL), 0, (byte) 2), "version 2");
        assertCorrupt(withCrc(DrillReportDescriptor.encode(KILL), 1, (byte) 2), "target 2");
        assertCorrupt(withCrc(DrillReportDescriptor.encode(KILL), 76, (byte) 'K'), "kind with a capital");
        assertCorrupt(withCrc(DrillReportDescriptor.encode(KILL), 48, (byte) 0x80), "negative writes acknowledged");
        assertCorrupt(withCrc(DrillReportDescriptor.encode(KILL), 80, (byte) 0xC0), "malformed UTF-8");
        assertThrows(IllegalArgumentException.class, () -> DrillReportDescriptor.encode(new DrillReport(1, "KILL",
                NscId.A, 0, 0, 0, 0, 0, 0, 0, 0, "")));
    }

    private static byte[] withCrc(byte[] b, int at, byte v) {
        b[at] = v;
        CRC32C crc = new CRC32C();
        crc.update(b, 0, b.length - 4);
        ByteBuffer.wrap(b).putInt(b.length - 4, (int) crc.getValue());
        return b;
    }

    private static void assertCorrupt(byte[] b, String what) {
        try {
            DrillReport r = DrillReportDescriptor.decode(b);
            fail(what + " decoded as " + r);
        } catch (StorageException e) {
            assertEquals(ErrorCode.CORRUPT_METADATA, e.code(), what + ": " + e);
        } catch (RuntimeException e) {
            fail(what + ": " + e, e);
        }
    }

    @Test
    void shouldEncodeTheSameBytesForTheSameReport() {
        assertArrayEquals(DrillReportDescriptor.encode(PULL), DrillReportDescriptor.encode(PULL));
    }
}
