package io.evasan.raid;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.raid.bitmap.BitmapDescriptor;
import io.evasan.raid.bitmap.BitmapDescriptor.Image;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The write-intent bitmap layout: golden bytes, round trip, every flipped bit rejected, bad fields named. */
class BitmapDescriptorTest {
    private static final UUID POOL = new UUID(0x0102030405060708L, 0x090A0B0C0D0E0F10L);
    private static final int BITS = BitmapDescriptor.MIN_BITS;

    private static long[] words() {
        long[] w = new long[BITS / 64];
        w[0] = 0x8000_0000_0000_0005L; // bits 0, 2, 63
        w[1] = 0x2;                    // bit 65
        w[BITS / 64 - 1] = 1L << 63;   // bit 4095
        return w;
    }

    private static ByteBuffer golden() {
        ByteBuffer b = ByteBuffer.allocate(BitmapDescriptor.imageBytes(BITS)).order(ByteOrder.LITTLE_ENDIAN);
        BitmapDescriptor.encode(b, 0x1122334455L, POOL, 3, BITS, words());
        return b;
    }

    @Test
    void shouldEncodeTheDocumentedBytes() {
        ByteBuffer b = golden();
        byte[] head = new byte[48];
        b.get(0, head);
        String hex = "45564231" + "0100" + "0000" + "5544332211000000" + "0807060504030201" + "100f0e0d0c0b0a09"
                + "03000000" + "20000000" + "00100000" + "05000000";
        assertEquals(hex, HexFormat.of().formatHex(head));
        for (int i = 48; i < BitmapDescriptor.CRC_OFFSET; i++) {
            assertEquals(0, b.get(i), "reserved byte " + i);
        }
        byte[] bits = new byte[16];
        b.get(BitmapDescriptor.HEADER_BYTES, bits);
        assertEquals("0500000000000080" + "0200000000000000", HexFormat.of().formatHex(bits));
        assertEquals((byte) 0x80, b.get(BitmapDescriptor.imageBytes(BITS) - 1));
        assertEquals(BitmapDescriptor.crc(b, BITS), b.getInt(BitmapDescriptor.CRC_OFFSET));
        assertEquals(512 + 512, BitmapDescriptor.imageBytes(BITS));
    }

    @Test
    void shouldRoundTripTheBitsAndNameRStoresModuloTheBitCount() {
        Image img = BitmapDescriptor.decode(golden(), POOL, 3);
        assertEquals(0x1122334455L, img.sequence());
        assertEquals(BITS, img.bits());
        assertArrayEquals(words(), img.words());
        assertEquals(5, img.population());
        assertTrue(img.isSet(2));
        assertTrue(img.isSet(65));
        assertTrue(img.isSet(65 + BITS), "RSD ids congruent modulo the bit count share a bit");
        assertFalse(img.isSet(1));
        assertFalse(img.isSet(64));
    }

    @Test
    void shouldRejectEveryFlippedBit() {
        ByteBuffer good = golden();
        int n = BitmapDescriptor.imageBytes(BITS);
        for (int i = 0; i < n; i++) {
            for (int bit = 0; bit < 8; bit++) {
                ByteBuffer b = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
                b.put(0, good, 0, n);
                b.put(i, (byte) (b.get(i) ^ (1 << bit)));
                int at = i;
                StorageException e = assertThrows(StorageException.class, () -> BitmapDescriptor.decode(b, POOL, 3),
                        "flip of byte " + at + " bit " + bit);
                assertEquals(ErrorCode.CORRUPT_METADATA, e.code());
            }
        }
    }

    @Test
    void shouldRejectATornRewrite() {
        ByteBuffer b = golden();
        // the second sector of the bits still holds the previous image's bytes
        b.put(BitmapDescriptor.HEADER_BYTES, (byte) 0);
        StorageException e = assertThrows(StorageException.class, () -> BitmapDescriptor.decode(b, POOL, 3));
        assertTrue(e.getMessage().contains("CRC32C"), e.getMessage());
        ByteBuffer shortFile = golden();
        shortFile.limit(BitmapDescriptor.HEADER_BYTES + 100);
        e = assertThrows(StorageException.class, () -> BitmapDescriptor.decode(shortFile, POOL, 3));
        assertTrue(e.getMessage().contains("file length"), e.getMessage());
    }

    @Test
    void shouldNameTheFieldOfAnImageOfAnotherPoolOrGroup() {
        StorageException e = assertThrows(StorageException.class,
                () -> BitmapDescriptor.decode(golden(), new UUID(1, 2), 3));
        assertTrue(e.getMessage().contains("pool UUID"), e.getMessage());
        e = assertThrows(StorageException.class, () -> BitmapDescriptor.decode(golden(), POOL, 4));
        assertTrue(e.getMessage().contains("disk group id 3"), e.getMessage());
    }

    @Test
    void shouldRefuseABadBitCountOrWordArrayAndWriteNothing() {
        ByteBuffer b = ByteBuffer.allocate(BitmapDescriptor.imageBytes(BITS));
        StorageException e = assertThrows(StorageException.class,
                () -> BitmapDescriptor.encode(b, 1, POOL, 0, 5000, new long[5000 / 64]));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().contains("bit count 5000"), e.getMessage());
        e = assertThrows(StorageException.class, () -> BitmapDescriptor.encode(b, 1, POOL, 0, BITS, new long[3]));
        assertTrue(e.getMessage().contains("words: 3"), e.getMessage());
        for (int i = 0; i < b.capacity(); i++) {
            assertEquals(0, b.get(i));
        }
    }
}
