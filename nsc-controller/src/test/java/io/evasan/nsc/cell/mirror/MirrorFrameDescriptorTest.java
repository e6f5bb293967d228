package io.evasan.nsc.cell.mirror;

import io.evasan.error.StorageException;
import io.evasan.nsc.cache.CacheMessageDescriptor;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The mirror frame and acknowledgement layouts: golden bytes, and every damaged message refused. */
class MirrorFrameDescriptorTest {
    /** Frame 7..7: magic "MF", version 1, flags 0, firstSeq 7, lastSeq 7, 48 payload bytes, CRC32C pinned. */
    static final String GOLDEN_FRAME_HEADER = "4d46" + "01" + "00" + "0000000000000007" + "0000000000000007" + "00000030"
            + "c87f5ab2";
    /** Ack: "MA", version 1, GAP, acked 0x0102030405, CRC32C pinned. */
    static final String GOLDEN_ACK = "4d41" + "01" + "02" + "0000000102030405" + "e128aa5e";

    /** Messages first..last back to back: DESTAGED completions (seq = 100 + mirror seq). */
    static byte[] messages(long first, long last) {
        ByteBuffer b = ByteBuffer.allocate((int) (last - first + 1) * CacheMessageDescriptor.HEADER_LENGTH)
                .order(ByteOrder.LITTLE_ENDIAN);
        CRC32C crc = new CRC32C();
        for (long s = first; s <= last; s++) {
            int at = (int) (s - first) * CacheMessageDescriptor.HEADER_LENGTH;
            CacheMessageDescriptor.encodeCompletion(b.slice(at, CacheMessageDescriptor.HEADER_LENGTH)
                    .order(ByteOrder.LITTLE_ENDIAN), crc, s, CacheMessageDescriptor.TYPE_DESTAGED, 100 + s);
        }
        return b.array();
    }

    @Test
    void shouldEncodeTheGoldenBytes() {
        byte[] payload = messages(7, 7);
        byte[] f = MirrorFrameDescriptor.encodeFrame(7, 7, List.of(payload));
        assertEquals(MirrorFrameDescriptor.DATA_HEADER + 48, f.length);
        assertEquals(GOLDEN_FRAME_HEADER, HexFormat.of().formatHex(f, 0, MirrorFrameDescriptor.DATA_HEADER));
        assertEquals(HexFormat.of().formatHex(payload), HexFormat.of().formatHex(f, MirrorFrameDescriptor.DATA_HEADER, f.length));
        MirrorFrameDescriptor.Frame d = MirrorFrameDescriptor.decodeFrame(f);
        assertEquals(7, d.firstSeq());
        assertEquals(7, d.lastSeq());
        assertEquals(107, CacheMessageDescriptor.seq(d.messages()));

        byte[] ack = MirrorFrameDescriptor.encodeAck(new MirrorFrameDescriptor.Ack(MirrorFrameDescriptor.Status.GAP, 0x0102030405L));
        assertEquals(GOLDEN_ACK, HexFormat.of().formatHex(ack));
        assertEquals(new MirrorFrameDescriptor.Ack(MirrorFrameDescriptor.Status.GAP, 0x0102030405L), MirrorFrameDescriptor.decodeAck(ack));
    }

    @Test
    void shouldJoinPartsAndSkipTheMessagesAlreadyHeld() {
        byte[] f = MirrorFrameDescriptor.encodeFrame(3, 6, List.of(messages(3, 4), messages(5, 6)));
        MirrorFrameDescriptor.Frame d = MirrorFrameDescriptor.decodeFrame(f);
        ByteBuffer rest = MirrorFrameDescriptor.messagesFrom(d, 5);
        assertEquals(2 * CacheMessageDescriptor.HEADER_LENGTH, rest.remaining());
        assertEquals(5, CacheMessageDescriptor.mirrorSeq(rest));
        assertEquals(3, CacheMessageDescriptor.mirrorSeq(MirrorFrameDescriptor.messagesFrom(d, 3)));
        assertThrows(IllegalArgumentException.class, () -> MirrorFrameDescriptor.messagesFrom(d, 7));
    }

    @Test
    void shouldRefuseEveryBitFlipOfAFrameAndAnAck() {
        byte[] f = MirrorFrameDescriptor.encodeFrame(9, 10, List.of(messages(9, 10)));
        for (int bit = 0; bit < f.length * 8; bit++) {
            byte[] b = f.clone();
            b[bit / 8] ^= (byte) (1 << (bit % 8));
            int at = bit;
            assertThrows(StorageException.class, () -> MirrorFrameDescriptor.decodeFrame(b), "frame bit " + at);
        }
        byte[] ack = MirrorFrameDescriptor.encodeAck(new MirrorFrameDescriptor.Ack(MirrorFrameDescriptor.Status.APPLIED, 12));
        for (int bit = 0; bit < ack.length * 8; bit++) {
            byte[] b = ack.clone();
            b[bit / 8] ^= (byte) (1 << (bit % 8));
            int at = bit;
            assertThrows(StorageException.class, () -> MirrorFrameDescriptor.decodeAck(b), "ack bit " + at);
        }
    }

    @Test
    void shouldRefuseTornPaddedAndMisnumberedFrames() {
        byte[] f = MirrorFrameDescriptor.encodeFrame(9, 10, List.of(messages(9, 10)));
        assertThrows(StorageException.class, () -> MirrorFrameDescriptor.decodeFrame(Arrays.copyOf(f, f.length - 1)));
        assertThrows(StorageException.class, () -> MirrorFrameDescriptor.decodeFrame(Arrays.copyOf(f, f.length + 1)));
        assertThrows(StorageException.class, () -> MirrorFrameDescriptor.decodeFrame(new byte[3]));
        // well-formed and sealed, but the header's range does not match the messages it carries
        assertThrows(StorageException.class, () -> MirrorFrameDescriptor.decodeFrame(
                MirrorFrameDescriptor.encodeFrame(9, 11, List.of(messages(9, 10)))));
        assertThrows(StorageException.class, () -> MirrorFrameDescriptor.decodeFrame(
                MirrorFrameDescriptor.encodeFrame(8, 9, List.of(messages(9, 10)))));
        assertThrows(StorageException.class, () -> MirrorFrameDescriptor.decodeFrame(
                MirrorFrameDescriptor.encodeFrame(9, 10, List.of(messages(9, 9), messages(11, 11)))));
        assertThrows(IllegalArgumentException.class, () -> MirrorFrameDescriptor.encodeFrame(0, 1, List.of()));
        assertThrows(StorageException.class, () -> MirrorFrameDescriptor.decodeAck(new byte[15]));
    }
}
