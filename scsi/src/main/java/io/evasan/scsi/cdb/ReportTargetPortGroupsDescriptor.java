package io.evasan.scsi.cdb;

import static io.evasan.scsi.cdb.CdbDescriptor.put16;
import static io.evasan.scsi.cdb.CdbDescriptor.put32;
import static io.evasan.scsi.cdb.CdbDescriptor.u16;
import static io.evasan.scsi.cdb.CdbDescriptor.u32;

/**
 * REPORT TARGET PORT GROUPS (SPC-4 6.37): the CDB and both parameter data formats.
 *
 * <pre>
 * CDB (MAINTENANCE IN A3h, 12 bytes):
 *  0 A3h | 1 PARAMETER DATA FORMAT(7:5) SERVICE ACTION(4:0) = 0Ah | 2-5 reserved |
 *  6-9 ALLOCATION LENGTH | 10 reserved | 11 CONTROL
 *  PARAMETER DATA FORMAT: 000b length-only header, 001b extended header, others reserved
 *
 * Parameter data, length-only header (000b):
 *  0-3 RETURN DATA LENGTH (n-3) | 4.. target port group descriptors
 * Parameter data, extended header (001b):
 *  0-3 RETURN DATA LENGTH (n-3) | 4 reserved(7) FORMAT TYPE(6:4) = 001b reserved(3:0) |
 *  5 IMPLICIT TRANSITION TIME (seconds) | 6-7 reserved | 8.. target port group descriptors
 *  (RETURN DATA LENGTH counts every byte after byte 3, the full list even when the allocation
 *  length cuts it)
 *
 * Target port group descriptor (8 + 4 * TARGET PORT COUNT bytes):
 *         7       6       5       4       3       2       1       0
 *  0   | PREF  |   reserved            | ASYMMETRIC ACCESS STATE       |
 *  1   | T_SUP | O_SUP | rsvd  |LBD_SUP| U_SUP | S_SUP | AN_SUP| AO_SUP|
 *  2-3 | TARGET PORT GROUP                                             |
 *  4   | reserved                                                      |
 *  5   | STATUS CODE: 00h none, 01h altered by SET TARGET PORT GROUPS, |
 *      |              02h altered by implicit asymmetric access behavior|
 *  6   | vendor specific                                               |
 *  7   | TARGET PORT COUNT                                             |
 *  8.. | target port descriptors, 4 bytes each:                        |
 *      |   0-1 obsolete | 2-3 RELATIVE TARGET PORT IDENTIFIER          |
 * </pre>
 *
 * Invariant: the encoders write exactly the bytes they return the length of, reserved fields zero;
 * the decoders read what the encoders write.
 */
public final class ReportTargetPortGroupsDescriptor {
    public static final int SERVICE_ACTION = 0x0A;
    public static final int CDB_LENGTH = 12;
    public static final int ALLOCATION_LENGTH_OFFSET = 6;

    public static final int FORMAT_LENGTH_ONLY = 0;
    public static final int FORMAT_EXTENDED = 1;
    public static final int HEADER_LENGTH_ONLY = 4;
    public static final int HEADER_EXTENDED = 8;
    public static final int GROUP_DESCRIPTOR = 8;
    public static final int PORT_DESCRIPTOR = 4;

    public static final int PREF = 0x80;
    public static final int T_SUP = 0x80;
    public static final int O_SUP = 0x40;
    public static final int LBD_SUP = 0x10;
    public static final int U_SUP = 0x08;
    public static final int S_SUP = 0x04;
    public static final int AN_SUP = 0x02;
    public static final int AO_SUP = 0x01;

    public static final int STATUS_NONE = 0x00;
    public static final int STATUS_ALTERED_BY_SET_TARGET_PORT_GROUPS = 0x01;
    public static final int STATUS_ALTERED_BY_IMPLICIT_BEHAVIOR = 0x02;

    private ReportTargetPortGroupsDescriptor() {
    }

    /** Encodes the CDB; returns its length. */
    public static int encodeCdb(byte[] cdb, int format, long allocLen) {
        java.util.Arrays.fill(cdb, 0, CDB_LENGTH, (byte) 0);
        cdb[0] = (byte) OpCodes.MAINTENANCE_IN;
        cdb[1] = (byte) (format << 5 | SERVICE_ACTION);
        put32(cdb, ALLOCATION_LENGTH_OFFSET, allocLen);
        return CDB_LENGTH;
    }

    /** The PARAMETER DATA FORMAT field of a CDB. */
    public static int format(byte[] cdb) {
        return (cdb[1] & 0xE0) >>> 5;
    }

    public static long allocationLength(byte[] cdb) {
        return u32(cdb, ALLOCATION_LENGTH_OFFSET);
    }

    /** Length of the header of a parameter data format (000b or 001b). */
    public static int headerLength(int format) {
        return format == FORMAT_EXTENDED ? HEADER_EXTENDED : HEADER_LENGTH_ONLY;
    }

    /**
     * Writes the header for parameter data of {@code totalLength} bytes (header included); returns
     * the header's length (where the first descriptor goes).
     */
    public static int encodeHeader(byte[] out, int format, int implicitTransitionSeconds, long totalLength) {
        int h = headerLength(format);
        java.util.Arrays.fill(out, 0, h, (byte) 0);
        put32(out, 0, totalLength - 4);
        if (format == FORMAT_EXTENDED) {
            out[4] = (byte) (FORMAT_EXTENDED << 4);
            out[5] = (byte) implicitTransitionSeconds;
        }
        return h;
    }

    /** Length of the descriptor of a group with {@code ports} target ports. */
    public static int groupDescriptorLength(int ports) {
        return GROUP_DESCRIPTOR + PORT_DESCRIPTOR * ports;
    }

    /** Writes one target port group descriptor at {@code off}; returns the offset after it. */
    public static int encodeGroup(byte[] out, int off, boolean pref, int state, int supported, int groupId,
                                  int status, int[] relativeTargetPorts) {
        int end = off + groupDescriptorLength(relativeTargetPorts.length);
        java.util.Arrays.fill(out, off, end, (byte) 0);
        out[off] = (byte) ((pref ? PREF : 0) | state & 0x0F);
        out[off + 1] = (byte) supported;
        put16(out, off + 2, groupId);
        out[off + 5] = (byte) status;
        out[off + 7] = (byte) relativeTargetPorts.length;
        for (int i = 0; i < relativeTargetPorts.length; i++) {
            put16(out, off + GROUP_DESCRIPTOR + PORT_DESCRIPTOR * i + 2, relativeTargetPorts[i]);
        }
        return end;
    }

    // ---- decoders (initiator side, tests)

    /** RETURN DATA LENGTH: the bytes after byte 3. */
    public static long returnDataLength(byte[] in) {
        return u32(in, 0);
    }

    /** The FORMAT TYPE of parameter data (byte 4 bits 6:4); meaningful only for the extended header. */
    public static int formatType(byte[] in) {
        return (in[4] & 0x70) >>> 4;
    }

    public static boolean pref(byte[] in, int off) {
        return (in[off] & PREF) != 0;
    }

    public static int state(byte[] in, int off) {
        return in[off] & 0x0F;
    }

    public static int supported(byte[] in, int off) {
        return in[off + 1] & 0xFF;
    }

    public static int groupId(byte[] in, int off) {
        return u16(in, off + 2);
    }

    public static int status(byte[] in, int off) {
        return in[off + 5] & 0xFF;
    }

    public static int portCount(byte[] in, int off) {
        return in[off + 7] & 0xFF;
    }

    public static int relativeTargetPort(byte[] in, int off, int index) {
        return u16(in, off + GROUP_DESCRIPTOR + PORT_DESCRIPTOR * index + 2);
    }
}
