package io.evasan.mld.lease;

import io.evasan.mld.MldBlockDescriptor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Layout of the lease region in each quorum area and of one lease block. All integers
 * little-endian (as the MLD's).
 *
 * <p><b>Where.</b> The region is the 4 KiB just before the last sector of the quorum area, i.e.
 * just before the commit seal of MLD slot 1: {@link MldBlockDescriptor#LEASE_RESERVED} keeps every
 * MLD block out of it, and no MLD slot, header or seal moves (an MLD written before the lease
 * existed opens unchanged; {@link LeaseStore} refuses an area whose slot-1 block reaches into the
 * region instead of overwriting it).
 *
 * <pre>
 *  quorum area (8 MiB on a FileDrive)
 *  +----------------------+------+----------------------+------------+------+
 *  | MLD slot 0 block ... | seal | MLD slot 1 block ... | lease 4KiB | seal |
 *  +----------------------+------+----------------------+------------+------+
 *                                                       ^ regionOffset(areaBytes)
 *  lease region: 8 sectors, two per controller (ping-pong by counter parity)
 *  +------+------+------+------+------+------+------+------+
 *  | A, 0 | A, 1 | B, 0 | B, 1 | C, 0 | C, 1 | D, 0 | D, 1 |   sector = 2 * writer + (counter & 1)
 *  +------+------+------+------+------+------+------+------+
 * </pre>
 *
 * <p>Each controller writes only its own two sectors, so a delayed write of a paused controller
 * (SIGSTOP between its read and its write) can never overwrite the other's claim; a block torn by
 * a power cut fails its CRC and the other sector of the pair still holds the previous block.
 *
 * <p>One lease block (512 bytes; bytes 64..511 zero):
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |   magic, bytes "EVALEASE" (8 bytes; the long 0x455341454C415645)|  0
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                   layout version = 1 (int)                    |  8
 *  +---------------------------------------------------------------+
 *  |          writer: controller id, 0 = A, 1 = B (int)            | 12
 *  +---------------------------------------------------------------+
 *  |          owner: the writer, or -1 = none (int)                | 16
 *  +---------------------------------------------------------------+
 *  |                     reserved, zero (int)                      | 20
 *  +---------------------------------------------------------------+
 *  |          generation (u64), bumped on every change of owner    | 24
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |      renewal counter (u64), bumped by every block written     | 32
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                lease duration, ms (u64)                       | 40
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                  reserved, zero (12 bytes)                    | 48
 *  +---------------------------------------------------------------+
 *  |            block CRC32C over bytes 0..59 (int)                | 60
 *  +---------------------------------------------------------------+
 *  |                      zero up to 512                           | 64
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * <p>A block is valid when magic, version, CRC, reserved bytes and ranges check and it sits in
 * the sector its writer and counter parity name. Anything else (blank, torn, misplaced) decodes as
 * "no block", never as a lease.
 */
public final class LeaseDescriptor {
    public static final long MAGIC = 0x455341454C415645L; // bytes "EVALEASE" (little-endian)
    public static final int VERSION = 1;
    public static final int BLOCK_LENGTH = 512;
    public static final int CHECKED_LENGTH = 64;
    public static final int MAX_CONTROLLERS = 4;
    public static final int REGION_LENGTH = MldBlockDescriptor.LEASE_RESERVED;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 8;
    public static final int WRITER_OFFSET = 12;
    public static final int OWNER_OFFSET = 16;
    public static final int GENERATION_OFFSET = 24;
    public static final int COUNTER_OFFSET = 32;
    public static final int DURATION_OFFSET = 40;
    public static final int CRC_OFFSET = 60;

    static {
        if (2 * MAX_CONTROLLERS * BLOCK_LENGTH > REGION_LENGTH) {
            throw new AssertionError("lease region too small");
        }
    }

    private LeaseDescriptor() {
    }

    /** Start of the lease region inside a quorum area of {@code areaBytes} (the MLD region being the whole area). */
    public static long regionOffset(long areaBytes) {
        return MldBlockDescriptor.sealOffset(areaBytes, 1) - REGION_LENGTH;
    }

    /** Offset of the block of {@code writer} with counter parity {@code counter & 1}, relative to the region. */
    public static int blockOffset(int writer, long counter) {
        return (2 * writer + (int) (counter & 1)) * BLOCK_LENGTH;
    }

    /** The 512-byte block of {@code r}. */
    public static ByteBuffer encode(LeaseRecord r) {
        ByteBuffer b = ByteBuffer.allocate(BLOCK_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(MAGIC_OFFSET, MAGIC);
        b.putInt(VERSION_OFFSET, VERSION);
        b.putInt(WRITER_OFFSET, r.writer());
        b.putInt(OWNER_OFFSET, r.owner());
        b.putLong(GENERATION_OFFSET, r.generation());
        b.putLong(COUNTER_OFFSET, r.counter());
        b.putLong(DURATION_OFFSET, r.durationMillis());
        b.putInt(CRC_OFFSET, MldBlockDescriptor.crc(b, 0, CRC_OFFSET));
        return b;
    }

    /**
     * Decodes the block read from sector {@code 2 * writer + parity} of the region, or null when it
     * is not a valid block of that writer and parity (blank, torn, damaged or misplaced).
     */
    public static LeaseRecord decode(ByteBuffer block, int writer, int parity) {
        ByteBuffer b = block.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (b.limit() < CHECKED_LENGTH || b.getLong(MAGIC_OFFSET) != MAGIC || b.getInt(VERSION_OFFSET) != VERSION
                || MldBlockDescriptor.crc(b, 0, CRC_OFFSET) != b.getInt(CRC_OFFSET)
                || b.getInt(20) != 0 || b.getLong(48) != 0 || b.getInt(56) != 0) {
            return null;
        }
        int w = b.getInt(WRITER_OFFSET);
        int owner = b.getInt(OWNER_OFFSET);
        long gen = b.getLong(GENERATION_OFFSET);
        long counter = b.getLong(COUNTER_OFFSET);
        long duration = b.getLong(DURATION_OFFSET);
        if (w != writer || (counter & 1) != parity || (owner != LeaseRecord.NONE && owner != w) || gen < 0
                || counter < 0 || duration <= 0) {
            return null;
        }
        return new LeaseRecord(w, owner, gen, counter, duration);
    }
}
