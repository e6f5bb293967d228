package io.evasan.nsc.cache;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.cache.impl.MirrorReplica;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The mirror message header with its mirror sequence number, byte for byte ({@link CacheMessageDescriptor}). */
class CacheMessageLayoutTest {
    /**
     * WRITE, seq 3, initiator 2, LUN 1, byte offset 4096, 8 payload bytes 01..08, mirror seq 9:
     * length 56 | type 1 | seq 3 | init 2 | lun 1 | offset 4096 | payloadLen 8 | crc | mirrorSeq 9 | payload.
     */
    static final String GOLDEN_WRITE = "38000000" + "01000000" + "0300000000000000" + "02000000" + "01000000"
            + "0010000000000000" + "08000000" + "%s" + "0900000000000000" + "0102030405060708";
    /** DESTAGED of seq 3, mirror seq 10: length 48 | type 3 | seq 3 | zeros | crc | mirrorSeq 10. */
    static final String GOLDEN_DESTAGED = "30000000" + "03000000" + "0300000000000000" + "00000000" + "00000000"
            + "0000000000000000" + "00000000" + "%s" + "0a00000000000000";

    private static ByteBuffer goldenWrite(CRC32C crc) {
        ByteBuffer b = ByteBuffer.allocate(CacheMessageDescriptor.messageLength(8)).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer data = ByteBuffer.wrap(new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        assertEquals(56, CacheMessageDescriptor.encodeWrite(b, crc, 9, 3, 2, 1, 4096, data, 0, 8));
        return b;
    }

    private static String crcHex(byte[] msg) {
        CRC32C c = new CRC32C();
        c.update(msg, 0, CacheMessageDescriptor.CRC_OFFSET);
        c.update(msg, CacheMessageDescriptor.MIRROR_SEQ_OFFSET, msg.length - CacheMessageDescriptor.MIRROR_SEQ_OFFSET);
        int v = (int) c.getValue();
        return HexFormat.of().formatHex(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array());
    }

    @Test
    void shouldWriteTheGoldenBytes() {
        CRC32C crc = new CRC32C();
        byte[] write = new byte[56];
        goldenWrite(crc).get(0, write);
        assertEquals(String.format(GOLDEN_WRITE, crcHex(write)), HexFormat.of().formatHex(write));
        assertEquals(String.format(GOLDEN_WRITE, "f9a65ae5"), HexFormat.of().formatHex(write),
                "the crc of the golden WRITE is pinned too");

        ByteBuffer d = ByteBuffer.allocate(48).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(48, CacheMessageDescriptor.encodeCompletion(d, crc, 10, CacheMessageDescriptor.TYPE_DESTAGED, 3));
        byte[] destaged = new byte[48];
        d.get(0, destaged);
        assertEquals(String.format(GOLDEN_DESTAGED, crcHex(destaged)), HexFormat.of().formatHex(destaged));

        ByteBuffer parsed = ByteBuffer.wrap(write).order(ByteOrder.LITTLE_ENDIAN);
        assertTrue(CacheMessageDescriptor.verify(parsed, crc));
        assertEquals(9, CacheMessageDescriptor.mirrorSeq(parsed));
        assertEquals(3, CacheMessageDescriptor.seq(parsed));
        assertEquals(1, CacheMessageDescriptor.lunId(parsed));
        assertEquals(4096, CacheMessageDescriptor.byteOffset(parsed));
        assertEquals(CacheMessageDescriptor.HEADER_LENGTH, CacheMessageDescriptor.PAYLOAD_OFFSET);
    }

    @Test
    void shouldDetectEveryBitFlipOfTheGoldenMessages() {
        CRC32C crc = new CRC32C();
        byte[] write = new byte[56];
        goldenWrite(crc).get(0, write);
        ByteBuffer d = ByteBuffer.allocate(48).order(ByteOrder.LITTLE_ENDIAN);
        CacheMessageDescriptor.encodeCompletion(d, crc, 10, CacheMessageDescriptor.TYPE_DESTAGED, 3);
        byte[] destaged = new byte[48];
        d.get(0, destaged);
        for (byte[] golden : List.of(write, destaged)) {
            for (int bit = 0; bit < golden.length * 8; bit++) {
                byte[] m = golden.clone();
                m[bit >>> 3] ^= (byte) (1 << (bit & 7));
                assertFalse(CacheMessageDescriptor.verify(ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN), crc),
                        "flip of bit " + bit + " (byte " + (bit >>> 3) + ") went unnoticed");
            }
        }
    }

    @Test
    void shouldWalkABatchAndRefuseASequenceGap() {
        CRC32C crc = new CRC32C();
        ByteBuffer batch = ByteBuffer.allocate(56 + 48).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer w = goldenWrite(crc);
        batch.put(0, w, 0, 56);
        ByteBuffer d = ByteBuffer.allocate(48).order(ByteOrder.LITTLE_ENDIAN);
        CacheMessageDescriptor.encodeCompletion(d, crc, 10, CacheMessageDescriptor.TYPE_DESTAGED, 3);
        batch.put(56, d, 0, 48);
        List<Long> seen = new ArrayList<>();
        assertEquals(2, CacheMessageDescriptor.forEachInBatch(batch, m -> seen.add(CacheMessageDescriptor.mirrorSeq(m))));
        assertEquals(List.of(9L, 10L), seen);
        assertThrows(IllegalArgumentException.class,
                () -> CacheMessageDescriptor.forEachInBatch(batch.duplicate().limit(60), m -> { }));

        // a partner that has applied 1..8 takes 9, 10; one that has applied nothing refuses 9 (gap)
        MirrorReplica fresh = new MirrorReplica();
        StorageException gap = assertThrows(StorageException.class, () -> fresh.applyBatch(batch.duplicate()));
        assertEquals(ErrorCode.CORRUPT_METADATA, gap.code());
        assertEquals(0, fresh.lastMirrorSeq());
        assertTrue(fresh.pendingSeqs().isEmpty());

        MirrorReplica caughtUp = new MirrorReplica();
        ByteBuffer prefix = ByteBuffer.allocate(8 * 48).order(ByteOrder.LITTLE_ENDIAN);
        for (int m = 1; m <= 8; m++) {
            ByteBuffer one = ByteBuffer.allocate(48).order(ByteOrder.LITTLE_ENDIAN);
            CacheMessageDescriptor.encodeCompletion(one, crc, m, CacheMessageDescriptor.TYPE_DESTAGED, 100 + m);
            prefix.put((m - 1) * 48, one, 0, 48);
        }
        assertEquals(8, caughtUp.applyBatch(prefix));
        assertEquals(10, caughtUp.applyBatch(batch.duplicate()));
        assertEquals(List.of(), caughtUp.pendingSeqs(), "the write (seq 3) and its DESTAGED cancel out");
        assertArrayEquals(new long[] {10}, new long[] {caughtUp.lastMirrorSeq()});
    }
}
