package io.evasan.mld;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Layout of one MLD log record: the changes of one commit appended after the checkpoint block
 * ({@link MldBlockDescriptor}) of a slot. All integers little-endian; a record is a whole number of
 * 512-byte sectors, zero-padded.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |   magic, bytes "EVAMLDLG" (8 bytes; the long 0x474C444C4D415645)|  0
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                  layout version = 1 (int)                     |  8
 *  +---------------------------------------------------------------+
 *  |                 header length = 64 (int)                      | 12
 *  +---------------------------------------------------------------+
 *  |          generation this record commits (long)                | 16
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |      checkpoint generation of the slot it extends (long)      | 24
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                    payload length (int)                       | 32
 *  +---------------------------------------------------------------+
 *  |                  payload CRC32C (int)                         | 36
 *  +---------------------------------------------------------------+
 *  |  previous CRC: header CRC of the record before, or of the     | 40
 *  |  checkpoint block for the first record (int)                  |
 *  +---------------------------------------------------------------+
 *  |                 commit time, epoch millis (long)              | 44
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                  reserved, zero (8 bytes)                     | 52
 *  +---------------------------------------------------------------+
 *  |       header CRC32C over bytes 0..59 (int)                    | 60
 *  +---------------------------------------------------------------+
 *  |   payload: change count (int), then per change:               | 64
 *  |     op (u8: 1 put, 0 remove), kind length (u16) kind UTF-8,   |
 *  |     key length (u16) key UTF-8, and for a put                 |
 *  |     value length (int) value bytes                            |
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * <p>A record continues a slot's history only when its magic, version, header CRC and payload CRC
 * check, its generation is the next one, its checkpoint generation is the slot's, and its previous
 * CRC is the header CRC of what it follows. The chain is what makes a stale record left further in
 * the log area (by an older, longer history of the slot, or after an accepted rollback) never
 * replay: replay stops at the first record that does not continue the chain, so a torn tail is cut.
 */
public final class MldLogDescriptor {
    public static final long MAGIC = 0x474C444C4D415645L; // bytes "EVAMLDLG" (little-endian)
    public static final int VERSION = 1;
    public static final int HEADER_LENGTH = 64;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 8;
    public static final int HEADER_LENGTH_OFFSET = 12;
    public static final int GENERATION_OFFSET = 16;
    public static final int CHECKPOINT_OFFSET = 24;
    public static final int PAYLOAD_LENGTH_OFFSET = 32;
    public static final int PAYLOAD_CRC_OFFSET = 36;
    public static final int PREVIOUS_CRC_OFFSET = 40;
    public static final int COMMIT_TIME_OFFSET = 44;
    public static final int RESERVED_OFFSET = 52;
    public static final int HEADER_CRC_OFFSET = 60;
    public static final int PAYLOAD_OFFSET = HEADER_LENGTH;

    private static final byte PUT = 1;
    private static final byte REMOVE = 0;

    private MldLogDescriptor() {
    }

    /**
     * The record committing {@code changes} as generation {@code generation} after the record (or
     * checkpoint) whose header CRC is {@code previousCrc}, in slot history {@code checkpointGeneration}.
     *
     * @throws IllegalArgumentException for a kind or key longer than 65535 UTF-8 bytes
     */
    public static ByteBuffer encode(long generation, long checkpointGeneration, int previousCrc, long commitMillis,
                                    Iterable<MldBatch.Change> changes) {
        List<byte[][]> flat = new ArrayList<>();
        int size = 4;
        for (MldBatch.Change c : changes) {
            byte[] kind = c.kind().getBytes(StandardCharsets.UTF_8);
            byte[] key = c.key().getBytes(StandardCharsets.UTF_8);
            if (kind.length > 0xFFFF || key.length > 0xFFFF) {
                throw new IllegalArgumentException("MLD kind/key longer than 65535 bytes");
            }
            flat.add(new byte[][] {kind, key, c.value()});
            size += 1 + 2 + kind.length + 2 + key.length + (c.value() == null ? 0 : 4 + c.value().length);
        }
        ByteBuffer b = ByteBuffer.allocate(MldBlockDescriptor.blockLength(size)).order(ByteOrder.LITTLE_ENDIAN);
        b.position(PAYLOAD_OFFSET);
        b.putInt(flat.size());
        for (byte[][] f : flat) {
            b.put(f[2] == null ? REMOVE : PUT);
            b.putShort((short) f[0].length).put(f[0]);
            b.putShort((short) f[1].length).put(f[1]);
            if (f[2] != null) {
                b.putInt(f[2].length).put(f[2]);
            }
        }
        b.putLong(MAGIC_OFFSET, MAGIC);
        b.putInt(VERSION_OFFSET, VERSION);
        b.putInt(HEADER_LENGTH_OFFSET, HEADER_LENGTH);
        b.putLong(GENERATION_OFFSET, generation);
        b.putLong(CHECKPOINT_OFFSET, checkpointGeneration);
        b.putInt(PAYLOAD_LENGTH_OFFSET, size);
        b.putInt(PAYLOAD_CRC_OFFSET, MldBlockDescriptor.crc(b, PAYLOAD_OFFSET, size));
        b.putInt(PREVIOUS_CRC_OFFSET, previousCrc);
        b.putLong(COMMIT_TIME_OFFSET, commitMillis);
        b.putInt(HEADER_CRC_OFFSET, MldBlockDescriptor.crc(b, 0, HEADER_CRC_OFFSET));
        b.clear();
        return b;
    }

    /**
     * Why the record whose first sector is {@code head} does not continue a chain at generation
     * {@code generation} of checkpoint {@code checkpointGeneration} after {@code previousCrc}, or null
     * when its header does. {@code "end"} means nothing of this chain is there (blank, foreign or
     * stale bytes: the normal end of a log); anything else names damage of a record that claims to
     * continue it (magic right, header checksum wrong).
     */
    public static String continues(ByteBuffer head, long generation, long checkpointGeneration, int previousCrc) {
        ByteBuffer b = head.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (b.limit() < HEADER_LENGTH || b.getLong(MAGIC_OFFSET) != MAGIC) {
            return "end";
        }
        if (b.getInt(VERSION_OFFSET) != VERSION || b.getInt(HEADER_LENGTH_OFFSET) != HEADER_LENGTH
                || MldBlockDescriptor.crc(b, 0, HEADER_CRC_OFFSET) != b.getInt(HEADER_CRC_OFFSET)) {
            return "log record header checksum failed";
        }
        if (b.getLong(GENERATION_OFFSET) != generation || b.getLong(CHECKPOINT_OFFSET) != checkpointGeneration
                || b.getInt(PREVIOUS_CRC_OFFSET) != previousCrc || b.getInt(PAYLOAD_LENGTH_OFFSET) < 4) {
            return "end";
        }
        return null;
    }

    /** Bytes the record whose (valid) header is {@code head} takes: header + payload rounded up to 512. */
    public static int recordLength(ByteBuffer head) {
        return MldBlockDescriptor.blockLength(head.duplicate().order(ByteOrder.LITTLE_ENDIAN).getInt(PAYLOAD_LENGTH_OFFSET));
    }

    /** True when the whole record's payload matches its CRC. */
    public static boolean payloadValid(ByteBuffer record) {
        ByteBuffer b = record.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int len = b.getInt(PAYLOAD_LENGTH_OFFSET);
        return PAYLOAD_OFFSET + (long) len <= b.limit() && MldBlockDescriptor.crc(b, PAYLOAD_OFFSET, len) == b.getInt(PAYLOAD_CRC_OFFSET);
    }

    public static long generation(ByteBuffer record) {
        return record.duplicate().order(ByteOrder.LITTLE_ENDIAN).getLong(GENERATION_OFFSET);
    }

    /** The header CRC, which the next record names as its previous CRC. */
    public static int headerCrc(ByteBuffer record) {
        return record.duplicate().order(ByteOrder.LITTLE_ENDIAN).getInt(HEADER_CRC_OFFSET);
    }

    /**
     * The changes of a valid record, in the order written ({@code value == null}: remove).
     *
     * @throws IllegalArgumentException naming the field when the payload does not parse
     */
    public static List<MldBatch.Change> changes(ByteBuffer record) {
        ByteBuffer b = record.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int len = b.getInt(PAYLOAD_LENGTH_OFFSET);
        b.limit(PAYLOAD_OFFSET + len).position(PAYLOAD_OFFSET);
        try {
            int count = b.getInt();
            if (count < 0) {
                throw new IllegalArgumentException("MLD log record change count is negative: " + count);
            }
            List<MldBatch.Change> out = new ArrayList<>(Math.min(count, len));
            for (int i = 0; i < count; i++) {
                byte op = b.get();
                if (op != PUT && op != REMOVE) {
                    throw new IllegalArgumentException("MLD log record change " + i + " has op " + op + " (not 0 or 1)");
                }
                String kind = str(b);
                String key = str(b);
                byte[] v = null;
                if (op == PUT) {
                    v = new byte[b.getInt()];
                    b.get(v);
                }
                out.add(new MldBatch.Change(kind, key, v));
            }
            if (b.hasRemaining()) {
                throw new IllegalArgumentException("MLD log record has " + b.remaining() + " bytes after its last change");
            }
            return out;
        } catch (java.nio.BufferUnderflowException | NegativeArraySizeException e) {
            throw new IllegalArgumentException("MLD log record payload ends inside a change", e);
        }
    }

    private static String str(ByteBuffer b) {
        byte[] s = new byte[Short.toUnsignedInt(b.getShort())];
        b.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }
}
