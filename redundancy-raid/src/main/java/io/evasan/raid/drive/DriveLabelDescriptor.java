package io.evasan.raid.drive;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.zip.CRC32C;

/**
 * On-disk layout of a drive: the label, the quorum area, the PSEG table and the PSEGs.
 *
 * <pre>
 * Drive layout (byte offsets; every region 1 MiB aligned)
 *   0          label copy A (512 B, sector 0)
 *   4096       label copy B (512 B, identical; the valid copy with the highest generation wins)
 *   1 MiB      quorum area (QUORUM_BYTES = 8 MiB, owned by quorum-mld, see QuorumArea)
 *   9 MiB      PSEG table: one 128-byte RSD entry per PSEG (see RsdDescriptor), padded to 1 MiB
 *   dataOffset PSEG 0, PSEG 1, ... each PSEG_BYTES = 2 MiB (4096 sectors)
 *
 * Label (512 bytes, little endian)
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+  0
 *  |                     magic "EVASANDL" (8 B)                    |
 *  +-------------------------------+-------------------------------+  8
 *  |          version (1)          |        label bytes (512)      |
 *  +-------------------------------+-------------------------------+ 16
 *  |                       generation (8 B)                        |
 *  +---------------------------------------------------------------+ 24
 *  |                       pool UUID (16 B)                        |
 *  +---------------------------------------------------------------+ 40
 *  |                       drive UUID (16 B)                       |
 *  +-------------------------------+-------------------------------+ 56
 *  |        disk group id          |   member index (drive index)  |
 *  +-------------------------------+-------------------------------+ 64
 *  |   RSS id (-1 = none)          |   RSS slot (pairs 2k/2k+1)    |
 *  +-------------------------------+-------------------------------+ 72
 *  |                    capacity bytes (8 B)                       |
 *  |                    quorum offset (8 B)                        | 80
 *  |                    quorum bytes (8 B)                         | 88
 *  |                    PSEG table offset (8 B)                    | 96
 *  |                    PSEG table bytes (8 B)                     |104
 *  |                    data offset = PSEG 0 (8 B)                 |112
 *  +-------------------------------+-------------------------------+120
 *  |        PSEG count             |        PSEG bytes             |
 *  +-------------------------------+-------------------------------+128
 *  |        sector bytes           |        flags (bit0 removed)   |
 *  +-------------------------------+-------------------------------+136
 *  |              disk group name, ASCII, NUL padded (32 B)        |
 *  +---------------------------------------------------------------+168
 *  |                         reserved (zero)                       |
 *  +-------------------------------+-------------------------------+508
 *  |                               |  CRC32C of bytes 0..507       |
 *  +-------------------------------+-------------------------------+512
 * </pre>
 *
 * <p>Invariant: a label is trusted only if magic, version and CRC32C match; a drive with no
 * trusted copy is not a member of any pool.
 */
public final class DriveLabelDescriptor {
    public static final long MAGIC = 0x4C44_4E41_5341_5645L; // "EVASANDL" little endian
    public static final int VERSION = 1;
    public static final int LABEL_BYTES = 512;
    public static final long COPY_A_OFFSET = 0;
    public static final long COPY_B_OFFSET = 4096;
    public static final long MIB = 1L << 20;
    /** Label region size; the quorum area starts right after it. */
    public static final long LABEL_REGION_BYTES = MIB;
    /** Reserved quorum space per drive (generous for the MLD layer). */
    public static final long QUORUM_BYTES = 8 * MIB;
    public static final long QUORUM_OFFSET = LABEL_REGION_BYTES;
    public static final long PSEG_TABLE_OFFSET = QUORUM_OFFSET + QUORUM_BYTES;
    /** 2 MB PSEG = 4096 sectors of 512 bytes (seed 004 [0059]). */
    public static final int PSEG_BYTES = 2 << 20;
    public static final int SECTOR_BYTES = 512;
    public static final int FLAG_REMOVED = 1;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 8;
    public static final int LABEL_BYTES_OFFSET = 12;
    public static final int GENERATION_OFFSET = 16;
    public static final int POOL_ID_OFFSET = 24;
    public static final int DRIVE_ID_OFFSET = 40;
    public static final int GROUP_ID_OFFSET = 56;
    public static final int MEMBER_INDEX_OFFSET = 60;
    public static final int RSS_ID_OFFSET = 64;
    public static final int RSS_SLOT_OFFSET = 68;
    public static final int CAPACITY_OFFSET = 72;
    public static final int QUORUM_OFFSET_OFFSET = 80;
    public static final int QUORUM_BYTES_OFFSET = 88;
    public static final int TABLE_OFFSET_OFFSET = 96;
    public static final int TABLE_BYTES_OFFSET = 104;
    public static final int DATA_OFFSET_OFFSET = 112;
    public static final int PSEG_COUNT_OFFSET = 120;
    public static final int PSEG_BYTES_OFFSET = 124;
    public static final int SECTOR_BYTES_OFFSET = 128;
    public static final int FLAGS_OFFSET = 132;
    public static final int GROUP_NAME_OFFSET = 136;
    public static final int GROUP_NAME_BYTES = 32;
    public static final int CRC_OFFSET = 508;

    private DriveLabelDescriptor() {
    }

    /** Bytes of PSEG table needed for {@code psegs} entries, rounded up to 1 MiB. */
    public static long tableBytes(long psegs) {
        long raw = psegs * io.evasan.raid.rsd.RsdDescriptor.ENTRY_BYTES;
        return Math.max(MIB, (raw + MIB - 1) / MIB * MIB);
    }

    /** Offset of PSEG 0 for a drive with {@code psegs} PSEGs. */
    public static long dataOffset(long psegs) {
        return PSEG_TABLE_OFFSET + tableBytes(psegs);
    }

    /** Number of PSEGs that fit on a drive of {@code capacity} bytes (0 if none). */
    public static int psegCount(long capacity) {
        long n = Math.max(0, (capacity - PSEG_TABLE_OFFSET) / PSEG_BYTES);
        while (n > 0 && dataOffset(n) + n * PSEG_BYTES > capacity) {
            n--;
        }
        return (int) Math.min(n, Integer.MAX_VALUE);
    }

    /** Smallest usable drive: label + quorum + table + one PSEG. */
    public static long minimumDriveBytes() {
        return dataOffset(1) + PSEG_BYTES;
    }

    /** Encodes {@code label} into {@code buf} (512 bytes from index 0), CRC included. */
    public static void encode(DriveLabel l, ByteBuffer buf) {
        buf.order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < LABEL_BYTES; i += 8) {
            buf.putLong(i, 0);
        }
        buf.putLong(MAGIC_OFFSET, MAGIC);
        buf.putInt(VERSION_OFFSET, VERSION);
        buf.putInt(LABEL_BYTES_OFFSET, LABEL_BYTES);
        buf.putLong(GENERATION_OFFSET, l.generation());
        putUuid(buf, POOL_ID_OFFSET, l.poolId());
        putUuid(buf, DRIVE_ID_OFFSET, l.driveId());
        buf.putInt(GROUP_ID_OFFSET, l.groupId());
        buf.putInt(MEMBER_INDEX_OFFSET, l.memberIndex());
        buf.putInt(RSS_ID_OFFSET, l.rssId());
        buf.putInt(RSS_SLOT_OFFSET, l.rssSlot());
        buf.putLong(CAPACITY_OFFSET, l.capacity());
        buf.putLong(QUORUM_OFFSET_OFFSET, QUORUM_OFFSET);
        buf.putLong(QUORUM_BYTES_OFFSET, QUORUM_BYTES);
        buf.putLong(TABLE_OFFSET_OFFSET, PSEG_TABLE_OFFSET);
        buf.putLong(TABLE_BYTES_OFFSET, tableBytes(l.psegCount()));
        buf.putLong(DATA_OFFSET_OFFSET, dataOffset(l.psegCount()));
        buf.putInt(PSEG_COUNT_OFFSET, l.psegCount());
        buf.putInt(PSEG_BYTES_OFFSET, PSEG_BYTES);
        buf.putInt(SECTOR_BYTES_OFFSET, SECTOR_BYTES);
        buf.putInt(FLAGS_OFFSET, l.flags());
        byte[] name = l.groupName().getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < Math.min(name.length, GROUP_NAME_BYTES); i++) {
            buf.put(GROUP_NAME_OFFSET + i, name[i]);
        }
        buf.putInt(CRC_OFFSET, crc(buf));
    }

    /** Decodes a label, or returns null if the block is not a valid label (magic/version/CRC). */
    public static DriveLabel decode(ByteBuffer buf) {
        buf.order(ByteOrder.LITTLE_ENDIAN);
        if (buf.getLong(MAGIC_OFFSET) != MAGIC || buf.getInt(VERSION_OFFSET) != VERSION
                || buf.getInt(LABEL_BYTES_OFFSET) != LABEL_BYTES || buf.getInt(CRC_OFFSET) != crc(buf)) {
            return null;
        }
        byte[] name = new byte[GROUP_NAME_BYTES];
        int n = 0;
        while (n < GROUP_NAME_BYTES && buf.get(GROUP_NAME_OFFSET + n) != 0) {
            name[n] = buf.get(GROUP_NAME_OFFSET + n);
            n++;
        }
        return new DriveLabel(buf.getLong(GENERATION_OFFSET), getUuid(buf, POOL_ID_OFFSET),
                getUuid(buf, DRIVE_ID_OFFSET), buf.getInt(GROUP_ID_OFFSET),
                new String(name, 0, n, StandardCharsets.US_ASCII), buf.getInt(MEMBER_INDEX_OFFSET),
                buf.getInt(RSS_ID_OFFSET), buf.getInt(RSS_SLOT_OFFSET), buf.getLong(CAPACITY_OFFSET),
                buf.getInt(PSEG_COUNT_OFFSET), buf.getInt(FLAGS_OFFSET));
    }

    static int crc(ByteBuffer buf) {
        CRC32C c = new CRC32C();
        ByteBuffer d = buf.duplicate();
        d.limit(CRC_OFFSET).position(0);
        c.update(d);
        return (int) c.getValue();
    }

    private static void putUuid(ByteBuffer b, int off, UUID u) {
        b.putLong(off, u.getMostSignificantBits());
        b.putLong(off + 8, u.getLeastSignificantBits());
    }

    private static UUID getUuid(ByteBuffer b, int off) {
        return new UUID(b.getLong(off), b.getLong(off + 8));
    }
}
