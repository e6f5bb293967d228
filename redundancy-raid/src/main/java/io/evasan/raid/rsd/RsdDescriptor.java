package io.evasan.raid.rsd;

import io.evasan.raid.rstore.RaidLevel;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * One PSEG-table entry (128 bytes): the on-disk copy of an RSD kept beside every PSEG it
 * owns. Entry {@code p} of a drive's PSEG table describes PSEG {@code p} of that drive.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-------------------------------+-------+-------+---------------+   0
 *  |     kind (magic, see below)   |level  |member |  version (1)  |
 *  +-------------------------------+-------+-------+---------------+   8
 *  |                          RSD id (8 B)                         |
 *  +---------------------------------------------------------------+  16
 *  |                        generation (8 B)                       |
 *  +-------------------------------+-------+-------+---------------+  24
 *  |            RSS id             |count  |parity |  stale mask   |
 *  +-------------------------------+-------+-------+---------------+  32
 *  |  member 0: drive (2 B) | PSEG number (4 B)  ... x 8 members    |  32 + 6*i
 *  +---------------------------------------------------------------+  80
 *  |                        reserved (zero)                        |
 *  +-------------------------------+-------------------------------+ 124
 *  |                               |   CRC32C of bytes 0..123      |
 *  +-------------------------------+-------------------------------+ 128
 * </pre>
 *
 * Kinds: all-zero = never used (PSEG is clean); {@link #KIND_USED} = the PSEG is member
 * {@code member} of the RSD; {@link #KIND_FREED} = the RSD was freed at {@code generation};
 * {@link #KIND_RELEASED} = the PSEG was given up by a rebuild/move (the RSD lives on elsewhere).
 * Freed and released PSEGs are free but dirty (zeroed before reuse).
 *
 * <p>Invariant: an entry is trusted only if its CRC matches; a torn entry counts as released.
 */
public final class RsdDescriptor {
    public static final int ENTRY_BYTES = 128;
    public static final int KIND_USED = 0x31445352;     // "RSD1"
    public static final int KIND_FREED = 0x46445352;    // "RSDF"
    public static final int KIND_RELEASED = 0x52445352; // "RSDR"
    public static final int VERSION = 1;
    public static final int MAX_MEMBERS = 8;

    public static final int KIND_OFFSET = 0;
    public static final int LEVEL_OFFSET = 4;
    public static final int MEMBER_OFFSET = 5;
    public static final int VERSION_OFFSET = 6;
    public static final int RSD_ID_OFFSET = 8;
    public static final int GENERATION_OFFSET = 16;
    public static final int RSS_ID_OFFSET = 24;
    public static final int COUNT_OFFSET = 28;
    public static final int PARITY_OFFSET = 29;
    public static final int STALE_OFFSET = 30;
    public static final int MEMBERS_OFFSET = 32;
    public static final int MEMBER_BYTES = 6;
    public static final int CRC_OFFSET = 124;

    private RsdDescriptor() {
    }

    /** Byte offset of the entry for PSEG {@code pseg} within the PSEG table. */
    public static long entryOffset(int pseg) {
        return (long) pseg * ENTRY_BYTES;
    }

    /** Encodes a USED entry: {@code rsd}, as held by its member {@code member}. */
    public static void encodeUsed(Rsd rsd, int member, ByteBuffer buf, int at) {
        clear(buf, at);
        buf.putInt(at + KIND_OFFSET, KIND_USED);
        buf.put(at + LEVEL_OFFSET, (byte) rsd.level().ordinal());
        buf.put(at + MEMBER_OFFSET, (byte) member);
        buf.putShort(at + VERSION_OFFSET, (short) VERSION);
        buf.putLong(at + RSD_ID_OFFSET, rsd.rsdId());
        buf.putLong(at + GENERATION_OFFSET, rsd.generation());
        buf.putInt(at + RSS_ID_OFFSET, rsd.rssId());
        buf.put(at + COUNT_OFFSET, (byte) rsd.members());
        buf.put(at + PARITY_OFFSET, (byte) rsd.parityMember());
        buf.putShort(at + STALE_OFFSET, (short) rsd.staleMask());
        for (int i = 0; i < rsd.members(); i++) {
            buf.putShort(at + MEMBERS_OFFSET + i * MEMBER_BYTES, (short) rsd.drive(i));
            buf.putInt(at + MEMBERS_OFFSET + i * MEMBER_BYTES + 2, rsd.pseg(i));
        }
        buf.putInt(at + CRC_OFFSET, crc(buf, at));
    }

    /** Encodes a FREED or RELEASED tombstone for {@code rsdId}. */
    public static void encodeTombstone(int kind, long rsdId, long generation, ByteBuffer buf, int at) {
        clear(buf, at);
        buf.putInt(at + KIND_OFFSET, kind);
        buf.putShort(at + VERSION_OFFSET, (short) VERSION);
        buf.putLong(at + RSD_ID_OFFSET, rsdId);
        buf.putLong(at + GENERATION_OFFSET, generation);
        buf.putInt(at + CRC_OFFSET, crc(buf, at));
    }

    /** Kind of the entry at {@code at}: 0 if never used, -1 if torn/corrupt, else a KIND_ constant. */
    public static int kind(ByteBuffer buf, int at) {
        buf.order(ByteOrder.LITTLE_ENDIAN);
        boolean zero = true;
        for (int i = 0; i < ENTRY_BYTES; i += 8) {
            if (buf.getLong(at + i) != 0) {
                zero = false;
                break;
            }
        }
        if (zero) {
            return 0;
        }
        int k = buf.getInt(at + KIND_OFFSET);
        if ((k != KIND_USED && k != KIND_FREED && k != KIND_RELEASED) || buf.getInt(at + CRC_OFFSET) != crc(buf, at)
                || buf.getShort(at + VERSION_OFFSET) != VERSION) {
            return -1;
        }
        return k;
    }

    public static long rsdId(ByteBuffer buf, int at) {
        return buf.getLong(at + RSD_ID_OFFSET);
    }

    public static long generation(ByteBuffer buf, int at) {
        return buf.getLong(at + GENERATION_OFFSET);
    }

    public static int member(ByteBuffer buf, int at) {
        return buf.get(at + MEMBER_OFFSET);
    }

    /** Decodes a USED entry (caller checked {@link #kind}); null if its fields are inconsistent. */
    public static Rsd decodeUsed(ByteBuffer buf, int at) {
        int lv = buf.get(at + LEVEL_OFFSET);
        if (lv < 0 || lv >= RaidLevel.values().length) {
            return null;
        }
        RaidLevel level = RaidLevel.values()[lv];
        int count = buf.get(at + COUNT_OFFSET);
        if (count != level.totalPsegs()) {
            return null;
        }
        int[] drives = new int[count];
        int[] psegs = new int[count];
        for (int i = 0; i < count; i++) {
            drives[i] = buf.getShort(at + MEMBERS_OFFSET + i * MEMBER_BYTES) & 0xFFFF;
            psegs[i] = buf.getInt(at + MEMBERS_OFFSET + i * MEMBER_BYTES + 2);
        }
        return new Rsd(buf.getLong(at + RSD_ID_OFFSET), buf.getInt(at + RSS_ID_OFFSET), level,
                buf.getLong(at + GENERATION_OFFSET), buf.get(at + PARITY_OFFSET),
                buf.getShort(at + STALE_OFFSET) & 0xFFFF, drives, psegs);
    }

    private static void clear(ByteBuffer buf, int at) {
        buf.order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < ENTRY_BYTES; i += 8) {
            buf.putLong(at + i, 0);
        }
    }

    static int crc(ByteBuffer buf, int at) {
        CRC32C c = new CRC32C();
        ByteBuffer d = buf.duplicate();
        d.limit(at + CRC_OFFSET).position(at);
        c.update(d);
        return (int) c.getValue();
    }
}
