package io.evasan.mld;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.*;

class MldBlockDescriptorTest {
    /** Seal of generation 0x0102030405060708 committed at 0x1122334455667788 ms; first 64 bytes, the rest zero. */
    static final String GOLDEN_SEAL = "4556414d4c44534c" + "01000000" + "00000000" + "0807060504030201"
            + "8877665544332211" + "00".repeat(28) + "%s";

    @Test
    void shouldEncodeTheSealAsTheGoldenBytes() {
        ByteBuffer s = MldBlockDescriptor.seal(0x0102030405060708L, 0x1122334455667788L);
        assertEquals(512, s.limit());
        String head = HexFormat.of().formatHex(s.array(), 0, 64);
        int crc = MldBlockDescriptor.crc(s, 0, 60);
        String crcLe = HexFormat.of().formatHex(ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .putInt(crc).array());
        assertEquals(GOLDEN_SEAL.formatted(crcLe), head);
        assertEquals(GOLDEN_SEAL.formatted(GOLDEN_SEAL_CRC), head, "CRC32C pinned");
        for (int i = 64; i < 512; i++) {
            assertEquals(0, s.get(i));
        }
        assertTrue(MldBlockDescriptor.sealValid(s));
        assertEquals(0x0102030405060708L, MldBlockDescriptor.sealGeneration(s));
    }

    static final String GOLDEN_SEAL_CRC = "bd132067";

    @Test
    void shouldRejectASealWithAnyBitFlippedInItsCheckedBytes() {
        ByteBuffer s = MldBlockDescriptor.seal(42, 1234);
        for (int i = 0; i < 64; i++) {
            for (int bit = 0; bit < 8; bit++) {
                ByteBuffer f = ByteBuffer.wrap(s.array().clone());
                f.put(i, (byte) (f.get(i) ^ (1 << bit)));
                assertFalse(MldBlockDescriptor.sealValid(f), "byte " + i + " bit " + bit);
            }
        }
    }

    @Test
    void shouldKeepTheSealOutOfEveryBlockAndTheBlockLayoutUnchanged() {
        long region = 256 << 10;
        long slot = MldBlockDescriptor.slotSize(region);
        assertEquals(slot - 512, MldBlockDescriptor.sealOffset(region, 0));
        assertEquals(2 * slot - 512, MldBlockDescriptor.sealOffset(region, 1));
        assertEquals(slot - 512 - 4096, MldBlockDescriptor.maxBlockLength(slot), "seal sector and lease reserve stay free");
        assertTrue(MldBlockDescriptor.sealBlank(ByteBuffer.allocate(512)), "regions written before seals: blank, not damaged");
        assertFalse(MldBlockDescriptor.sealValid(ByteBuffer.allocate(512)));
        // a version-1 block header (pre-seal layout; magic bytes "EVAMDL01") still decodes: golden header of generation 7, empty payload
        ByteBuffer b = ByteBuffer.allocate(512);
        b.putInt(64, 0);
        MldBlockDescriptor.writeHeader(b, 7, 4, 99, 3);
        assertTrue(MldBlockDescriptor.headerValid(b, slot));
        assertTrue(MldBlockDescriptor.payloadValid(b));
        assertEquals(7, MldBlockDescriptor.generation(b));
        assertEquals("4556414d444c3031" + "01000000" + "40000000" + "0700000000000000" + "04000000",
                HexFormat.of().formatHex(b.array(), 0, 28));
    }
}
