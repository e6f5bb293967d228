package io.evasan.scsi.cdb;

import static io.evasan.scsi.cdb.CdbDescriptor.put16;
import static io.evasan.scsi.cdb.CdbDescriptor.put32;
import static io.evasan.scsi.cdb.CdbDescriptor.put64;

/**
 * EXTENDED COPY (LID1) and RECEIVE COPY RESULTS layouts (SPC-4 6.4, 6.18, 7.8.17) for the
 * block-to-block copies this target's copy manager performs.
 *
 * <pre>
 * EXTENDED COPY(LID1) CDB (83h, 16 bytes):
 *  0 83h | 1 reserved(7:5) SERVICE ACTION(4:0)=00h | 2-9 reserved | 10-13 PARAMETER LIST LENGTH |
 *  14 reserved | 15 CONTROL
 * RECEIVE COPY RESULTS CDB (84h, 16 bytes):
 *  0 84h | 1 SERVICE ACTION(4:0): 00h COPY STATUS, 03h OPERATING PARAMETERS | 2 LIST IDENTIFIER |
 *  3-9 reserved | 10-13 ALLOCATION LENGTH | 14 reserved | 15 CONTROL
 *
 * EXTENDED COPY(LID1) parameter list:
 *  0 LIST IDENTIFIER | 1 STR(5) LIST ID USAGE(4:3) PRIORITY(2:0) | 2-3 TARGET DESCRIPTOR LIST LENGTH |
 *  4-7 reserved | 8-11 SEGMENT DESCRIPTOR LIST LENGTH | 12-15 INLINE DATA LENGTH |
 *  16.. target descriptors | .. segment descriptors | .. inline data
 * Identification descriptor target descriptor (E4h, 32 bytes):
 *  0 E4h | 1 LU ID TYPE(7:6) NUL(5) PERIPHERAL DEVICE TYPE(4:0) | 2-3 RELATIVE INITIATOR PORT ID |
 *  4 CODE SET(3:0) | 5 ASSOCIATION(5:4) DESIGNATOR TYPE(3:0) | 6 reserved | 7 DESIGNATOR LENGTH |
 *  8-27 DESIGNATOR (zero padded) | 28 PAD(2) | 29-31 DISK BLOCK LENGTH
 * Block device to block device segment descriptor (02h, 28 bytes):
 *  0 02h | 1 DC(1) CAT(0) | 2-3 DESCRIPTOR LENGTH (0018h) | 4-5 SOURCE TARGET DESCRIPTOR INDEX |
 *  6-7 DESTINATION TARGET DESCRIPTOR INDEX | 8-9 reserved | 10-11 BLOCK DEVICE NUMBER OF BLOCKS |
 *  12-19 SOURCE LBA | 20-27 DESTINATION LBA
 *
 * COPY STATUS (LID1) data (12 bytes):
 *  0-3 AVAILABLE DATA (8) | 4 HDD(7) COPY MANAGER STATUS(6:0) | 5-6 SEGMENTS PROCESSED |
 *  7 TRANSFER COUNT UNITS (00h bytes, F1h KiB) | 8-11 TRANSFER COUNT
 * OPERATING PARAMETERS data:
 *  0-3 AVAILABLE DATA (n-3) | 4 SNLID(0) | 5-7 reserved | 8-9 MAXIMUM TARGET DESCRIPTOR COUNT |
 *  10-11 MAXIMUM SEGMENT DESCRIPTOR COUNT | 12-15 MAXIMUM DESCRIPTOR LIST LENGTH |
 *  16-19 MAXIMUM SEGMENT LENGTH | 20-23 MAXIMUM INLINE DATA LENGTH | 24-27 HELD DATA LIMIT |
 *  28-31 MAXIMUM STREAM DEVICE TRANSFER SIZE | 32-33 reserved | 34-35 TOTAL CONCURRENT COPIES |
 *  36 MAXIMUM CONCURRENT COPIES | 37 DATA SEGMENT GRANULARITY (log2) | 38 INLINE DATA GRANULARITY |
 *  39 HELD DATA GRANULARITY | 40-42 reserved | 43 IMPLEMENTED DESCRIPTOR LIST LENGTH (n-43) |
 *  44.. implemented descriptor type codes
 * Third-party Copy VPD page (8Fh): 0 peripheral | 1 8Fh | 2-3 PAGE LENGTH | 4.. descriptors:
 *  Supported Commands descriptor: 0-1 TYPE 0001h | 2-3 LENGTH (n-3) | 4 COMMANDS SUPPORTED LIST LENGTH |
 *  5.. per command: OPERATION CODE | SERVICE ACTIONS LIST LENGTH | service actions; zero padded to 4
 * </pre>
 *
 * Invariant: the encoders below build lists that the target's parser accepts byte for byte.
 */
public final class ExtendedCopyDescriptor {
    public static final int SA_EXTENDED_COPY_LID1 = 0x00;
    public static final int SA_COPY_STATUS = 0x00;
    public static final int SA_OPERATING_PARAMETERS = 0x03;

    public static final int PARAM_LENGTH_OFFSET = 10;
    public static final int ALLOC_LENGTH_OFFSET = 10;
    public static final int LIST_ID_OFFSET = 2;

    public static final int HEADER = 16;
    public static final int TARGET_LIST_LENGTH_OFFSET = 2;
    public static final int SEGMENT_LIST_LENGTH_OFFSET = 8;
    public static final int INLINE_LENGTH_OFFSET = 12;

    public static final int TARGET_IDENTIFICATION = 0xE4;
    public static final int TARGET_DESCRIPTOR_LENGTH = 32;
    public static final int DESIGNATOR_OFFSET = 8;
    public static final int DESIGNATOR_MAX = 20;
    public static final int BLOCK_LENGTH_OFFSET = 29;

    public static final int SEGMENT_BLOCK_TO_BLOCK = 0x02;
    public static final int SEGMENT_BLOCK_TO_BLOCK_LENGTH = 28;
    public static final int SEGMENT_HEADER = 4;

    public static final int LIST_ID_USAGE_HOLD = 0;
    public static final int LIST_ID_USAGE_NO_HOLD = 2;
    public static final int LIST_ID_USAGE_NONE = 3;

    public static final int STATUS_IN_PROGRESS = 0x00;
    public static final int STATUS_GOOD = 0x01;
    public static final int STATUS_ERROR = 0x02;

    private ExtendedCopyDescriptor() {
    }

    /** EXTENDED COPY(LID1) CDB; returns 16. */
    public static int extendedCopy(byte[] cdb, long paramLen) {
        java.util.Arrays.fill(cdb, 0, 16, (byte) 0);
        cdb[0] = (byte) OpCodes.EXTENDED_COPY;
        put32(cdb, PARAM_LENGTH_OFFSET, paramLen);
        return 16;
    }

    /** RECEIVE COPY RESULTS CDB; returns 16. */
    public static int receiveCopyResults(byte[] cdb, int sa, int listId, long allocLen) {
        java.util.Arrays.fill(cdb, 0, 16, (byte) 0);
        cdb[0] = (byte) OpCodes.RECEIVE_COPY_RESULTS;
        cdb[1] = (byte) sa;
        cdb[LIST_ID_OFFSET] = (byte) listId;
        put32(cdb, ALLOC_LENGTH_OFFSET, allocLen);
        return 16;
    }

    /** Parameter list header at 0. */
    public static void header(byte[] p, int listId, int listIdUsage, int targetListLength, long segmentListLength,
            long inlineLength) {
        java.util.Arrays.fill(p, 0, HEADER, (byte) 0);
        p[0] = (byte) listId;
        p[1] = (byte) ((listIdUsage & 3) << 3);
        put16(p, TARGET_LIST_LENGTH_OFFSET, targetListLength);
        put32(p, SEGMENT_LIST_LENGTH_OFFSET, segmentListLength);
        put32(p, INLINE_LENGTH_OFFSET, inlineLength);
    }

    /** Identification target descriptor (E4h) naming an LU by a designator; returns its length. */
    public static int identificationTarget(byte[] p, int off, int codeSet, int designatorType, byte[] designator,
            int blockLength) {
        java.util.Arrays.fill(p, off, off + TARGET_DESCRIPTOR_LENGTH, (byte) 0);
        p[off] = (byte) TARGET_IDENTIFICATION;
        p[off + 4] = (byte) codeSet;
        p[off + 5] = (byte) designatorType;
        p[off + 7] = (byte) designator.length;
        System.arraycopy(designator, 0, p, off + DESIGNATOR_OFFSET, Math.min(designator.length, DESIGNATOR_MAX));
        CdbDescriptor.put24(p, off + BLOCK_LENGTH_OFFSET, blockLength);
        return TARGET_DESCRIPTOR_LENGTH;
    }

    /** Block-to-block segment descriptor (02h); returns its length. */
    public static int blockToBlock(byte[] p, int off, int srcIndex, int dstIndex, int blocks, long srcLba, long dstLba) {
        java.util.Arrays.fill(p, off, off + SEGMENT_BLOCK_TO_BLOCK_LENGTH, (byte) 0);
        p[off] = (byte) SEGMENT_BLOCK_TO_BLOCK;
        put16(p, off + 2, SEGMENT_BLOCK_TO_BLOCK_LENGTH - SEGMENT_HEADER);
        put16(p, off + 4, srcIndex);
        put16(p, off + 6, dstIndex);
        put16(p, off + 10, blocks);
        put64(p, off + 12, srcLba);
        put64(p, off + 20, dstLba);
        return SEGMENT_BLOCK_TO_BLOCK_LENGTH;
    }
}
