package io.evasan.nsc.cell.heartbeat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * Wire layout of a heartbeat ping and its reply (the body of an event-bus message; the sender's
 * and receiver's names travel as the headers {@link LinkSwitch#FROM} and {@link LinkSwitch#TO}).
 * All integers little-endian.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  magic, bytes "EVAHBT01" (8 bytes; the long 0x3130544248415645) |  0
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |              kind (int): 1 = ping, 2 = reply                  |  8
 *  +---------------------------------------------------------------+
 *  |                     reserved, zero (int)                      | 12
 *  +---------------------------------------------------------------+
 *  |     sequence number (u64), the pinger's own, from 1           | 16
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |  send time of the ping, pinger's monotonic clock, ns (u64)    | 24
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |              CRC32C over bytes 0..31 (int)                    | 32
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * <p>A reply echoes the ping's sequence number and send time unchanged, so the pinger computes
 * the round trip on its own clock and needs no table of pings in flight. Anything that does not
 * decode (wrong length, magic, kind, reserved bytes or CRC) is ignored by the receiver.
 */
public final class HeartbeatDescriptor {
    public static final long MAGIC = 0x3130544248415645L; // "EVAHBT01" little-endian
    public static final int LENGTH = 36;
    public static final int PING = 1;
    public static final int REPLY = 2;
    public static final int KIND_OFFSET = 8;
    public static final int SEQUENCE_OFFSET = 16;
    public static final int SENT_OFFSET = 24;
    public static final int CRC_OFFSET = 32;

    /** A decoded message. */
    public record Beat(int kind, long sequence, long sentNanos) {
    }

    private HeartbeatDescriptor() {
    }

    public static byte[] encode(int kind, long sequence, long sentNanos) {
        if (kind != PING && kind != REPLY) {
            throw new IllegalArgumentException("kind " + kind);
        }
        ByteBuffer b = ByteBuffer.allocate(LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0, MAGIC);
        b.putInt(KIND_OFFSET, kind);
        b.putLong(SEQUENCE_OFFSET, sequence);
        b.putLong(SENT_OFFSET, sentNanos);
        b.putInt(CRC_OFFSET, crc(b.array()));
        return b.array();
    }

    /** The message in {@code bytes}, or null when they are not a valid one. */
    public static Beat decode(byte[] bytes) {
        if (bytes == null || bytes.length != LENGTH) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int kind = b.getInt(KIND_OFFSET);
        if (b.getLong(0) != MAGIC || (kind != PING && kind != REPLY) || b.getInt(12) != 0
                || b.getInt(CRC_OFFSET) != crc(bytes)) {
            return null;
        }
        return new Beat(kind, b.getLong(SEQUENCE_OFFSET), b.getLong(SENT_OFFSET));
    }

    static int crc(byte[] bytes) {
        CRC32C c = new CRC32C();
        c.update(bytes, 0, CRC_OFFSET);
        return (int) c.getValue();
    }
}
