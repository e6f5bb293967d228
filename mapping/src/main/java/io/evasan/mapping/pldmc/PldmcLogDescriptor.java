package io.evasan.mapping.pldmc;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * Layout of the PLDMC metadata log: files {@code pldmc-<generation>.a} and
 * {@code pldmc-<generation>.b}, byte-identical mirrors. All integers little-endian.
 *
 * <pre>
 * File header (64 bytes):
 *  +--------+--------+--------+--------+--------+--------+--------+--------+
 *  |               magic "EVAPLDMC" (long)                                 |  0
 *  +-----------------------------------+-----------------------------------+
 *  |        version (int) = 1          |     header length (int) = 64      |  8
 *  +-----------------------------------+-----------------------------------+
 *  |               generation (long)                                       | 16
 *  +-----------------------------------------------------------------------+
 *  |               reserved, zero (32 bytes)                               | 24
 *  +-----------------------------------+-----------------------------------+
 *  |     reserved, zero (int)          |  CRC32C of bytes 0..59 (int)      | 56
 *  +-----------------------------------+-----------------------------------+
 *
 * Record (one atomic transaction), repeated from offset 64:
 *  +-----------------------------------+-----------------------------------+
 *  |   record length L (int, bytes)    | type (int) TXN=1 CKPT_END=2 FORCED=3| +0
 *  +-----------------------------------+-----------------------------------+
 *  |               sequence number (long), +1 per record from 1            | +8
 *  +-----------------------------------+-----------------------------------+
 *  |   op count (int)                  |   ops ...                         | +16
 *  +-----------------------------------+                                   |
 *  |   ...                                                                 |
 *  +-----------------------------------+-----------------------------------+
 *  |                                   | CRC32C of bytes +0 .. +L-5 (int)  | +L-4
 *  +-----------------------------------+-----------------------------------+
 *
 * Ops (opcode byte, then fields):
 *  SET       1 | disk int | segment int | entry int          set one LMAP entry
 *  RSD_ADD   2 | group int | slot int | rsdId long           RSD slot now names an RStore
 *  RSD_FREE  3 | group int | slot int                        RSD slot empty (RStore freed)
 *  CLONE     4 | src int | dst int | srcBits int | dstBits int
 *                pointer copy of src's ALLOCATED entries into dst (HOLDER cleared, user bits of
 *                dstBits' bits 0..7 set, src user bits selected by dstBits' bits 8..15 kept), then
 *                srcBits OR-ed into src's ALLOCATED entries; marks dst materialized
 *  DROP      5 | disk int                                    forget the disk's maps
 *  TRUNCATE  6 | disk int | fromSegment int                  clear entries >= fromSegment
 *  CREATED   7 | disk int                                    disk materialized (checkpoint form of CLONE)
 * </pre>
 *
 * A FORCED record has no ops: in fsync-off mode it is appended right after a force of both copies
 * returned, so it proves every record before it reached stable storage. SYNC_TXN=4 is a TXN appended
 * in fsync mode (each append forced before the next, and open forces what it found before the
 * first): it proves the same. So a record says how the log was written, whatever mode opens it.
 *
 * A record is valid when its length is in bounds, its CRC matches and its sequence number is the
 * expected next one. Reading stops at the first record that is valid in neither copy (a torn
 * tail: never acknowledged). A generation is usable only once its checkpoint (the records before
 * the first CKPT_END) is complete.
 */
public final class PldmcLogDescriptor {
    public static final long MAGIC = 0x434D444C50415645L; // "EVAPLDMC" little-endian
    public static final int VERSION = 1;
    public static final int FILE_HEADER_LENGTH = 64;
    public static final int HEADER_CRC_OFFSET = 60;
    public static final int GENERATION_OFFSET = 16;

    public static final int REC_LENGTH_OFFSET = 0;
    public static final int REC_TYPE_OFFSET = 4;
    public static final int REC_SEQ_OFFSET = 8;
    public static final int REC_COUNT_OFFSET = 16;
    public static final int REC_OPS_OFFSET = 20;
    public static final int REC_TRAILER = 4;
    public static final int REC_MIN_LENGTH = REC_OPS_OFFSET + REC_TRAILER;
    /** Upper bound on one record, to reject garbage lengths fast. */
    public static final int REC_MAX_LENGTH = 64 << 20;

    public static final int TYPE_TXN = 1;
    public static final int TYPE_CKPT_END = 2;
    /** No ops; appended after a force in fsync-off mode: every record before it is on stable storage. */
    public static final int TYPE_FORCED = 3;
    /** A TXN appended in fsync mode: every record before it was on stable storage when it was written. */
    public static final int TYPE_SYNC_TXN = 4;

    /** Whether a valid record of {@code type} proves every record before it reached stable storage. */
    public static boolean provesEarlierForced(int type) {
        return type == TYPE_FORCED || type == TYPE_SYNC_TXN;
    }

    public static final byte OP_SET = 1;
    public static final byte OP_RSD_ADD = 2;
    public static final byte OP_RSD_FREE = 3;
    public static final byte OP_CLONE = 4;
    public static final byte OP_DROP = 5;
    public static final byte OP_TRUNCATE = 6;
    public static final byte OP_CREATED = 7;

    /** Bytes of each op including its opcode, indexed by opcode. */
    public static int opLength(byte op) {
        switch (op) {
            case OP_SET: return 13;
            case OP_RSD_ADD: return 17;
            case OP_RSD_FREE: return 9;
            case OP_CLONE: return 17;
            case OP_DROP: return 5;
            case OP_TRUNCATE: return 9;
            case OP_CREATED: return 5;
            default: return -1;
        }
    }

    private PldmcLogDescriptor() {
    }

    public static String fileName(long generation, char copy) {
        return "pldmc-" + generation + "." + copy;
    }

    public static ByteBuffer fileHeader(long generation) {
        ByteBuffer b = ByteBuffer.allocate(FILE_HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0, MAGIC).putInt(8, VERSION).putInt(12, FILE_HEADER_LENGTH).putLong(GENERATION_OFFSET, generation);
        b.putInt(HEADER_CRC_OFFSET, crc(b, 0, HEADER_CRC_OFFSET));
        return b;
    }

    /** Generation in a valid header at the start of {@code file}, or -1. */
    public static long headerGeneration(ByteBuffer file) {
        if (file.limit() < FILE_HEADER_LENGTH) {
            return -1;
        }
        ByteBuffer b = file.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (b.getLong(0) != MAGIC || b.getInt(8) != VERSION || b.getInt(12) != FILE_HEADER_LENGTH
                || crc(b, 0, HEADER_CRC_OFFSET) != b.getInt(HEADER_CRC_OFFSET)) {
            return -1;
        }
        return b.getLong(GENERATION_OFFSET);
    }

    /**
     * Length of the valid record at {@code pos} with sequence {@code expectedSeq}, or -1 when
     * the bytes there are not such a record (torn, corrupt, stale or end of file).
     */
    public static int validRecordLength(ByteBuffer file, int pos, long expectedSeq) {
        if (file == null || pos + REC_MIN_LENGTH > file.limit()) {
            return -1;
        }
        ByteBuffer b = file.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int len = b.getInt(pos + REC_LENGTH_OFFSET);
        if (len < REC_MIN_LENGTH || len > REC_MAX_LENGTH || pos + (long) len > file.limit()) {
            return -1;
        }
        if (b.getLong(pos + REC_SEQ_OFFSET) != expectedSeq) {
            return -1;
        }
        if (crc(b, pos, len - REC_TRAILER) != b.getInt(pos + len - REC_TRAILER)) {
            return -1;
        }
        return len;
    }

    public static int crc(ByteBuffer b, int from, int len) {
        CRC32C c = new CRC32C();
        ByteBuffer d = b.duplicate();
        d.limit(from + len).position(from);
        c.update(d);
        return (int) c.getValue();
    }
}
