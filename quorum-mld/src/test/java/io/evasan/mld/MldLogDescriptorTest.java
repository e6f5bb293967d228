package io.evasan.mld;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class MldLogDescriptorTest {
    private static final HexFormat HEX = HexFormat.of();

    /** put lun/a = "a", remove lun/b: the payload, byte for byte. */
    static final String GOLDEN_PAYLOAD = "02000000" + "01" + "0300" + "6c756e" + "0100" + "61" + "01000000" + "61"
            + "00" + "0300" + "6c756e" + "0100" + "62";
    /** Header of generation 5 after checkpoint 3, previous CRC 0x11223344, time 0x1122334455667788; CRCs pinned. */
    static final String GOLDEN_HEADER = "4556414d4c444c47" + "01000000" + "40000000" + "0500000000000000"
            + "0300000000000000" + "1b000000" + "%s" + "44332211" + "8877665544332211" + "0000000000000000" + "%s";
    static final String GOLDEN_PAYLOAD_CRC = "5f00b4d8";
    static final String GOLDEN_HEADER_CRC = "a4c18192";

    private static ByteBuffer golden() {
        MldBatch b = new MldBatch().put("lun", "a", new byte[] {'a'}).remove("lun", "b");
        return MldLogDescriptor.encode(5, 3, 0x11223344, 0x1122334455667788L, b.changes());
    }

    private static String le(int v) {
        return HEX.formatHex(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array());
    }

    @Test
    void shouldEncodeTheGoldenBytes() {
        ByteBuffer r = golden();
        assertEquals(512, r.limit(), "one sector, zero-padded");
        String payloadCrc = le(MldBlockDescriptor.crc(r, 64, 27));
        String headerCrc = le(MldBlockDescriptor.crc(r, 0, 60));
        assertEquals(GOLDEN_HEADER.formatted(payloadCrc, headerCrc), HEX.formatHex(r.array(), 0, 64));
        assertEquals(GOLDEN_HEADER.formatted(GOLDEN_PAYLOAD_CRC, GOLDEN_HEADER_CRC), HEX.formatHex(r.array(), 0, 64),
                "CRC32Cs pinned");
        assertEquals(GOLDEN_PAYLOAD, HEX.formatHex(r.array(), 64, 64 + 27));
        for (int i = 64 + 27; i < 512; i++) {
            assertEquals(0, r.get(i), "padding byte " + i);
        }
        assertNull(MldLogDescriptor.continues(r, 5, 3, 0x11223344));
        assertTrue(MldLogDescriptor.payloadValid(r));
        assertEquals(5, MldLogDescriptor.generation(r));
        assertEquals(512, MldLogDescriptor.recordLength(r));
        List<MldBatch.Change> c = MldLogDescriptor.changes(r);
        assertEquals(2, c.size());
        assertEquals("lun", c.get(0).kind());
        assertEquals("a", c.get(0).key());
        assertArrayEquals(new byte[] {'a'}, c.get(0).value());
        assertEquals("b", c.get(1).key());
        assertNull(c.get(1).value(), "a remove");
    }

    @Test
    void shouldRejectAnyBitFlippedInHeaderOrPayload() {
        ByteBuffer r = golden();
        for (int i = 0; i < 64 + 27; i++) {
            for (int bit = 0; bit < 8; bit++) {
                ByteBuffer f = ByteBuffer.wrap(r.array().clone());
                f.put(i, (byte) (f.get(i) ^ (1 << bit)));
                boolean continues = MldLogDescriptor.continues(f, 5, 3, 0x11223344) == null;
                assertFalse(continues && MldLogDescriptor.payloadValid(f), "byte " + i + " bit " + bit);
            }
        }
    }

    @Test
    void shouldTellDamageFromTheEndOfTheChain() {
        ByteBuffer r = golden();
        assertEquals("end", MldLogDescriptor.continues(ByteBuffer.allocate(512), 5, 3, 0x11223344), "blank");
        assertEquals("end", MldLogDescriptor.continues(r, 6, 3, 0x11223344), "not the next generation");
        assertEquals("end", MldLogDescriptor.continues(r, 5, 4, 0x11223344), "another checkpoint's log");
        assertEquals("end", MldLogDescriptor.continues(r, 5, 3, 0x11223345), "a stale record: chain broken");
        ByteBuffer f = ByteBuffer.wrap(r.array().clone());
        f.put(20, (byte) 1);
        assertEquals("log record header checksum failed", MldLogDescriptor.continues(f, 5, 3, 0x11223344));
    }

    @Test
    void shouldNameTheFieldOfAnUnparsablePayload() {
        ByteBuffer r = golden();
        r.put(68, (byte) 7); // op of the first change
        r.putInt(36, MldBlockDescriptor.crc(r, 64, 27));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MldLogDescriptor.changes(r));
        assertTrue(e.getMessage().contains("change 0 has op 7"), e.getMessage());
    }

    @Test
    void shouldRefuseAKindLongerThanItsLengthField() {
        MldBatch b = new MldBatch().put("k".repeat(70000), "a", new byte[1]);
        assertThrows(IllegalArgumentException.class, () -> MldLogDescriptor.encode(1, 0, 0, 0, b.changes()));
    }
}
