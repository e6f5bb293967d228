package io.evasan.raid.journal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.UUID;
import java.util.zip.CRC32C;

/**
 * On-disk layout of a disk group's RAID5 row write journal: the file
 * {@code <pool dir>/group-<id>.journal} ({@link #fileName}), {@link #SLOTS} fixed slots of
 * {@link #SLOT_BYTES} each, slot {@code i} at byte {@code i * SLOT_BYTES} ({@link #slotOffset}).
 * The file is sparse: a slot never used reads as zeros (or lies beyond the end of the file) and
 * counts as retired.
 *
 * <pre>
 *  slot i:
 *  +------------------------------------------------------------------+ slotOffset(i)
 *  | header sector (512 B, below)                                     |
 *  +------------------------------------------------------------------+ + 512
 *  | payload: the bytes of write 0, write 1, ... back to back         |
 *  | (at most MAX_PAYLOAD = 4 x 64 KiB: a degraded RAID5 row write    |
 *  |  writes at most 3 data members and parity, 64 KiB each)          |
 *  +------------------------------------------------------------------+ + SLOT_BYTES
 *
 *  header (little-endian):
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+   0
 *  |                     magic "EVJ1" (0x314A5645)                 |
 *  +-------------------------------+-------------------------------+   4
 *  |         version (1)           |     write count n (1..4)      |
 *  +-------------------------------+-------------------------------+   8
 *  |                    sequence number (8 B)                      |
 *  +---------------------------------------------------------------+  16
 *  |                 pool UUID (16 B: msb, then lsb)               |
 *  +---------------------------------------------------------------+  32
 *  |                        disk group id                          |
 *  +---------------------------------------------------------------+  36
 *  |                     RStore row (0..31)                        |
 *  +---------------------------------------------------------------+  40
 *  |                         RSD id (8 B)                          |
 *  +---------------------------------------------------------------+  48
 *  |                    RSD generation (8 B)                       |
 *  +---------------------------------------------------------------+  56
 *  |                     payload bytes (total)                     |
 *  +---------------------------------------------------------------+  60
 *  |                       reserved (zero)                         |
 *  +---------------------------------------------------------------+  64
 *  | write k (32 B each, k = 0..3), at 64 + 32 k:                  |
 *  |   +0 drive index (2 B) | +2 member (1 B) | +3 reserved (1 B)  |
 *  |   +4 PSEG number (4 B)                                        |
 *  |   +8 absolute byte offset on the drive (8 B)                  |
 *  |  +16 byte offset inside the PSEG (4 B)                        |
 *  |  +20 length (4 B, multiple of 512)                            |
 *  |  +24 offset of its bytes in the payload (4 B)                 |
 *  |  +28 reserved (4 B, zero)                                     |
 *  +---------------------------------------------------------------+ 192
 *  |                       reserved (zero)                         |
 *  +---------------------------------------------------------------+ 508
 *  |  CRC32C of header bytes 0..507 followed by the payload bytes  |
 *  +---------------------------------------------------------------+ 512
 * </pre>
 *
 * <p>Invariant: a slot holds a record only if its magic, version, bounds and CRC all check; a
 * retired slot has an all-zero header sector; a torn record (any byte of header or payload not
 * written) fails the CRC and is ignored.
 */
public final class JournalDescriptor {
    public static final int MAGIC = 0x314A5645; // "EVJ1"
    public static final int VERSION = 1;
    public static final int SLOTS = 8;
    public static final int HEADER_BYTES = 512;
    public static final int UNIT = 64 * 1024;
    public static final int MAX_WRITES = 4;
    public static final int MAX_PAYLOAD = MAX_WRITES * UNIT;
    public static final int SLOT_BYTES = HEADER_BYTES + MAX_PAYLOAD;
    public static final long FILE_BYTES = (long) SLOTS * SLOT_BYTES;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 4;
    public static final int COUNT_OFFSET = 6;
    public static final int SEQUENCE_OFFSET = 8;
    public static final int POOL_OFFSET = 16;
    public static final int GROUP_OFFSET = 32;
    public static final int ROW_OFFSET = 36;
    public static final int RSD_ID_OFFSET = 40;
    public static final int GENERATION_OFFSET = 48;
    public static final int PAYLOAD_BYTES_OFFSET = 56;
    public static final int ENTRIES_OFFSET = 64;
    public static final int ENTRY_BYTES = 32;
    public static final int E_DRIVE = 0;
    public static final int E_MEMBER = 2;
    public static final int E_PSEG = 4;
    public static final int E_DRIVE_OFFSET = 8;
    public static final int E_PSEG_OFFSET = 16;
    public static final int E_LENGTH = 20;
    public static final int E_PAYLOAD_OFFSET = 24;
    public static final int CRC_OFFSET = 508;

    private JournalDescriptor() {
    }

    /** One in-place member write of a record. */
    public record Entry(int drive, int member, int pseg, long driveOffset, int psegOffset, int length,
                        int payloadOffset) {
    }

    /**
     * A valid record: the header fields, its writes, and {@code payload} (positions 0..payload
     * bytes; entry bytes at {@code payloadOffset}).
     */
    public record Record(int slot, long sequence, UUID poolId, int groupId, int row, long rsdId, long generation,
                         Entry[] entries, ByteBuffer payload) {
    }

    /** The journal file name of disk group {@code groupId}, inside the pool directory. */
    public static String fileName(int groupId) {
        return "group-" + groupId + ".journal";
    }

    /** Byte offset of slot {@code slot} in the journal file. */
    public static long slotOffset(int slot) {
        if (slot < 0 || slot >= SLOTS) {
            throw new IllegalArgumentException("journal slot " + slot + " outside 0.." + (SLOTS - 1));
        }
        return (long) slot * SLOT_BYTES;
    }

    /** Offset of write {@code k}'s descriptor inside the header sector. */
    public static int entryOffset(int k) {
        if (k < 0 || k >= MAX_WRITES) {
            throw new IllegalArgumentException("journal write " + k + " outside 0.." + (MAX_WRITES - 1));
        }
        return ENTRIES_OFFSET + k * ENTRY_BYTES;
    }

    /** Offset, inside a slot, of payload byte {@code payloadOffset}. */
    public static int payloadAt(int payloadOffset) {
        return HEADER_BYTES + payloadOffset;
    }

    /**
     * Writes the header fields of a record with {@code count} writes into {@code slot} (a slot
     * image, little-endian, index 0 = slot start) and zeroes every other header byte except the
     * descriptors of writes 0..count-1, which {@link #putEntry} puts (before or after); then
     * {@link #seal} computes the CRC.
     */
    public static void putHeader(ByteBuffer slot, long sequence, UUID poolId, int groupId, int row, long rsdId,
                                 long generation, int count, int payloadBytes) {
        if (count < 1 || count > MAX_WRITES || payloadBytes < 0 || payloadBytes > MAX_PAYLOAD) {
            throw new IllegalArgumentException("journal record of " + count + " writes, " + payloadBytes + " bytes");
        }
        for (int i = 0; i < HEADER_BYTES; i += 8) {
            if (i < ENTRIES_OFFSET || i >= ENTRIES_OFFSET + count * ENTRY_BYTES) {
                slot.putLong(i, 0L);
            }
        }
        slot.putInt(MAGIC_OFFSET, MAGIC);
        slot.putShort(VERSION_OFFSET, (short) VERSION);
        slot.putShort(COUNT_OFFSET, (short) count);
        slot.putLong(SEQUENCE_OFFSET, sequence);
        slot.putLong(POOL_OFFSET, poolId.getMostSignificantBits());
        slot.putLong(POOL_OFFSET + 8, poolId.getLeastSignificantBits());
        slot.putInt(GROUP_OFFSET, groupId);
        slot.putInt(ROW_OFFSET, row);
        slot.putLong(RSD_ID_OFFSET, rsdId);
        slot.putLong(GENERATION_OFFSET, generation);
        slot.putInt(PAYLOAD_BYTES_OFFSET, payloadBytes);
    }

    /** Writes write {@code k}'s descriptor into the header of {@code slot}. */
    public static void putEntry(ByteBuffer slot, int k, Entry e) {
        int at = entryOffset(k);
        slot.putShort(at + E_DRIVE, (short) e.drive());
        slot.put(at + E_MEMBER, (byte) e.member());
        slot.put(at + 3, (byte) 0);
        slot.putInt(at + E_PSEG, e.pseg());
        slot.putLong(at + E_DRIVE_OFFSET, e.driveOffset());
        slot.putInt(at + E_PSEG_OFFSET, e.psegOffset());
        slot.putInt(at + E_LENGTH, e.length());
        slot.putInt(at + E_PAYLOAD_OFFSET, e.payloadOffset());
        slot.putInt(at + 28, 0);
    }

    /** CRC32C of header bytes 0..507 and payload bytes 0..payloadBytes of a slot image. */
    public static int crc(ByteBuffer slot, int payloadBytes) {
        CRC32C c = new CRC32C();
        c.update(slot.duplicate().position(0).limit(CRC_OFFSET));
        c.update(slot.duplicate().position(HEADER_BYTES).limit(HEADER_BYTES + payloadBytes));
        return (int) c.getValue();
    }

    /** Stores the CRC of a record whose header, entries and payload are in place. */
    public static void seal(ByteBuffer slot) {
        slot.putInt(CRC_OFFSET, crc(slot, slot.getInt(PAYLOAD_BYTES_OFFSET)));
    }

    /** Zeroes the header sector of a slot image (a retired slot). */
    public static void retire(ByteBuffer slot) {
        for (int i = 0; i < HEADER_BYTES; i += 8) {
            slot.putLong(i, 0L);
        }
    }

    /** True if the header sector of a slot image is all zero (retired or never used). */
    public static boolean isRetired(ByteBuffer slot) {
        if (slot.limit() < HEADER_BYTES) {
            return true;
        }
        for (int i = 0; i < HEADER_BYTES; i += 8) {
            if (slot.getLong(i) != 0L) {
                return false;
            }
        }
        return true;
    }

    /**
     * Decodes slot image {@code slot} (little-endian; its limit = bytes actually read), or null if
     * it holds no valid record (retired, torn, corrupt, out of bounds). The payload of a valid
     * record is a slice of {@code slot}.
     */
    public static Record decode(int slotIndex, ByteBuffer slot) {
        if (slot.limit() < HEADER_BYTES || slot.getInt(MAGIC_OFFSET) != MAGIC
                || slot.getShort(VERSION_OFFSET) != VERSION) {
            return null;
        }
        int count = slot.getShort(COUNT_OFFSET);
        int payloadBytes = slot.getInt(PAYLOAD_BYTES_OFFSET);
        if (count < 1 || count > MAX_WRITES || payloadBytes < 0 || payloadBytes > MAX_PAYLOAD
                || HEADER_BYTES + payloadBytes > slot.limit()) {
            return null;
        }
        if (crc(slot, payloadBytes) != slot.getInt(CRC_OFFSET)) {
            return null;
        }
        Entry[] es = new Entry[count];
        for (int k = 0; k < count; k++) {
            int at = entryOffset(k);
            Entry e = new Entry(Short.toUnsignedInt(slot.getShort(at + E_DRIVE)), Byte.toUnsignedInt(slot.get(at + E_MEMBER)),
                    slot.getInt(at + E_PSEG), slot.getLong(at + E_DRIVE_OFFSET), slot.getInt(at + E_PSEG_OFFSET),
                    slot.getInt(at + E_LENGTH), slot.getInt(at + E_PAYLOAD_OFFSET));
            if (e.length() <= 0 || (e.length() & 511) != 0 || e.payloadOffset() < 0
                    || (long) e.payloadOffset() + e.length() > payloadBytes || e.psegOffset() < 0
                    || (e.psegOffset() & 511) != 0 || e.driveOffset() < 0 || e.pseg() < 0) {
                return null;
            }
            es[k] = e;
        }
        ByteBuffer payload = slot.slice(HEADER_BYTES, payloadBytes).order(ByteOrder.LITTLE_ENDIAN);
        return new Record(slotIndex, slot.getLong(SEQUENCE_OFFSET),
                new UUID(slot.getLong(POOL_OFFSET), slot.getLong(POOL_OFFSET + 8)), slot.getInt(GROUP_OFFSET),
                slot.getInt(ROW_OFFSET), slot.getLong(RSD_ID_OFFSET), slot.getLong(GENERATION_OFFSET), es, payload);
    }
}
