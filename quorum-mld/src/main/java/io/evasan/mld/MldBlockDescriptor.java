package io.evasan.mld;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * Layout of one MLD block (one slot of one quorum area). All integers little-endian.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |   magic, bytes "EVAMDL01" (8 bytes; the long 0x31304C444D415645)|  0
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                     layout version (int)                      |  8
 *  +---------------------------------------------------------------+
 *  |                 header length = 64 (int)                      | 12
 *  +---------------------------------------------------------------+
 *  |                      generation (long)                        | 16
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                    payload length (int)                       | 24
 *  +---------------------------------------------------------------+
 *  |                  payload CRC32C (int)                         | 28
 *  +---------------------------------------------------------------+
 *  |                 commit time, epoch millis (long)              | 32
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |          copies written by this commit (int)                  | 40
 *  +---------------------------------------------------------------+
 *  |                  reserved, zero (16 bytes)                    | 44
 *  +---------------------------------------------------------------+
 *  |       header CRC32C over bytes 0..59 (int)                    | 60
 *  +---------------------------------------------------------------+
 *  |   payload: record count (int), then per record:               | 64
 *  |     kind length (u16) kind UTF-8, key length (u16) key UTF-8, |
 *  |     value length (int) value bytes; records sorted by         |
 *  |     (kind, key)                                               |
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * <p>A quorum area (or the region of it given to the MLD) holds two slots of
 * {@link #slotSize(long)} bytes each. A block is a checkpoint: the first goes to slot
 * {@code g & 1}, each later one to the slot not holding the current checkpoint. The log of the
 * commits after a checkpoint ({@link MldLogDescriptor}) starts right after its block, at
 * {@link #blockLength(int)}, and ends before the lease reserve ({@link #maxBlockLength(long)}).
 * A slot is valid when magic, version, header CRC and payload CRC all check.
 *
 * <p><b>Commit seal</b> (added without a version change; regions written before it simply have
 * no seal). The last 512 bytes of each slot hold a seal sector, written into the slot that
 * generation {@code g} went to (its checkpoint, or the log behind the current checkpoint) of every
 * copy only after {@code g} is durable on all of them, i.e. when the commit is about to be
 * acknowledged. A block therefore never extends into the last sector of its slot
 * ({@link #maxBlockLength(long)}). The seal is what tells a crash-torn commit (no seal: the
 * commit never returned, falling back to {@code g - 1} is correct) from an acknowledged
 * generation that was damaged later on every copy (seal says {@code g}, no valid block or log
 * record of {@code g} is left: opening refuses instead of rolling back silently).
 *
 * <pre>
 *  +---------------------------------------------------------------+
 *  |                  magic "EVAMLDSL" (8 bytes)                   |  0
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                    seal version = 1 (int)                     |  8
 *  +---------------------------------------------------------------+
 *  |                     reserved, zero (int)                      | 12
 *  +---------------------------------------------------------------+
 *  |             acknowledged generation (long)                    | 16
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                 commit time, epoch millis (long)              | 24
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                  reserved, zero (28 bytes)                    | 32
 *  +---------------------------------------------------------------+
 *  |       seal CRC32C over bytes 0..59 (int)                      | 60
 *  +---------------------------------------------------------------+
 *  |                  zero up to 512                               | 64
 *  +---------------------------------------------------------------+
 * </pre>
 */
public final class MldBlockDescriptor {
    public static final long MAGIC = 0x31304C444D415645L; // bytes "EVAMDL01" (little-endian)
    public static final int VERSION = 1;
    public static final int HEADER_LENGTH = 64;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 8;
    public static final int HEADER_LENGTH_OFFSET = 12;
    public static final int GENERATION_OFFSET = 16;
    public static final int PAYLOAD_LENGTH_OFFSET = 24;
    public static final int PAYLOAD_CRC_OFFSET = 28;
    public static final int COMMIT_TIME_OFFSET = 32;
    public static final int COPIES_OFFSET = 40;
    public static final int HEADER_CRC_OFFSET = 60;
    public static final int PAYLOAD_OFFSET = HEADER_LENGTH;

    private static final int SECTOR = 512;

    public static final long SEAL_MAGIC = 0x4C53444C4D415645L; // "EVAMLDSL" little-endian
    public static final int SEAL_VERSION = 1;
    public static final int SEAL_LENGTH = SECTOR;
    public static final int SEAL_GENERATION_OFFSET = 16;
    public static final int SEAL_TIME_OFFSET = 24;
    public static final int SEAL_CRC_OFFSET = 60;

    private MldBlockDescriptor() {
    }

    /** Size of one slot in a region of {@code regionLength} bytes: half, rounded down to 512. */
    public static long slotSize(long regionLength) {
        return (regionLength / 2) / SECTOR * SECTOR;
    }

    /** Byte offset of slot {@code slot} (0 or 1) relative to the MLD region start. */
    public static long slotOffset(long regionLength, int slot) {
        return slot * slotSize(regionLength);
    }

    /** Byte offset of the seal sector of slot {@code slot} relative to the MLD region start. */
    public static long sealOffset(long regionLength, int slot) {
        return slotOffset(regionLength, slot) + slotSize(regionLength) - SEAL_LENGTH;
    }

    /**
     * Bytes kept free just before the seal sector of each slot: in slot 1 (the end of the quorum
     * area) they hold the lease region ({@link io.evasan.mld.lease.LeaseDescriptor}); slot 0's are
     * kept free too so that every generation fits either slot. Added without a version change:
     * no slot offset, header or seal moves; only the largest catalogue shrinks by 4 KiB.
     */
    public static final int LEASE_RESERVED = 4096;

    /** Largest block a slot of {@code slotSize} bytes takes: all but the lease reserve and its seal sector. */
    public static long maxBlockLength(long slotSize) {
        return slotSize - SEAL_LENGTH - LEASE_RESERVED;
    }

    /** A 512-byte seal sector for acknowledged generation {@code generation}. */
    public static ByteBuffer seal(long generation, long commitMillis) {
        ByteBuffer b = ByteBuffer.allocate(SEAL_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(MAGIC_OFFSET, SEAL_MAGIC);
        b.putInt(VERSION_OFFSET, SEAL_VERSION);
        b.putLong(SEAL_GENERATION_OFFSET, generation);
        b.putLong(SEAL_TIME_OFFSET, commitMillis);
        b.putInt(SEAL_CRC_OFFSET, crc(b, 0, SEAL_CRC_OFFSET));
        return b;
    }

    /** True when {@code sector} is a seal whose magic, version and CRC check. */
    public static boolean sealValid(ByteBuffer sector) {
        ByteBuffer b = sector.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        return b.limit() >= SEAL_CRC_OFFSET + 4 && b.getLong(MAGIC_OFFSET) == SEAL_MAGIC
                && b.getInt(VERSION_OFFSET) == SEAL_VERSION && crc(b, 0, SEAL_CRC_OFFSET) == b.getInt(SEAL_CRC_OFFSET);
    }

    /** Acknowledged generation of a valid seal. */
    public static long sealGeneration(ByteBuffer sector) {
        return sector.duplicate().order(ByteOrder.LITTLE_ENDIAN).getLong(SEAL_GENERATION_OFFSET);
    }

    /** True when the first 64 bytes of {@code sector} are zero (no seal ever written). */
    public static boolean sealBlank(ByteBuffer sector) {
        return blank(sector);
    }

    /** True when the 8 bytes at 0 read "EVAMLD01" (the header may still fail its CRC). */
    public static boolean hasMagic(ByteBuffer block) {
        return block.limit() >= 8 && block.duplicate().order(ByteOrder.LITTLE_ENDIAN).getLong(MAGIC_OFFSET) == MAGIC;
    }

    /** Slot of the first checkpoint, generation {@code generation}; while every commit is a checkpoint, slots alternate so. */
    public static int slotOf(long generation) {
        return (int) (generation & 1);
    }

    /** Bytes to write for a payload of {@code payloadLength}: header + payload rounded up to 512. */
    public static int blockLength(int payloadLength) {
        int raw = HEADER_LENGTH + payloadLength;
        return (raw + SECTOR - 1) / SECTOR * SECTOR;
    }

    /** Fills the header of {@code block} (little-endian, position 0) for the payload already at 64. */
    public static void writeHeader(ByteBuffer block, long generation, int payloadLength, long commitMillis, int copies) {
        ByteBuffer b = block.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(MAGIC_OFFSET, MAGIC);
        b.putInt(VERSION_OFFSET, VERSION);
        b.putInt(HEADER_LENGTH_OFFSET, HEADER_LENGTH);
        b.putLong(GENERATION_OFFSET, generation);
        b.putInt(PAYLOAD_LENGTH_OFFSET, payloadLength);
        b.putInt(PAYLOAD_CRC_OFFSET, crc(b, PAYLOAD_OFFSET, payloadLength));
        b.putLong(COMMIT_TIME_OFFSET, commitMillis);
        b.putInt(COPIES_OFFSET, copies);
        for (int i = 44; i < HEADER_CRC_OFFSET; i++) {
            b.put(i, (byte) 0);
        }
        b.putInt(HEADER_CRC_OFFSET, crc(b, 0, HEADER_CRC_OFFSET));
    }

    /** True when the header of {@code block} checks (magic, version, header CRC, lengths). */
    public static boolean headerValid(ByteBuffer block, long slotSize) {
        ByteBuffer b = block.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (b.limit() < HEADER_LENGTH || b.getLong(MAGIC_OFFSET) != MAGIC || b.getInt(VERSION_OFFSET) != VERSION
                || b.getInt(HEADER_LENGTH_OFFSET) != HEADER_LENGTH) {
            return false;
        }
        if (crc(b, 0, HEADER_CRC_OFFSET) != b.getInt(HEADER_CRC_OFFSET)) {
            return false;
        }
        int len = b.getInt(PAYLOAD_LENGTH_OFFSET);
        return len >= 0 && HEADER_LENGTH + (long) len <= slotSize;
    }

    /** True when the payload (whose length the valid header gives) matches its CRC. */
    public static boolean payloadValid(ByteBuffer block) {
        ByteBuffer b = block.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int len = b.getInt(PAYLOAD_LENGTH_OFFSET);
        if (PAYLOAD_OFFSET + len > b.limit()) {
            return false;
        }
        return crc(b, PAYLOAD_OFFSET, len) == b.getInt(PAYLOAD_CRC_OFFSET);
    }

    /** True when every byte of the header is zero (a never-written slot). */
    public static boolean blank(ByteBuffer block) {
        for (int i = 0; i < HEADER_LENGTH && i < block.limit(); i++) {
            if (block.get(i) != 0) {
                return false;
            }
        }
        return true;
    }

    public static long generation(ByteBuffer block) {
        return block.duplicate().order(ByteOrder.LITTLE_ENDIAN).getLong(GENERATION_OFFSET);
    }

    public static int payloadLength(ByteBuffer block) {
        return block.duplicate().order(ByteOrder.LITTLE_ENDIAN).getInt(PAYLOAD_LENGTH_OFFSET);
    }

    /** The header CRC of a block: what the first record of its log names as its previous CRC. */
    public static int headerCrc(ByteBuffer block) {
        return block.duplicate().order(ByteOrder.LITTLE_ENDIAN).getInt(HEADER_CRC_OFFSET);
    }

    public static long commitTime(ByteBuffer block) {
        return block.duplicate().order(ByteOrder.LITTLE_ENDIAN).getLong(COMMIT_TIME_OFFSET);
    }

    /** CRC32C of {@code len} bytes of {@code b} from absolute index {@code from}. */
    public static int crc(ByteBuffer b, int from, int len) {
        CRC32C c = new CRC32C();
        ByteBuffer d = b.duplicate();
        d.limit(from + len).position(from);
        c.update(d);
        return (int) c.getValue();
    }
}
