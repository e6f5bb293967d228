package io.evasan.nsc.cache;

import java.nio.ByteBuffer;

/**
 * Layout of the non-volatile cache log: a memory-mapped file cut into fixed-size segments, each
 * an append-only run of records. The volatile cache uses the same record layout in direct memory
 * (without CRCs), so both modes share one store.
 *
 * <pre>
 * File:
 *   0                4096             4096 + segmentSize        4096 + n*segmentSize
 *   +----------------+----------------+------ ... --------------+
 *   |  file header   |   segment 0    |   segment 1 ...  n-1    |
 *   +----------------+----------------+------ ... --------------+
 *
 * File header (FILE_HEADER_LENGTH = 4096, fields little endian):
 *    0                   8          12            16             20       24            32        36
 *   +-------------------+----------+-------------+--------------+--------+-------------+---------+
 *   | magic "EVSNCLOG"  | version  | segmentSize | segmentCount | rsvd   | nextEpoch   | crc32c  |
 *   +-------------------+----------+-------------+--------------+--------+-------------+---------+
 *   crc32c covers [0,32). nextEpoch is above every epoch ever used in the file.
 *
 * Segment header (SEGMENT_HEADER_LENGTH = 64):
 *    0        4        8              16       20
 *   +--------+--------+--------------+--------+-------------+
 *   | magic  | unused | epoch (long) | crc32c |  unused ... |   crc over [0,16)
 *   +--------+--------+--------------+--------+-------------+
 *   A segment whose header is invalid or zero holds no records.
 *
 * Record (RECORD_HEADER_LENGTH = 56, then payload, frame padded to 8 bytes):
 *    0           4      8        16       24      28      32          36      40            48           52     56
 *   +-----------+------+--------+--------+-------+-------+-----------+-------+-------------+------------+------+---------+
 *   |frameLength| type |  seq   | epoch  | state | crc32c| initiator | lunId | byteOffset  | payloadLen | rsvd | payload |
 *   |           |      |        |        |       |       | /lunCount | /kind | /requestId  |            |      |         |
 *   +-----------+------+--------+--------+-------+-------+-----------+-------+-------------+------------+------+---------+
 *   crc32c covers [0,24) and [32, 56 + payloadLen): everything except state and crc.
 *   state: 0 = being written (never acknowledged), 1 = LIVE (acknowledged, not destaged),
 *          2 = DONE (destaged / snapshot taken). state is written last on append: it is the commit.
 *   epoch must equal the segment header's epoch, else the record is stale (from an earlier use of
 *   the segment) and the scan of that segment stops. A record with a bad crc or frame length is
 *   torn: the scan of that segment stops there (only the last, unacknowledged append can be torn).
 *   MARKER payload: lunCount ints, then source word (int: source code | policy code << 8 |
 *   disk group code << 16, see
 *   {@link CacheMessageDescriptor}), then name length (int) + UTF-8 bytes.
 * </pre>
 *
 * Addresses of records inside the store are packed in a long: segment index in the high 24 bits,
 * offset inside the segment in the low 40 bits ({@link #address}, {@link #segmentOf},
 * {@link #offsetOf}).
 */
public final class CacheLogDescriptor {
    private CacheLogDescriptor() {
    }

    public static final long FILE_MAGIC = 0x474f4c434e535645L; // "EVSNCLOG" little endian
    public static final int VERSION = 1;
    public static final int FILE_HEADER_LENGTH = 4096;
    public static final int FILE_MAGIC_OFFSET = 0;
    public static final int FILE_VERSION_OFFSET = 8;
    public static final int FILE_SEGMENT_SIZE_OFFSET = 12;
    public static final int FILE_SEGMENT_COUNT_OFFSET = 16;
    public static final int FILE_NEXT_EPOCH_OFFSET = 24;
    public static final int FILE_CRC_OFFSET = 32;

    public static final int SEGMENT_MAGIC = 0x4d474553; // "SEGM"
    public static final int SEGMENT_HEADER_LENGTH = 64;
    public static final int SEGMENT_MAGIC_OFFSET = 0;
    public static final int SEGMENT_EPOCH_OFFSET = 8;
    public static final int SEGMENT_CRC_OFFSET = 16;

    public static final int RECORD_HEADER_LENGTH = 56;
    public static final int FRAME_LENGTH_OFFSET = 0;
    public static final int TYPE_OFFSET = 4;
    public static final int SEQ_OFFSET = 8;
    public static final int EPOCH_OFFSET = 16;
    public static final int STATE_OFFSET = 24;
    public static final int CRC_OFFSET = 28;
    public static final int INITIATOR_OFFSET = 32;
    public static final int LUN_COUNT_OFFSET = 32;
    public static final int LUN_OFFSET = 36;
    public static final int KIND_OFFSET = 36;
    public static final int BYTE_OFFSET_OFFSET = 40;
    public static final int REQUEST_ID_OFFSET = 40;
    public static final int PAYLOAD_LENGTH_OFFSET = 48;
    public static final int PAYLOAD_OFFSET = RECORD_HEADER_LENGTH;
    /** Bytes of the header after the state and crc fields that the crc covers: [32, 56). */
    public static final int CRC_TAIL_START = 32;

    public static final int TYPE_WRITE = 1;
    public static final int TYPE_MARKER = 2;

    public static final int STATE_WRITING = 0;
    public static final int STATE_LIVE = 1;
    public static final int STATE_DONE = 2;

    public static final int ALIGNMENT = 8;
    public static final int MAX_SEGMENTS = 1 << 20;

    private static final int OFFSET_BITS = 40;
    private static final long OFFSET_MASK = (1L << OFFSET_BITS) - 1;

    /** Frame length for a payload: header + payload rounded up to {@link #ALIGNMENT}. */
    public static int frameLength(int payloadLength) {
        return (RECORD_HEADER_LENGTH + payloadLength + ALIGNMENT - 1) & -ALIGNMENT;
    }

    /** Byte offset of segment {@code i} in the file. */
    public static long segmentFileOffset(int segmentSize, int i) {
        return FILE_HEADER_LENGTH + (long) segmentSize * i;
    }

    /** Length of a log file with this geometry. */
    public static long fileLength(int segmentSize, int segmentCount) {
        return segmentFileOffset(segmentSize, segmentCount);
    }

    /** Payload bytes of a marker record for a request with this many LUNs and UTF-8 name bytes. */
    public static int markerPayloadLength(int lunCount, int nameBytes) {
        return 4 * lunCount + 8 + nameBytes;
    }

    /** Packs a record address: segment index and offset inside the segment. */
    public static long address(int segment, int offsetInSegment) {
        if (segment < 0 || segment >= MAX_SEGMENTS || offsetInSegment < 0) {
            throw new IllegalArgumentException("segment " + segment + " offset " + offsetInSegment);
        }
        return ((long) segment << OFFSET_BITS) | offsetInSegment;
    }

    public static int segmentOf(long address) {
        return (int) (address >>> OFFSET_BITS);
    }

    public static int offsetOf(long address) {
        return (int) (address & OFFSET_MASK);
    }

    // ---- accessors on a segment buffer (absolute, little endian buffers)

    public static int frameLength(ByteBuffer seg, int rec) { return seg.getInt(rec + FRAME_LENGTH_OFFSET); }
    public static int type(ByteBuffer seg, int rec) { return seg.getInt(rec + TYPE_OFFSET); }
    public static long seq(ByteBuffer seg, int rec) { return seg.getLong(rec + SEQ_OFFSET); }
    public static long epoch(ByteBuffer seg, int rec) { return seg.getLong(rec + EPOCH_OFFSET); }
    public static int state(ByteBuffer seg, int rec) { return seg.getInt(rec + STATE_OFFSET); }
    public static int crc(ByteBuffer seg, int rec) { return seg.getInt(rec + CRC_OFFSET); }
    public static int initiator(ByteBuffer seg, int rec) { return seg.getInt(rec + INITIATOR_OFFSET); }
    public static int lunId(ByteBuffer seg, int rec) { return seg.getInt(rec + LUN_OFFSET); }
    public static long byteOffset(ByteBuffer seg, int rec) { return seg.getLong(rec + BYTE_OFFSET_OFFSET); }
    public static int payloadLength(ByteBuffer seg, int rec) { return seg.getInt(rec + PAYLOAD_LENGTH_OFFSET); }
}
