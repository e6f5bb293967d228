package io.evasan.nsc.cell.drill;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.api.DrillReport;
import io.evasan.nsc.api.NscId;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * The byte layout of one finished drill's report, stored as the named record {@code drill/<id, 20 digits>} in the
 * MLD (so the history outlives the appliance, in id order). Big-endian.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------+---------------+---------------+---------------+
 *  |    VERSION    |    TARGET     |   KIND LEN    |  RESERVED (0) |  0
 *  +---------------+---------------+---------------+---------------+
 *  |          OUTCOME LEN          |          RESERVED (0)         |  4
 *  +-------------------------------+-------------------------------+
 *  |                           ID (64)                             |  8
 *  |                    STARTED AT (64, epoch ms)                  | 16
 *  |                    DETECTION (64, ms or -1)                   | 24
 *  |                    TAKEOVER (64, ms or -1)                    | 32
 *  |                    FIRST I/O (64, ms or -1)                   | 40
 *  |                 WRITES ACKNOWLEDGED (64, >= 0)                | 48
 *  |                   WRITES VERIFIED (64, >= 0)                  | 56
 *  |                     LOST WRITES (64, >= 0)                    | 64
 *  +---------------------------------------------------------------+
 *  |                     UNITS MOVED (32, >= 0)                    | 72
 *  +---------------------------------------------------------------+
 *  |  KIND (KIND LEN bytes, ASCII a-z and '-')  |  OUTCOME (UTF-8)  | 76
 *  +---------------------------------------------------------------+
 *  |               CRC-32C of every byte before it                 |
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * VERSION 1; TARGET 0 = A, 1 = B, FFh = none (a drive pull, or a partition before its loser is known). An outcome
 * longer than {@link #MAX_OUTCOME_CHARS} characters is cut there at encode. Invariant: {@link #decode} accepts exactly
 * what {@link #encode} produces; any other byte string (a flipped bit, a torn or padded record, another version, a
 * negative count, malformed text) is refused with CORRUPT_METADATA.
 */
public final class DrillReportDescriptor {
    public static final int VERSION = 1;
    public static final int HEADER = 76;
    public static final int MAX_OUTCOME_CHARS = 1000;
    static final int NO_TARGET = 0xFF;

    private DrillReportDescriptor() {
    }

    public static byte[] encode(DrillReport r) {
        byte[] kind = r.kind().getBytes(StandardCharsets.US_ASCII);
        String outcomeText = r.outcome().length() > MAX_OUTCOME_CHARS ? r.outcome().substring(0, MAX_OUTCOME_CHARS)
                : r.outcome();
        byte[] outcome = outcomeText.getBytes(StandardCharsets.UTF_8);
        if (!validKind(kind)) {
            throw new IllegalArgumentException("kind '" + r.kind() + "': 1 to 32 characters of a-z and '-'");
        }
        ByteBuffer b = ByteBuffer.allocate(HEADER + kind.length + outcome.length + 4).order(ByteOrder.BIG_ENDIAN);
        b.put((byte) VERSION).put((byte) (r.target() == null ? NO_TARGET : r.target().ordinal())).put((byte) kind.length)
                .put((byte) 0).putShort((short) outcome.length).putShort((short) 0);
        b.putLong(r.id()).putLong(r.startedAtMillis()).putLong(r.detectionMillis()).putLong(r.takeoverMillis())
                .putLong(r.firstIoMillis()).putLong(r.writesAcknowledged()).putLong(r.writesVerified())
                .putLong(r.lostWrites()).putInt(r.unitsMoved()).put(kind).put(outcome);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, b.position());
        b.putInt((int) crc.getValue());
        return b.array();
    }

    public static DrillReport decode(byte[] b) {
        if (b == null || b.length < HEADER + 4) {
            throw corrupt("length " + (b == null ? "null" : b.length));
        }
        ByteBuffer in = ByteBuffer.wrap(b).order(ByteOrder.BIG_ENDIAN);
        int kindLen = b[2] & 0xFF;
        int outcomeLen = in.getShort(4) & 0xFFFF;
        if (b.length != HEADER + kindLen + outcomeLen + 4) {
            throw corrupt("length " + b.length + " for a kind of " + kindLen + " and an outcome of " + outcomeLen + " bytes");
        }
        CRC32C crc = new CRC32C();
        crc.update(b, 0, b.length - 4);
        if (in.getInt(b.length - 4) != (int) crc.getValue()) {
            throw corrupt("CRC");
        }
        int target = b[1] & 0xFF;
        if (b[0] != VERSION || b[3] != 0 || in.getShort(6) != 0 || target > 1 && target != NO_TARGET) {
            throw corrupt("version, reserved bytes or target " + target);
        }
        long id = in.getLong(8);
        long started = in.getLong(16);
        long detection = in.getLong(24);
        long takeover = in.getLong(32);
        long firstIo = in.getLong(40);
        long acked = in.getLong(48);
        long verified = in.getLong(56);
        long lost = in.getLong(64);
        int units = in.getInt(72);
        if (id < 1 || started < 0 || detection < -1 || takeover < -1 || firstIo < -1 || acked < 0 || verified < 0
                || lost < 0 || units < 0) {
            throw corrupt("a negative id, time or count");
        }
        byte[] kind = java.util.Arrays.copyOfRange(b, HEADER, HEADER + kindLen);
        if (!validKind(kind)) {
            throw corrupt("kind");
        }
        String outcome;
        try {
            CharBuffer c = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b, HEADER + kindLen, outcomeLen));
            outcome = c.toString();
        } catch (CharacterCodingException e) {
            throw corrupt("outcome text");
        }
        return new DrillReport(id, new String(kind, StandardCharsets.US_ASCII), target == NO_TARGET ? null
                : NscId.values()[target], started, detection, takeover, firstIo, units, acked, verified, lost, outcome);
    }

    private static boolean validKind(byte[] kind) {
        if (kind.length < 1 || kind.length > 32) {
            return false;
        }
        for (byte c : kind) {
            if (!(c >= 'a' && c <= 'z' || c == '-')) {
                return false;
            }
        }
        return true;
    }

    private static StorageException corrupt(String what) {
        return new StorageException(ErrorCode.CORRUPT_METADATA, "drill report record is damaged (" + what + ")");
    }
}
