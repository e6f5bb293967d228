package io.evasan.iscsi.pdu;

import io.vertx.core.buffer.Buffer;

/**
 * Layout of the iSCSI Basic Header Segment (RFC 7143 section 11.2.1) and the offsets of every
 * opcode's fields. All multi-byte fields are big-endian. Invariant: every accessor reads or writes
 * exactly the bytes of the field at the documented offset of a 48-byte header starting at
 * {@code base}; nothing here allocates.
 *
 * <pre>
 * Byte/     0       |       1       |       2       |       3       |
 *    +---------------+---------------+---------------+---------------+
 *   0|.|I| Opcode    |F|  Opcode-specific fields                     |
 *    +---------------+---------------+---------------+---------------+
 *   4|TotalAHSLength | DataSegmentLength                             |
 *    +---------------+---------------+---------------+---------------+
 *   8| LUN or Opcode-specific fields                                 |
 *    +                                                               +
 *  12|                                                               |
 *    +---------------+---------------+---------------+---------------+
 *  16| Initiator Task Tag                                            |
 *    +---------------+---------------+---------------+---------------+
 *  20| Opcode-specific fields (TTT, EDTL, RTT, CID, SNACK tag ...)   |
 *    +---------------+---------------+---------------+---------------+
 *  24| CmdSN (initiator) / StatSN (target)                           |
 *    +---------------+---------------+---------------+---------------+
 *  28| ExpStatSN (initiator) / ExpCmdSN (target)                     |
 *    +---------------+---------------+---------------+---------------+
 *  32| MaxCmdSN (target) / opcode-specific                           |
 *    +---------------+---------------+---------------+---------------+
 *  36| DataSN / R2TSN / ExpDataSN / Status-Class,Detail (login)      |
 *    +---------------+---------------+---------------+---------------+
 *  40| Buffer Offset / Bidi residual / Time2Wait,Time2Retain         |
 *    +---------------+---------------+---------------+---------------+
 *  44| Residual Count / Desired Data Transfer Length                 |
 *    +---------------+---------------+---------------+---------------+
 *  32..47 in a SCSI Command PDU: CDB (16 bytes)
 *  8..13 in Login PDUs: ISID (6 bytes), 14..15 TSIH; 20..21 CID (Login, Logout)
 * </pre>
 * A PDU is: BHS, then TotalAHSLength*4 bytes of AHS, then a 4-byte header digest when
 * negotiated, then DataSegmentLength bytes of data padded to a 4-byte boundary, then a 4-byte data
 * digest when negotiated and DataSegmentLength &gt; 0.
 */
public final class BhsDescriptor {
    public static final int LENGTH = 48;

    // ---- opcodes, initiator
    public static final int OP_NOP_OUT = 0x00;
    public static final int OP_SCSI_CMD = 0x01;
    public static final int OP_TMF_REQ = 0x02;
    public static final int OP_LOGIN_REQ = 0x03;
    public static final int OP_TEXT_REQ = 0x04;
    public static final int OP_DATA_OUT = 0x05;
    public static final int OP_LOGOUT_REQ = 0x06;
    public static final int OP_SNACK_REQ = 0x10;
    // ---- opcodes, target
    public static final int OP_NOP_IN = 0x20;
    public static final int OP_SCSI_RSP = 0x21;
    public static final int OP_TMF_RSP = 0x22;
    public static final int OP_LOGIN_RSP = 0x23;
    public static final int OP_TEXT_RSP = 0x24;
    public static final int OP_DATA_IN = 0x25;
    public static final int OP_LOGOUT_RSP = 0x26;
    public static final int OP_R2T = 0x31;
    public static final int OP_ASYNC = 0x32;
    public static final int OP_REJECT = 0x3f;

    // ---- common offsets
    public static final int OPCODE_OFFSET = 0;
    public static final int FLAGS_OFFSET = 1;
    public static final int TOTAL_AHS_OFFSET = 4;
    public static final int DSL_OFFSET = 5;
    public static final int LUN_OFFSET = 8;
    public static final int ITT_OFFSET = 16;
    public static final int TTT_OFFSET = 20;
    public static final int CMDSN_OFFSET = 24;
    public static final int STATSN_OFFSET = 24;
    public static final int EXPSTATSN_OFFSET = 28;
    public static final int EXPCMDSN_OFFSET = 28;
    public static final int MAXCMDSN_OFFSET = 32;

    // ---- byte 0 / 1 bits
    public static final int IMMEDIATE_BIT = 0x40;
    public static final int OPCODE_MASK = 0x3f;
    public static final int FINAL_BIT = 0x80;

    // ---- SCSI Command (0x01)
    public static final int CMD_READ_BIT = 0x40;
    public static final int CMD_WRITE_BIT = 0x20;
    public static final int CMD_ATTR_MASK = 0x07;
    public static final int CMD_EDTL_OFFSET = 20;
    public static final int CMD_CDB_OFFSET = 32;
    public static final int CMD_CDB_LENGTH = 16;

    // ---- SCSI Response (0x21)
    public static final int RSP_BIDI_OVERFLOW = 0x10;
    public static final int RSP_BIDI_UNDERFLOW = 0x08;
    public static final int RSP_OVERFLOW = 0x04;
    public static final int RSP_UNDERFLOW = 0x02;
    public static final int RSP_RESPONSE_OFFSET = 2;
    public static final int RSP_STATUS_OFFSET = 3;
    public static final int RSP_SNACK_TAG_OFFSET = 20;
    public static final int RSP_EXPDATASN_OFFSET = 36;
    public static final int RSP_BIDI_RESIDUAL_OFFSET = 40;
    public static final int RSP_RESIDUAL_OFFSET = 44;

    // ---- Data-In (0x25) / Data-Out (0x05)
    public static final int DATAIN_ACK_BIT = 0x40;
    public static final int DATAIN_OVERFLOW = 0x04;
    public static final int DATAIN_UNDERFLOW = 0x02;
    public static final int DATAIN_STATUS_BIT = 0x01;
    public static final int DATAIN_STATUS_OFFSET = 3;
    public static final int DATA_DATASN_OFFSET = 36;
    public static final int DATA_BUFFER_OFFSET_OFFSET = 40;
    public static final int DATAIN_RESIDUAL_OFFSET = 44;

    // ---- R2T (0x31)
    public static final int R2T_R2TSN_OFFSET = 36;
    public static final int R2T_BUFFER_OFFSET_OFFSET = 40;
    public static final int R2T_DESIRED_LENGTH_OFFSET = 44;

    // ---- TMF request (0x02) / response (0x22)
    public static final int TMF_FUNCTION_MASK = 0x7f;
    public static final int TMF_RTT_OFFSET = 20;
    public static final int TMF_REFCMDSN_OFFSET = 32;
    public static final int TMF_RESPONSE_OFFSET = 2;

    // ---- Login request (0x03) / response (0x23)
    public static final int LOGIN_TRANSIT_BIT = 0x80;
    public static final int LOGIN_CONTINUE_BIT = 0x40;
    public static final int LOGIN_CSG_SHIFT = 2;
    public static final int LOGIN_STAGE_MASK = 0x03;
    public static final int LOGIN_VERSION_MAX_OFFSET = 2;
    public static final int LOGIN_VERSION_MIN_OFFSET = 3;
    public static final int LOGIN_ISID_OFFSET = 8;
    public static final int LOGIN_ISID_LENGTH = 6;
    public static final int LOGIN_TSIH_OFFSET = 14;
    public static final int LOGIN_CID_OFFSET = 20;
    public static final int LOGIN_STATUS_CLASS_OFFSET = 36;
    public static final int LOGIN_STATUS_DETAIL_OFFSET = 37;
    public static final int STAGE_SECURITY = 0;
    public static final int STAGE_OPERATIONAL = 1;
    public static final int STAGE_FULL_FEATURE = 3;

    // ---- Text (0x04 / 0x24)
    public static final int TEXT_CONTINUE_BIT = 0x40;

    // ---- Logout (0x06 / 0x26)
    public static final int LOGOUT_REASON_MASK = 0x7f;
    public static final int LOGOUT_CID_OFFSET = 20;
    public static final int LOGOUT_RESPONSE_OFFSET = 2;
    public static final int LOGOUT_TIME2WAIT_OFFSET = 40;
    public static final int LOGOUT_TIME2RETAIN_OFFSET = 42;

    // ---- Reject (0x3f)
    public static final int REJECT_REASON_OFFSET = 2;
    public static final int REJECT_DATASN_OFFSET = 36;
    public static final int REJECT_DATA_DIGEST_ERROR = 0x02;
    public static final int REJECT_SNACK_REJECT = 0x03;
    public static final int REJECT_PROTOCOL_ERROR = 0x04;
    public static final int REJECT_COMMAND_NOT_SUPPORTED = 0x05;
    public static final int REJECT_IMMEDIATE_REJECT = 0x06;
    public static final int REJECT_TASK_IN_PROGRESS = 0x07;
    public static final int REJECT_INVALID_DATA_ACK = 0x08;
    public static final int REJECT_INVALID_PDU_FIELD = 0x09;
    public static final int REJECT_OUT_OF_RESOURCES = 0x0a;
    public static final int REJECT_WAITING_FOR_LOGOUT = 0x0c;

    // ---- Async message (0x32)
    public static final int ASYNC_EVENT_OFFSET = 36;
    public static final int ASYNC_VCODE_OFFSET = 37;
    public static final int ASYNC_PARAM1_OFFSET = 38;
    public static final int ASYNC_PARAM2_OFFSET = 40;
    public static final int ASYNC_PARAM3_OFFSET = 42;

    /** The reserved tag value 0xffffffff. */
    public static final int RESERVED_TAG = 0xffffffff;

    /** Largest DataSegmentLength field value (24 bits). */
    public static final int MAX_DSL = 0xffffff;

    private BhsDescriptor() {
    }

    public static int opcode(Buffer b, int base) {
        return b.getByte(base + OPCODE_OFFSET) & OPCODE_MASK;
    }

    public static boolean immediate(Buffer b, int base) {
        return (b.getByte(base + OPCODE_OFFSET) & IMMEDIATE_BIT) != 0;
    }

    public static int flags(Buffer b, int base) {
        return b.getByte(base + FLAGS_OFFSET) & 0xff;
    }

    /** TotalAHSLength in bytes (the field counts 4-byte words). */
    public static int totalAhsBytes(Buffer b, int base) {
        return (b.getByte(base + TOTAL_AHS_OFFSET) & 0xff) * 4;
    }

    public static int dataSegmentLength(Buffer b, int base) {
        return ((b.getByte(base + DSL_OFFSET) & 0xff) << 16) | ((b.getByte(base + DSL_OFFSET + 1) & 0xff) << 8)
                | (b.getByte(base + DSL_OFFSET + 2) & 0xff);
    }

    public static void dataSegmentLength(Buffer b, int base, int length) {
        if (length < 0 || length > MAX_DSL) {
            throw new IllegalArgumentException("data segment length " + length);
        }
        b.setByte(base + DSL_OFFSET, (byte) (length >>> 16));
        b.setByte(base + DSL_OFFSET + 1, (byte) (length >>> 8));
        b.setByte(base + DSL_OFFSET + 2, (byte) length);
    }

    public static long lun(Buffer b, int base) {
        return b.getLong(base + LUN_OFFSET);
    }

    public static int itt(Buffer b, int base) {
        return b.getInt(base + ITT_OFFSET);
    }

    public static int u32(Buffer b, int base, int offset) {
        return b.getInt(base + offset);
    }

    /** Padding bytes after a data segment of {@code length} bytes. */
    public static int padding(int length) {
        return (-length) & 3;
    }

    /**
     * Single-level LUN from the 8-byte LUN field (SAM-5 4.7): peripheral device addressing (bus 0 in
     * byte 0, LUN in byte 1) or flat space addressing (01b + 14-bit LUN); -1 for other methods.
     */
    public static int decodeLun(long lunField) {
        int first = (int) (lunField >>> 48) & 0xffff;
        int method = (first >>> 14) & 3;
        if (method == 0 || method == 1) {
            return first & 0x3fff;
        }
        return -1;
    }

    /** Encodes a LUN number into the 8-byte LUN field (peripheral for &lt; 256, else flat). */
    public static long encodeLun(int lun) {
        if (lun < 256) {
            return ((long) lun) << 48;
        }
        return ((long) (0x4000 | (lun & 0x3fff))) << 48;
    }

    /** Clears a 48-byte header at {@code base} and sets opcode and flags. */
    public static void init(Buffer b, int base, int opcode, int flags) {
        for (int i = 0; i < LENGTH; i += 8) {
            b.setLong(base + i, 0L);
        }
        b.setByte(base + OPCODE_OFFSET, (byte) opcode);
        b.setByte(base + FLAGS_OFFSET, (byte) flags);
    }

    /** Serial number arithmetic (RFC 1982, 32 bits): true when s1 &lt; s2. */
    public static boolean snLessThan(int s1, int s2) {
        return s1 != s2 && (s2 - s1) > 0;
    }

    /** Comparator in serial arithmetic (valid for values within 2^31 of each other). */
    public static int compareSerial(Integer s1, Integer s2) {
        int a = s1;
        int b = s2;
        return a == b ? 0 : ((b - a) > 0 ? -1 : 1);
    }

    /** True when s1 &lt;= s2 in serial arithmetic. */
    public static boolean snLessOrEqual(int s1, int s2) {
        return s1 == s2 || (s2 - s1) > 0;
    }
}
