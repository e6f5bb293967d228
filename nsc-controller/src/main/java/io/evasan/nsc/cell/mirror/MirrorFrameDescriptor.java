package io.evasan.nsc.cell.mirror;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.cache.CacheMessageDescriptor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The two messages of the cache mirror between the controllers of a pair (the body of an event-bus message; the
 * sender's and receiver's names travel as the headers {@code LinkSwitch.FROM} / {@code LinkSwitch.TO}), big-endian:
 * a frame of mirror messages (owner → partner) and the partner's cumulative acknowledgement (partner → owner).
 *
 * <pre>
 *  FRAME (DATA_HEADER = 28, then the payload)
 *  0        2         3         4                    12                   20             24            28
 *  +--------+---------+---------+--------------------+--------------------+--------------+-------------+---------+
 *  | "MF"   | version | flags   | firstSeq (u64)     | lastSeq (u64)      | payload      | crc32c over | payload |
 *  |        | (1)     | (0)     | mirror sequence    | >= firstSeq        | length (u32) | [0,24) and  |         |
 *  |        |         |         | number, >= 1       |                    |              | the payload |         |
 *  +--------+---------+---------+--------------------+--------------------+--------------+-------------+---------+
 *  payload: the cache messages firstSeq..lastSeq back to back, each as CacheMessageDescriptor lays it out
 *  (little-endian, with its own CRC32C and its mirrorSeq), in order without gap.
 *
 *  ACK (ACK_LENGTH = 16)
 *  0        2         3                   4                                    12            16
 *  +--------+---------+-------------------+------------------------------------+-------------+
 *  | "MA"   | version | status            | acked (u64): the partner holds     | crc32c over |
 *  |        | (1)     | 0 APPLIED         | every message up to this mirror    | bytes 0..11 |
 *  |        |         | 1 DUPLICATE       | sequence number (0: none yet)      |             |
 *  |        |         | 2 GAP             |                                    |             |
 *  |        |         | 3 DAMAGED         |                                    |             |
 *  +--------+---------+-------------------+------------------------------------+-------------+
 * </pre>
 *
 * <p>Invariants: a frame's payload holds exactly the messages {@code firstSeq..lastSeq}, consecutive; decoding
 * refuses anything {@link #encodeFrame} / {@link #encodeAck} did not produce — a flipped bit anywhere (the frame's
 * CRC32C covers its payload too), a torn or padded message, non-zero flags, an unknown version or status, a payload
 * whose messages do not number {@code firstSeq..lastSeq} — with {@code StorageException(CORRUPT_METADATA)}. The
 * messages' own CRCs are checked by the replica that applies them.
 */
public final class MirrorFrameDescriptor {
    public static final int FRAME_MAGIC = 0x4D46;   // "MF"
    public static final int ACK_MAGIC = 0x4D41;     // "MA"
    public static final int VERSION = 1;
    public static final int FIRST_SEQ_OFFSET = 4;
    public static final int LAST_SEQ_OFFSET = 12;
    public static final int PAYLOAD_LENGTH_OFFSET = 20;
    public static final int FRAME_CRC_OFFSET = 24;
    public static final int DATA_HEADER = 28;
    public static final int ACK_LENGTH = 16;

    /** What the partner did with a frame. Every status carries the cumulative {@code acked}. */
    public enum Status {
        /** The frame's new messages were applied. */
        APPLIED,
        /** Every message of the frame was already held (a resend or a duplicated message). */
        DUPLICATE,
        /** The frame starts after {@code acked + 1}: an earlier frame is missing; the owner sends again from it. */
        GAP,
        /** The frame did not decode, or a message in it did not apply; the owner sends again from {@code acked + 1}. */
        DAMAGED
    }

    /** An acknowledgement: the partner holds every message up to {@code acked}. */
    public record Ack(Status status, long acked) {
    }

    /** A decoded frame: {@code messages} is a little-endian view of the payload (index 0 = first message). */
    public record Frame(long firstSeq, long lastSeq, ByteBuffer messages) {
    }

    private MirrorFrameDescriptor() {
    }

    /**
     * A frame carrying the messages {@code firstSeq..lastSeq}, given as consecutive parts (each one or more whole
     * messages back to back, as the cache handed them to the channel).
     */
    public static byte[] encodeFrame(long firstSeq, long lastSeq, List<byte[]> parts) {
        if (firstSeq < 1 || lastSeq < firstSeq) {
            throw new IllegalArgumentException("mirror frame " + firstSeq + ".." + lastSeq);
        }
        long payload = 0;
        for (byte[] p : parts) {
            payload += p.length;
        }
        if (payload > Integer.MAX_VALUE - DATA_HEADER) {
            throw new IllegalArgumentException("mirror frame payload of " + payload + " bytes");
        }
        ByteBuffer b = ByteBuffer.allocate(DATA_HEADER + (int) payload);
        b.putShort((short) FRAME_MAGIC).put((byte) VERSION).put((byte) 0).putLong(firstSeq).putLong(lastSeq)
                .putInt((int) payload);
        b.position(DATA_HEADER);
        for (byte[] p : parts) {
            b.put(p);
        }
        b.putInt(FRAME_CRC_OFFSET, frameCrc(b.array()));
        return b.array();
    }

    /** A frame, decoded and checked (see the class invariants). */
    public static Frame decodeFrame(byte[] bytes) {
        if (bytes.length < DATA_HEADER) {
            throw corrupt("mirror frame of " + bytes.length + " bytes is shorter than its header");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        if (frameCrc(bytes) != b.getInt(FRAME_CRC_OFFSET)) {
            throw corrupt("mirror frame CRC32C mismatch");
        }
        if ((b.getShort(0) & 0xFFFF) != FRAME_MAGIC || (b.get(2) & 0xFF) != VERSION) {
            throw corrupt("bad mirror frame magic or version");
        }
        if (b.get(3) != 0) {
            throw corrupt("mirror frame flags " + (b.get(3) & 0xFF) + " (none are defined)");
        }
        long first = b.getLong(FIRST_SEQ_OFFSET);
        long last = b.getLong(LAST_SEQ_OFFSET);
        if (first < 1 || last < first) {
            throw corrupt("mirror frame " + first + ".." + last);
        }
        long payload = b.getInt(PAYLOAD_LENGTH_OFFSET) & 0xFFFFFFFFL;
        if (payload != bytes.length - DATA_HEADER) {
            throw corrupt("mirror frame says " + payload + " payload bytes, has " + (bytes.length - DATA_HEADER));
        }
        ByteBuffer messages = ByteBuffer.wrap(bytes, DATA_HEADER, (int) payload).slice().order(ByteOrder.LITTLE_ENDIAN);
        long[] next = {first};
        try {
            CacheMessageDescriptor.forEachInBatch(messages, m -> {
                long s = CacheMessageDescriptor.mirrorSeq(m);
                if (s != next[0]) {
                    throw new IllegalArgumentException("message " + s + " where " + next[0] + " belongs");
                }
                next[0]++;
            });
        } catch (IllegalArgumentException e) {
            throw corrupt("mirror frame " + first + ".." + last + ": " + e.getMessage());
        }
        if (next[0] != last + 1) {
            throw corrupt("mirror frame " + first + ".." + last + " holds messages up to " + (next[0] - 1));
        }
        return new Frame(first, last, messages);
    }

    /**
     * The messages of {@code frame} from mirror sequence number {@code seq} on (a view; {@code seq} within the
     * frame): what is left to apply when the partner already holds the ones before.
     */
    public static ByteBuffer messagesFrom(Frame frame, long seq) {
        if (seq < frame.firstSeq() || seq > frame.lastSeq()) {
            throw new IllegalArgumentException(seq + " not in frame " + frame.firstSeq() + ".." + frame.lastSeq());
        }
        ByteBuffer m = frame.messages();
        int p = 0;
        for (long s = frame.firstSeq(); s < seq; s++) {
            p += m.getInt(p + CacheMessageDescriptor.LENGTH_OFFSET);
        }
        return m.slice(p, m.limit() - p).order(ByteOrder.LITTLE_ENDIAN);
    }

    public static byte[] encodeAck(Ack ack) {
        ByteBuffer b = ByteBuffer.allocate(ACK_LENGTH);
        b.putShort((short) ACK_MAGIC).put((byte) VERSION).put((byte) ack.status().ordinal()).putLong(ack.acked());
        b.putInt(crc(b.array(), 0, ACK_LENGTH - 4));
        return b.array();
    }

    public static Ack decodeAck(byte[] bytes) {
        if (bytes.length != ACK_LENGTH) {
            throw corrupt("mirror ack of " + bytes.length + " bytes, not " + ACK_LENGTH);
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        if (crc(bytes, 0, ACK_LENGTH - 4) != b.getInt(ACK_LENGTH - 4)) {
            throw corrupt("mirror ack CRC32C mismatch");
        }
        if ((b.getShort(0) & 0xFFFF) != ACK_MAGIC || (b.get(2) & 0xFF) != VERSION) {
            throw corrupt("bad mirror ack magic or version");
        }
        int status = b.get(3) & 0xFF;
        if (status >= Status.values().length) {
            throw corrupt("unknown mirror ack status " + status);
        }
        long acked = b.getLong(4);
        if (acked < 0) {
            throw corrupt("mirror ack of " + acked);
        }
        return new Ack(Status.values()[status], acked);
    }

    private static int frameCrc(byte[] frame) {
        CRC32C c = new CRC32C();
        c.update(frame, 0, FRAME_CRC_OFFSET);
        c.update(frame, DATA_HEADER, frame.length - DATA_HEADER);
        return (int) c.getValue();
    }

    private static int crc(byte[] b, int off, int len) {
        CRC32C c = new CRC32C();
        c.update(b, off, len);
        return (int) c.getValue();
    }

    private static StorageException corrupt(String message) {
        return new StorageException(ErrorCode.CORRUPT_METADATA, message);
    }
}
