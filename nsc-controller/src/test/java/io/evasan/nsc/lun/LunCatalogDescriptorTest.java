package io.evasan.nsc.lun;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Function;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.*;

class LunCatalogDescriptorTest {
    private static final HexFormat HEX = HexFormat.of();

    static final LunRecord LUN = new LunRecord(2, "log", LunRecord.Kind.LOG, -5L, -1, 1 << 20);
    static final SnapshotRecord SNAP = new SnapshotRecord("s", 0, 11, (5L << 32) | 3, true, 1700000000000L, 1, 0x5678L, 4096);
    static final Presentation PRES = new Presentation("iqn.x", 7, 2);
    static final LunCatalogDescriptor.Table TABLE = new LunCatalogDescriptor.Table(5, 42, 43);

    static final String LUN_HEX = "4c01" + "02000000" + "01" + "fbffffffffffffff" + "ffffffffffffffff" + "0000100000000000"
            + "0300" + "6c6f67" + "4d0db278";
    static final String SNAP_HEX = "5301" + "0700000000000000" + "00000000" + "01" + "0b00000000000000" + "0300000005000000"
            + "0068e5cf8b010000" + "01000000" + "7856000000000000" + "0010000000000000" + "0100" + "73" + "fa02de2b";
    static final String PRES_HEX = "5001" + "0300000000000000" + "02000000" + "07000000" + "0500" + "69716e2e78" + "989819b3";
    static final String TABLE_HEX = "5401" + "0500000000000000" + "2a00000000000000" + "2b00000000000000" + "5450545b";

    /** {@code golden} with its last 4 bytes replaced by the CRC32C of the bytes before them. */
    private static String withCrc(String golden) {
        String body = golden.substring(0, golden.length() - 8);
        CRC32C c = new CRC32C();
        c.update(HEX.parseHex(body));
        return body + HEX.formatHex(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) c.getValue()).array());
    }

    @Test
    void shouldEncodeEachRecordAsTheGoldenBytes() {
        assertEquals(LUN_HEX, HEX.formatHex(LunCatalogDescriptor.encodeLun(LUN)));
        assertEquals(SNAP_HEX, HEX.formatHex(LunCatalogDescriptor.encodeSnapshot(SNAP, 7)));
        assertEquals(PRES_HEX, HEX.formatHex(LunCatalogDescriptor.encodePresentation(PRES, 3)));
        assertEquals(TABLE_HEX, HEX.formatHex(LunCatalogDescriptor.encodeTable(TABLE)));
        for (String golden : List.of(LUN_HEX, SNAP_HEX, PRES_HEX, TABLE_HEX)) {
            assertEquals(withCrc(golden), golden, "the pinned CRC is the CRC32C of the bytes before it");
        }
    }

    @Test
    void shouldDecodeTheGoldenBytes() {
        assertEquals(LUN, LunCatalogDescriptor.decodeLun(HEX.parseHex(LUN_HEX), "l"));
        assertEquals(new LunCatalogDescriptor.Ordered<>(SNAP, 7L),
                LunCatalogDescriptor.decodeSnapshot(HEX.parseHex(SNAP_HEX), "s"));
        assertEquals(new LunCatalogDescriptor.Ordered<>(PRES, 3L),
                LunCatalogDescriptor.decodePresentation(HEX.parseHex(PRES_HEX), "p"));
        assertEquals(TABLE, LunCatalogDescriptor.decodeTable(HEX.parseHex(TABLE_HEX), "t"));
    }

    @Test
    void shouldRefuseEveryBitFlipOfEveryRecord() {
        flips(LunCatalogDescriptor.encodeLun(LUN), b -> LunCatalogDescriptor.decodeLun(b, "nsc.lun/nsc0/2"));
        flips(LunCatalogDescriptor.encodeSnapshot(SNAP, 7), b -> LunCatalogDescriptor.decodeSnapshot(b, "nsc.snap/nsc0/1"));
        flips(LunCatalogDescriptor.encodePresentation(PRES, 3), b -> LunCatalogDescriptor.decodePresentation(b, "nsc.pres/nsc0/7/iqn.x"));
        flips(LunCatalogDescriptor.encodeTable(TABLE), b -> LunCatalogDescriptor.decodeTable(b, "nsc.lunmeta/nsc0"));
    }

    private static void flips(byte[] good, Function<byte[], Object> decode) {
        for (int i = 0; i < good.length; i++) {
            for (int bit = 0; bit < 8; bit++) {
                byte[] b = good.clone();
                b[i] ^= (byte) (1 << bit);
                int at = i;
                int which = bit;
                StorageException e = assertThrows(StorageException.class, () -> decode.apply(b), "byte " + at + " bit " + which);
                assertEquals(ErrorCode.CORRUPT_METADATA, e.code());
                assertTrue(e.getMessage().startsWith("LUN catalogue record nsc."), e.getMessage());
            }
        }
    }

    /** Re-seals {@code body} (without CRC) with a valid CRC: damage the checksum cannot see. */
    private static byte[] sealed(byte[] body) {
        CRC32C c = new CRC32C();
        c.update(body);
        return ByteBuffer.allocate(body.length + 4).order(ByteOrder.LITTLE_ENDIAN).put(body).putInt((int) c.getValue()).array();
    }

    @Test
    void shouldNameWhatIsWrongWithARecordWhoseChecksumHolds() {
        byte[] table = LunCatalogDescriptor.encodeTable(TABLE);
        assertTrue(assertThrows(StorageException.class, () -> LunCatalogDescriptor.decodeLun(table, "k")).getMessage()
                .endsWith("k: type 'T' where 'L' is expected"));
        byte[] lun = LunCatalogDescriptor.encodeLun(LUN);
        byte[] body = java.util.Arrays.copyOf(lun, lun.length - 4);
        byte[] v2 = body.clone();
        v2[1] = 2;
        assertTrue(assertThrows(StorageException.class, () -> LunCatalogDescriptor.decodeLun(sealed(v2), "k")).getMessage()
                .endsWith("k: unknown version 2"));
        byte[] kind = body.clone();
        kind[6] = 9;
        assertTrue(assertThrows(StorageException.class, () -> LunCatalogDescriptor.decodeLun(sealed(kind), "k")).getMessage()
                .endsWith("k: kind 9 is not a LUN kind"));
        byte[] longer = java.util.Arrays.copyOf(body, body.length + 1);
        assertTrue(assertThrows(StorageException.class, () -> LunCatalogDescriptor.decodeLun(sealed(longer), "k")).getMessage()
                .endsWith("k: 1 bytes after the last field"));
        assertTrue(assertThrows(StorageException.class, () -> LunCatalogDescriptor.decodeLun(new byte[3], "k")).getMessage()
                .contains("shorter than its type, version and checksum"));
    }
}
