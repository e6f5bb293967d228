package io.evasan.nsc.cell;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.api.CellRecord;
import io.evasan.nsc.api.CellRecord.*;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

/** {@link CellRecordDescriptor}: golden bytes for every type, every bit flip refused, strict decoding. */
class CellRecordDescriptorTest {
    /** One record of every type. */
    private static final CellRecord[] SAMPLES = {
            new LunCreated(3, "lun0", LunKind.PRIMARY, 0x0102030405060708L, 9, 1 << 20, 0),
            new LunCreated(4, "log", LunKind.LOG, 77, -1, 4 << 20, -1),
            new LunDeleted(3, "a"),
            new LunResized(3, "lun0", 2 << 20),
            new Presented("iqn.2026-01.test:h0", 5, 3, "lun0"),
            new Unpresented("*", 0, 4096, "snap0"),
            new SnapshotTaken(4096, "snap0", 3, 12, 0x100000001L, true, 1765100000000L, 99, 1 << 20, 1, "RESERVE_FULL"),
            new SnapshotDeleted(4096, "snap0"),
            new SnapclonePromoted(4097, "clone", "clone#1"),
            new QuarantineRepaired("lun-3", RepairKind.LUN, 3, "lun0"),
            new LunRolledBack(3, "lun0", 4096, "snap0"),
            new RecordPut("host", "h0", new byte[]{1, 2, 3}),
            new RecordRemoved("host", "h0"),
            new DiskGroupCreated(1, "dg1", List.of(new DriveEntry(0, "drives/a.img", 64L << 20),
                    new DriveEntry(1, "drives/b.img", 64L << 20))),
            new DriveAdded(0, new DriveEntry(8, "drives/x.img", 64L << 20)),
            new DriveRemoved(0, 8),
            new DriveFailed(0, 2),
            new DriveRestored(0, 2),
            new BgcopyPaused(12),
            new BgcopyResumed(12),
            new BackupInitiated(3, "lun0"),
            new BackupTerminated(),
            new BackupCopyStarted("lun1", true),
            new BackupCopyPaused(),
            new BackupCopyResumed(),
            new BackupCopyCancelled(),
            new DrivePulled(0, 2),
    };

    /** The golden encodings of {@link #SAMPLES} at seq 7 (hex). A change here is a wire-format change. */
    private static final String[] GOLDEN = {
            "4352010100000027000000000000000700000003000102030405060708000000000000000900000000001000000000000000046c756e30538f4838",
            "435201010000002600000000000000070000000401000000000000004dffffffffffffffff0000000000400000ffffffff00036c6f670d2c31ef",
            "43520102000000070000000000000007000000030001614966917e",
            "4352010300000012000000000000000700000003000000000020000000046c756e30e4f37543",
            "435201040000002300000000000000070000000300000005001369716e2e323032362d30312e746573743a683000046c756e30f70cc23f",
            "43520105000000120000000000000007000010000000000000012a0005736e617030437e70c1",
            "435201060000004a0000000000000007000010000000000301000000000000000c00000001000000010000019af82893000000000000000063000000000010000000000001000c524553455256455f46554c4c0005736e61703033c40854",
            "435201070000000b0000000000000007000010000005736e617030fa69097f",
            "43520108000000140000000000000007000010010005636c6f6e650007636c6f6e65233123898a32",
            "43520109000000120000000000000007000000000300056c756e2d3300046c756e306ec60fd1",
            "4352010a000000150000000000000007000000030000100000046c756e300005736e61703056d84fca",
            "4352010b0000001100000000000000070004686f737400026830000000030102038bd0533d",
            "4352010c0000000a00000000000000070004686f737400026830bb3a8f60",
            "4352010d0000003f00000000000000070000000100036467310002000000000000000004000000000c6472697665732f612e696d67000000010000000004000000000c6472697665732f622e696d675a94df16",
            "4352010e0000001e000000000000000700000000000000080000000004000000000c6472697665732f782e696d67b90440f6",
            "4352010f0000000800000000000000070000000000000008449d1099",
            "435201100000000800000000000000070000000000000002b4bc789a",
            "435201110000000800000000000000070000000000000002b9b60577",
            "43520112000000080000000000000007000000000000000c02d03c67",
            "43520113000000080000000000000007000000000000000c0fda418a",
            "435201140000000a00000000000000070000000300046c756e301e3c202e",
            "43520115000000000000000000000007453c5fe7",
            "435201160000000700000000000000070100046c756e31ae3f687a",
            "4352011700000000000000000000000724982f2d",
            "4352011800000000000000000000000735db33cf",
            "4352011900000000000000000000000705090baa",
            "4352011a0000000800000000000000070000000000000002c6fb6c28"
    };

    @Test
    void shouldCoverEveryType() {
        Set<CellRecord.Type> types = EnumSet.noneOf(CellRecord.Type.class);
        for (CellRecord r : SAMPLES) {
            types.add(r.type());
        }
        assertEquals(EnumSet.allOf(CellRecord.Type.class), types);
    }

    @Test
    void shouldEncodeTheGoldenBytes() {
        StringBuilder actual = new StringBuilder();
        for (CellRecord r : SAMPLES) {
            actual.append("            \"").append(HexFormat.of().formatHex(CellRecordDescriptor.encode(new Committed(7, r))))
                    .append("\",\n");
        }
        assertEquals(SAMPLES.length, GOLDEN.length, "one golden encoding per sample; the encodings now:\n" + actual);
        for (int i = 0; i < SAMPLES.length; i++) {
            byte[] bytes = CellRecordDescriptor.encode(new Committed(7, SAMPLES[i]));
            assertEquals(GOLDEN[i], HexFormat.of().formatHex(bytes), SAMPLES[i].toString());
            assertEquals(new Committed(7, SAMPLES[i]), CellRecordDescriptor.decode(HexFormat.of().parseHex(GOLDEN[i])));
        }
    }

    @Test
    void shouldLayOutTheHeaderAsTheDiagramSays() {
        byte[] b = CellRecordDescriptor.encode(new Committed(0x0102030405060708L, new LunDeleted(3, "a")));
        ByteBuffer w = ByteBuffer.wrap(b);
        assertEquals(0x4352, w.getShort(0) & 0xFFFF);   // "CR"
        assertEquals(1, b[2]);                           // version
        assertEquals(2, b[3]);                           // LUN_DELETED
        assertEquals(4 + 2 + 1, w.getInt(4));            // id i32, name str "a"
        assertEquals(0x0102030405060708L, w.getLong(8));
        assertEquals(3, w.getInt(16));
        assertEquals(1, w.getShort(20));
        assertEquals('a', b[22]);
        CRC32C crc = new CRC32C();
        crc.update(b, 0, 23);
        assertEquals((int) crc.getValue(), w.getInt(23));
        assertEquals(27, b.length);
    }

    @Test
    void shouldRefuseEveryBitFlip() {
        for (CellRecord r : SAMPLES) {
            byte[] good = CellRecordDescriptor.encode(new Committed(7, r));
            for (int bit = 0; bit < good.length * 8; bit++) {
                byte[] bad = good.clone();
                bad[bit / 8] ^= (byte) (1 << (bit % 8));
                try {
                    CellRecord.Committed c = CellRecordDescriptor.decode(bad);
                    fail(r.type() + ": flipping bit " + bit + " decoded as " + c);
                } catch (StorageException e) {
                    assertEquals(ErrorCode.CORRUPT_METADATA, e.code());
                }
            }
        }
    }

    @Test
    void shouldRefuseTornAndPaddedRecords() {
        for (CellRecord r : SAMPLES) {
            byte[] good = CellRecordDescriptor.encode(new Committed(7, r));
            for (int n = 0; n < good.length; n++) {
                byte[] torn = java.util.Arrays.copyOf(good, n);
                assertThrows(StorageException.class, () -> CellRecordDescriptor.decode(torn), r.type() + " torn at " + n);
            }
            byte[] padded = java.util.Arrays.copyOf(good, good.length + 1);
            assertThrows(StorageException.class, () -> CellRecordDescriptor.decode(padded), r.type() + " padded");
        }
    }

    /** A body that passes the CRC but breaks a field rule is still refused (the CRC is not the only check). */
    @Test
    void shouldRefuseBadFieldsUnderAValidCrc() {
        byte[] started = CellRecordDescriptor.encode(new Committed(7, new BackupCopyStarted("x", true)));
        started[16] = 2;   // incremental: a boolean that is neither 0 nor 1
        assertRefused(reseal(started), "boolean byte 2");
        byte[] created = CellRecordDescriptor.encode(new Committed(7, new LunCreated(1, "n", LunKind.LOG, 1, -1, 512, -1)));
        created[20] = 2;   // kind: ordinal out of range
        assertRefused(reseal(created), "enum ordinal 2");
        byte[] named = CellRecordDescriptor.encode(new Committed(7, new LunDeleted(3, "a")));
        named[22] = (byte) 0xC3;   // a lone UTF-8 lead byte
        assertRefused(reseal(named), "malformed UTF-8");
        byte[] typed = CellRecordDescriptor.encode(new Committed(7, new BackupTerminated()));
        typed[3] = 60;   // no such type
        assertRefused(reseal(typed), "unknown cell record type 60");
        byte[] versioned = CellRecordDescriptor.encode(new Committed(7, new BackupTerminated()));
        versioned[2] = 2;
        assertRefused(reseal(versioned), "unknown cell record version 2");
        byte[] zero = CellRecordDescriptor.encode(new Committed(7, new BackupTerminated()));
        ByteBuffer.wrap(zero).putLong(8, 0);
        assertRefused(reseal(zero), "sequence number 0");
        byte[] longer = CellRecordDescriptor.encode(new Committed(7, new LunDeleted(3, "a")));
        ByteBuffer.wrap(longer).putShort(20, (short) 2);   // name length runs past the body
        assertRefused(reseal(longer), "does not decode");
    }

    @Test
    void shouldRoundTripRandomRecords() {
        long seed = Long.getLong("evasan.seed", System.nanoTime());
        System.out.println("CellRecordDescriptorTest seed " + seed);
        Random rnd = new Random(seed);
        for (int i = 0; i < 5000; i++) {
            CellRecord r = random(rnd);
            long seq = 1 + (rnd.nextLong() & Long.MAX_VALUE - 1);
            Committed c = new Committed(seq, r);
            Committed back = CellRecordDescriptor.decode(CellRecordDescriptor.encode(c));
            assertEquals(c, back, "seed " + seed + " step " + i);
            assertArrayEquals(CellRecordDescriptor.encode(c), CellRecordDescriptor.encode(back), "seed " + seed + " step " + i);
        }
    }

    private static CellRecord random(Random rnd) {
        String name = randomString(rnd);
        return switch (rnd.nextInt(8)) {
            case 0 -> new LunCreated(rnd.nextInt(), name, LunKind.values()[rnd.nextInt(2)], rnd.nextLong(), rnd.nextLong(),
                    rnd.nextLong(), rnd.nextInt());
            case 1 -> new SnapshotTaken(rnd.nextInt(), name, rnd.nextInt(), rnd.nextLong(), rnd.nextLong(), rnd.nextBoolean(),
                    rnd.nextLong(), rnd.nextLong(), rnd.nextLong(), rnd.nextInt(), randomString(rnd));
            case 2 -> {
                byte[] v = new byte[rnd.nextInt(300)];
                rnd.nextBytes(v);
                yield new RecordPut(name, randomString(rnd), v);
            }
            case 3 -> new Presented(name, rnd.nextInt(), rnd.nextInt(), randomString(rnd));
            case 4 -> new DiskGroupCreated(rnd.nextInt(), name, List.of(new DriveEntry(rnd.nextInt(), randomString(rnd), rnd.nextLong())));
            case 5 -> new QuarantineRepaired(name, RepairKind.values()[rnd.nextInt(3)], rnd.nextInt(), randomString(rnd));
            case 6 -> new BackupCopyStarted(name, rnd.nextBoolean());
            default -> new BgcopyPaused(rnd.nextLong());
        };
    }

    private static String randomString(Random rnd) {
        StringBuilder b = new StringBuilder();
        int n = rnd.nextInt(20);
        for (int i = 0; i < n; i++) {
            int cp = rnd.nextInt(4) == 0 ? 0x80 + rnd.nextInt(0x2F00) : 0x20 + rnd.nextInt(0x5F);
            if (cp >= 0xD800 && cp <= 0xDFFF) {
                cp = 'x';
            }
            b.appendCodePoint(cp);
        }
        if (rnd.nextInt(10) == 0) {
            b.appendCodePoint(0x1F4BE);   // outside the BMP: a surrogate pair in Java, 4 bytes in UTF-8
        }
        return b.toString();
    }

    /** The record with its CRC recomputed (so only the field rules can refuse it). */
    private static byte[] reseal(byte[] b) {
        CRC32C crc = new CRC32C();
        crc.update(b, 0, b.length - 4);
        ByteBuffer.wrap(b).putInt(b.length - 4, (int) crc.getValue());
        return b;
    }

    private static void assertRefused(byte[] b, String why) {
        StorageException e = assertThrows(StorageException.class, () -> CellRecordDescriptor.decode(b));
        assertEquals(ErrorCode.CORRUPT_METADATA, e.code());
        if (!e.getMessage().contains(why)) {
            fail("refused for '" + e.getMessage() + "', expected '" + why + "'");
        }
    }
}
