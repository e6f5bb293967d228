package io.evasan.mgmt.impl;

import io.evasan.error.StorageException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Layout of one stored snapshot schedule (MLD record {@code mgmt.schedule/<name>}).
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                        magic 'EVSC'                           |  0
 *  +-------------------------------+-------------------------------+
 *  |          version (1)          |   flags (bit 0: snapclone)    |  4
 *  +-------------------------------+-------------------------------+
 *  |                    intervalSeconds (u32)                      |  8
 *  +-------------------------------+-------------------------------+
 *  |            keep (u16)         |      name length (u16)        | 12
 *  +-------------------------------+-------------------------------+
 *  |       LUN name length (u16)   | time of day (u16, see below)  | 16
 *  +-------------------------------+-------------------------------+
 *  |                  createdMillis (i64)                          | 20
 *  +---------------------------------------------------------------+
 *  |              lastRunMillis (i64, -1 = never ran)              | 28
 *  +---------------------------------------------------------------+
 *  |        name (UTF-8), then LUN name (UTF-8)                    | 36
 *  +---------------------------------------------------------------+
 *  |         CRC-32C of every byte before it (u32)                 | 36+n+l
 *  +---------------------------------------------------------------+
 *  little endian
 * </pre>
 * Time of day: 0 = none (runs every interval from the last run or creation); else 1 + minutes after midnight UTC
 * (1..1440): the runs fall on the times that are that time of day plus a whole number of intervals. Records written
 * before the field existed hold 0 there (it was reserved, always 0) and so read as schedules without a time of day.
 * The magic/version check and the CRC-32C trailer are {@link CrcRecord}'s (the frame both records share).
 */
public final class ScheduleDescriptor {
    public static final int MAGIC = 0x43535645; // "EVSC" little endian
    public static final int VERSION = 1;
    public static final int FLAG_SNAPCLONE = 1;
    static final int HEADER = 36;
    private static final String WHAT = "snapshot schedule";

    /** Minutes in a day: a time of day is 0..{@value} - 1 minutes after midnight UTC. */
    public static final int DAY_MINUTES = 1440;

    /**
     * One schedule as stored. {@code atMinute}: the time of day its runs fall on, minutes after midnight UTC, or -1
     * for none.
     */
    public record Stored(String name, String lun, long intervalSeconds, int keep, boolean snapclone,
                         long createdMillis, long lastRunMillis, int atMinute) {
        /** A schedule without a time of day. */
        public Stored(String name, String lun, long intervalSeconds, int keep, boolean snapclone, long createdMillis,
                      long lastRunMillis) {
            this(name, lun, intervalSeconds, keep, snapclone, createdMillis, lastRunMillis, -1);
        }

        /** The same schedule with {@code millis} as its last run. */
        public Stored ranAt(long millis) {
            return new Stored(name, lun, intervalSeconds, keep, snapclone, createdMillis, millis, atMinute);
        }
    }

    private ScheduleDescriptor() {
    }

    public static byte[] encode(Stored s) {
        byte[] n = s.name().getBytes(StandardCharsets.UTF_8);
        byte[] l = s.lun().getBytes(StandardCharsets.UTF_8);
        if (n.length > 0xFFFF || l.length > 0xFFFF || s.keep() < 0 || s.keep() > 0xFFFF
                || s.intervalSeconds() <= 0 || s.intervalSeconds() > 0xFFFF_FFFFL
                || s.atMinute() < -1 || s.atMinute() >= DAY_MINUTES) {
            throw new IllegalArgumentException("schedule does not fit the record: " + s);
        }
        ByteBuffer b = ByteBuffer.allocate(HEADER + n.length + l.length + CrcRecord.TRAILER).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC).putShort((short) VERSION).putShort((short) (s.snapclone() ? FLAG_SNAPCLONE : 0))
                .putInt((int) s.intervalSeconds()).putShort((short) s.keep()).putShort((short) n.length)
                .putShort((short) l.length).putShort((short) (s.atMinute() + 1)).putLong(s.createdMillis()).putLong(s.lastRunMillis())
                .put(n).put(l);
        return CrcRecord.seal(b);
    }

    /** @throws StorageException CORRUPT_METADATA for a malformed record (wrong magic/version/lengths/CRC) */
    public static Stored decode(byte[] r) {
        ByteBuffer b = CrcRecord.open(r, HEADER, MAGIC, VERSION, WHAT);
        int flags = b.getShort(6) & 0xFFFF;
        long interval = b.getInt(8) & 0xFFFF_FFFFL;
        int keep = b.getShort(12) & 0xFFFF;
        int nl = b.getShort(14) & 0xFFFF;
        int ll = b.getShort(16) & 0xFFFF;
        int at = b.getShort(18) & 0xFFFF;
        if (at > DAY_MINUTES) {
            throw corrupt("time of day " + at + " beyond a day's " + DAY_MINUTES + " minutes");
        }
        if (r.length != HEADER + nl + ll + CrcRecord.TRAILER) {
            throw corrupt("length " + r.length + " does not match the name lengths");
        }
        CrcRecord.checkCrc(r, WHAT);
        String name = new String(r, HEADER, nl, StandardCharsets.UTF_8);
        String lun = new String(r, HEADER + nl, ll, StandardCharsets.UTF_8);
        return new Stored(name, lun, interval, keep, (flags & FLAG_SNAPCLONE) != 0, b.getLong(20), b.getLong(28), at - 1);
    }

    private static StorageException corrupt(String why) {
        return CrcRecord.corrupt(WHAT, why);
    }
}
