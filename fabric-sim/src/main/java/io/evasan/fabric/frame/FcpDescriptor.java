package io.evasan.fabric.frame;

import java.util.Arrays;

import static io.evasan.fabric.frame.FrameFormatException.Problem.BAD_FIELD;
import static io.evasan.fabric.frame.FrameFormatException.Problem.BAD_LENGTH;
import static io.evasan.fabric.frame.FrameFormatException.need;
import static io.evasan.fabric.frame.FrameFormatException.require;

/**
 * FCP information units (FCP-4 clause 9; Linux {@code include/scsi/fc/fc_fcp.h} {@code struct
 * fcp_cmnd}, {@code struct fcp_txrdy}, {@code struct fcp_resp}, {@code struct fcp_resp_ext}, {@code
 * struct fcp_resp_rsp_info}). R_CTL: FCP_CMND 0x06, FCP_XFER_RDY 0x05, FCP_DATA 0x01 (payload is the
 * data, parameter field the relative offset), FCP_RSP 0x07; TYPE 0x08. All fields big-endian.
 *
 * <pre>
 * FCP_CMND (32 + 4 * additional CDB words)
 *    +---------------+---------------+---------------+---------------+
 *   0| FCP_LUN, 8 bytes (SAM LUN structure)                          |
 *    +---------------+---------------+---------------+---------------+
 *   8| CRN           |R| prio(4)|TA(3)| TM flags     |add CDB len|R|W|
 *    +---------------+---------------+---------------+---------------+
 *  12| FCP_CDB, 16 bytes (+ additional CDB)                          |
 *    +---------------+---------------+---------------+---------------+
 *  28| FCP_DL: expected data length                                  |
 *    +---------------+---------------+---------------+---------------+
 *
 * FCP_XFER_RDY (12)
 *    +---------------+---------------+---------------+---------------+
 *   0| FCP_DATA_RO: relative offset of the burst                     |
 *   4| FCP_BURST_LEN                                                 |
 *   8| reserved, zero                                                |
 *    +---------------+---------------+---------------+---------------+
 *
 * FCP_RSP (24 + response info + sense)
 *    +---------------+---------------+---------------+---------------+
 *   0| reserved, zero (8 bytes)                                      |
 *    +---------------+---------------+---------------+---------------+
 *   8|SQ | retry delay timer (14)    | flags         | SCSI status   |
 *    +---------------+---------------+---------------+---------------+
 *  12| FCP_RESID                                                     |
 *  16| FCP_SNS_LEN                                                   |
 *  20| FCP_RSP_LEN (0, 4 or 8)                                       |
 *    +---------------+---------------+---------------+---------------+
 *  24| FCP_RSP_INFO: reserved (3) | RSP_CODE | [reserved (4)]        |
 *    | FCP_SNS_INFO (FCP_SNS_LEN bytes)                              |
 * flags: 0x08 FCP_RESID_UNDER, 0x04 FCP_RESID_OVER, 0x02 FCP_SNS_LEN_VAL, 0x01 FCP_RSP_LEN_VAL
 * </pre>
 */
public final class FcpDescriptor {
    public static final int CMND_LENGTH = 32;
    public static final int CDB_LENGTH = 16;
    public static final int XFER_RDY_LENGTH = 12;
    public static final int RSP_LENGTH = 24;

    // ---- task attributes (fc_fcp.h FCP_PTA_*)
    public static final int PTA_SIMPLE = 0;
    public static final int PTA_HEADQ = 1;
    public static final int PTA_ORDERED = 2;
    public static final int PTA_ACA = 4;
    public static final int PTA_MASK = 7;
    public static final int PRI_SHIFT = 3;

    // ---- task management flags (fc_fcp.h FCP_TMF_*)
    public static final int TMF_CLR_ACA = 0x40;
    public static final int TMF_TGT_RESET = 0x20;
    public static final int TMF_LUN_RESET = 0x10;
    public static final int TMF_CLR_TASK_SET = 0x04;
    public static final int TMF_ABT_TASK_SET = 0x02;

    // ---- fc_flags (fc_fcp.h FCP_CFL_*)
    public static final int CFL_LEN_MASK = 0xFC;
    public static final int CFL_LEN_SHIFT = 2;
    public static final int CFL_RDDATA = 0x02;
    public static final int CFL_WRDATA = 0x01;

    // ---- FCP_RSP flags (fc_fcp.h)
    public static final int BIDI_RSP = 0x80;
    public static final int CONF_REQ = 0x10;
    public static final int RESID_UNDER = 0x08;
    public static final int RESID_OVER = 0x04;
    public static final int SNS_LEN_VAL = 0x02;
    public static final int RSP_LEN_VAL = 0x01;

    // ---- FCP_RSP_INFO codes (fc_fcp.h enum fcp_resp_rsp_codes)
    public static final int RSP_TMF_CMPL = 0;
    public static final int RSP_DATA_LEN_INVALID = 1;
    public static final int RSP_CMND_FIELDS_INVALID = 2;
    public static final int RSP_DATA_PARAM_MISMATCH = 3;
    public static final int RSP_TMF_REJECTED = 4;
    public static final int RSP_TMF_FAILED = 5;
    public static final int RSP_TMF_INVALID_LUN = 9;

    private FcpDescriptor() {
    }

    /**
     * The LUN number of an 8-byte FCP_LUN in SAM single-level format: peripheral (method 00b) or
     * flat (01b) addressing in the first two bytes; {@code -1} for any other addressing method.
     */
    public static int lunNumber(long fcpLun) {
        int first = (int) (fcpLun >>> 48) & 0xFFFF;
        int method = first >>> 14;
        return method == 0 || method == 1 ? first & 0x3FFF : -1;
    }

    /** The FCP_LUN of LUN {@code n} (0..16383): peripheral addressing below 256, flat above, as Linux int_to_scsilun. */
    public static long lunField(int n) {
        if (n < 0 || n > 0x3FFF) {
            throw new IllegalArgumentException("LUN " + n);
        }
        return (long) (n < 256 ? n : 0x4000 | n) << 48;
    }

    /**
     * One FCP_DATA frame of the exchange {@code oxId}/{@code rxId}: R_CTL 01h (solicited data),
     * F_CTL with {@code FC_FC_REL_OFF} (the parameter field is the relative offset of the data),
     * sent by {@code sId} with the sequence initiative kept. {@code fromResponder} sets the
     * exchange-context bit (data-in from the target).
     */
    public static Frame data(int sId, int dId, int oxId, int rxId, int seqId, int seqCnt, boolean fromResponder,
                             int relativeOffset, byte[] data) {
        return new Frame(dataHeader(sId, dId, oxId, rxId, seqId, seqCnt, fromResponder, relativeOffset), data);
    }

    /** The header of {@link #data}'s frame (for {@code EncapsulationDescriptor.encode(header, bytes, offset, length)}). */
    public static FrameHeader dataHeader(int sId, int dId, int oxId, int rxId, int seqId, int seqCnt, boolean fromResponder,
                                         int relativeOffset) {
        int fCtl = (fromResponder ? FrameHeaderDescriptor.F_CTL_EX_CTX : 0) | FrameHeaderDescriptor.F_CTL_REL_OFF;
        return new FrameHeader(FrameHeaderDescriptor.R_CTL_DD_SOL_DATA, dId, 0, sId,
                FrameHeaderDescriptor.TYPE_FCP, fCtl, seqId, 0, seqCnt, oxId, rxId, relativeOffset);
    }

    /**
     * FCP_CMND. {@code cdb} is 16 bytes plus a multiple of 4 (additional CDB). Invariant: read and
     * write may both be set only for bidirectional commands; a task-management request carries a
     * zero CDB in the fabric's use but is not rejected for a non-zero one (FCP-4 says ignore).
     */
    public record Cmnd(long lun, int crn, int priority, int taskAttribute, int tmFlags, boolean read, boolean write,
                       byte[] cdb, int dataLength) {
        public Cmnd {
            if (cdb.length < CDB_LENGTH || cdb.length % 4 != 0 || (cdb.length - CDB_LENGTH) / 4 > 63) {
                throw new IllegalArgumentException("CDB of " + cdb.length + " bytes");
            }
            cdb = cdb.clone();
        }

        /** A SIMPLE-task command with a 16-byte (zero-padded) CDB. */
        public static Cmnd scsi(long lun, byte[] cdb, boolean read, boolean write, int dataLength) {
            return new Cmnd(lun, 0, 0, PTA_SIMPLE, 0, read, write, Arrays.copyOf(cdb, Math.max(CDB_LENGTH, cdb.length)),
                    dataLength);
        }

        public static Cmnd taskManagement(long lun, int tmFlags) {
            return new Cmnd(lun, 0, 0, PTA_SIMPLE, tmFlags, false, false, new byte[CDB_LENGTH], 0);
        }

        @Override
        public byte[] cdb() {
            return cdb.clone();
        }

        public byte[] encode() {
            int add = (cdb.length - CDB_LENGTH) / 4;
            byte[] b = new byte[CMND_LENGTH + add * 4];
            Bytes.put64(b, 0, lun);
            Bytes.put8(b, 8, crn);
            Bytes.put8(b, 9, (priority & 0xF) << PRI_SHIFT | taskAttribute & PTA_MASK);
            Bytes.put8(b, 10, tmFlags);
            Bytes.put8(b, 11, add << CFL_LEN_SHIFT | (read ? CFL_RDDATA : 0) | (write ? CFL_WRDATA : 0));
            System.arraycopy(cdb, 0, b, 12, cdb.length);
            Bytes.put32(b, 12 + cdb.length, dataLength);
            return b;
        }

        public static Cmnd decode(byte[] p) throws FrameFormatException {
            need(p, CMND_LENGTH, "FCP_CMND");
            int flags = Bytes.u8(p, 11);
            int add = (flags & CFL_LEN_MASK) >>> CFL_LEN_SHIFT;
            int len = CMND_LENGTH + add * 4;
            if (!(p.length == len)) {
                throw new FrameFormatException(BAD_LENGTH, "FCP_CMND " + p.length + " bytes, additional CDB length says " + len);
            }
            int ta = Bytes.u8(p, 9);
            require((ta & 0x80) == 0, BAD_FIELD, "FCP_CMND reserved priority bit set");
            int attr = ta & PTA_MASK;
            if (!(attr == PTA_SIMPLE || attr == PTA_HEADQ || attr == PTA_ORDERED || attr == PTA_ACA)) {
                throw new FrameFormatException(BAD_FIELD, "task attribute " + attr);
            }
            int tm = Bytes.u8(p, 10);
            if (!(Integer.bitCount(tm) <= 1 && (tm & ~(TMF_CLR_ACA | TMF_TGT_RESET | TMF_LUN_RESET | TMF_CLR_TASK_SET | TMF_ABT_TASK_SET)) == 0)) {
                throw new FrameFormatException(BAD_FIELD, "task management flags 0x%02x".formatted(tm));
            }
            return new Cmnd(Bytes.i64(p, 0), Bytes.u8(p, 8), ta >>> PRI_SHIFT & 0xF, attr, tm, (flags & CFL_RDDATA) != 0,
                    (flags & CFL_WRDATA) != 0, Arrays.copyOfRange(p, 12, 12 + CDB_LENGTH + add * 4),
                    Bytes.i32(p, len - 4));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Cmnd c && lun == c.lun && crn == c.crn && priority == c.priority
                    && taskAttribute == c.taskAttribute && tmFlags == c.tmFlags && read == c.read && write == c.write
                    && Arrays.equals(cdb, c.cdb) && dataLength == c.dataLength;
        }

        @Override
        public int hashCode() {
            return Long.hashCode(lun) * 31 + Arrays.hashCode(cdb) * 17 + dataLength;
        }

        @Override
        public String toString() {
            return "Cmnd[lun=%016x cdb=%s dl=%d tm=%02x r=%b w=%b]".formatted(lun,
                    java.util.HexFormat.of().formatHex(cdb), dataLength, tmFlags, read, write);
        }
    }

    /** FCP_XFER_RDY: the target asks for {@code burstLength} bytes at {@code relativeOffset}. */
    public record XferRdy(int relativeOffset, int burstLength) {
        public byte[] encode() {
            byte[] b = new byte[XFER_RDY_LENGTH];
            Bytes.put32(b, 0, relativeOffset);
            Bytes.put32(b, 4, burstLength);
            return b;
        }

        public static XferRdy decode(byte[] p) throws FrameFormatException {
            need(p, XFER_RDY_LENGTH, "FCP_XFER_RDY");
            if (!(p.length == XFER_RDY_LENGTH)) {
                throw new FrameFormatException(BAD_LENGTH, "FCP_XFER_RDY " + p.length + " bytes");
            }
            return new XferRdy(Bytes.i32(p, 0), Bytes.i32(p, 4));
        }
    }

    /**
     * FCP_RSP. {@code rspCode} is {@code -1} when no FCP_RSP_INFO is present; sense is empty when
     * none. Invariant: residual under and over are never both set; {@code residual} is meaningful
     * only when one is.
     */
    public record Rsp(int statusQualifier, int retryDelay, int scsiStatus, boolean residualUnder, boolean residualOver,
                      int residual, int rspCode, byte[] sense) {
        public Rsp {
            if (residualUnder && residualOver) {
                throw new IllegalArgumentException("residual both under and over");
            }
            sense = sense.clone();
        }

        /** Status only, with the residual of a transfer of {@code transferred} of {@code expected} bytes. */
        public static Rsp status(int scsiStatus, int expected, int transferred, byte[] sense) {
            return new Rsp(0, 0, scsiStatus, transferred < expected, transferred > expected,
                    Math.abs(expected - transferred), -1, sense);
        }

        /** The answer to a task-management FCP_CMND. */
        public static Rsp taskManagement(int rspCode) {
            return new Rsp(0, 0, 0, false, false, 0, rspCode, new byte[0]);
        }

        @Override
        public byte[] sense() {
            return sense.clone();
        }

        public byte[] encode() {
            int rspLen = rspCode >= 0 ? 8 : 0;
            byte[] b = new byte[RSP_LENGTH + rspLen + sense.length];
            Bytes.put16(b, 8, (statusQualifier & 0x3) << 14 | retryDelay & 0x3FFF);
            int flags = (residualUnder ? RESID_UNDER : 0) | (residualOver ? RESID_OVER : 0)
                    | (sense.length > 0 ? SNS_LEN_VAL : 0) | (rspLen > 0 ? RSP_LEN_VAL : 0);
            Bytes.put8(b, 10, flags);
            Bytes.put8(b, 11, scsiStatus);
            Bytes.put32(b, 12, residualUnder || residualOver ? residual : 0);
            Bytes.put32(b, 16, sense.length);
            Bytes.put32(b, 20, rspLen);
            if (rspLen > 0) {
                Bytes.put8(b, RSP_LENGTH + 3, rspCode);
            }
            System.arraycopy(sense, 0, b, RSP_LENGTH + rspLen, sense.length);
            return b;
        }

        public static Rsp decode(byte[] p) throws FrameFormatException {
            need(p, RSP_LENGTH, "FCP_RSP");
            int flags = Bytes.u8(p, 10);
            require((flags & (RESID_UNDER | RESID_OVER)) != (RESID_UNDER | RESID_OVER), BAD_FIELD,
                    "FCP_RSP residual both under and over");
            require((flags & BIDI_RSP) == 0, BAD_FIELD, "bidirectional FCP_RSP not supported");
            int snsLen = (flags & SNS_LEN_VAL) != 0 ? Bytes.i32(p, 16) : 0;
            int rspLen = (flags & RSP_LEN_VAL) != 0 ? Bytes.i32(p, 20) : 0;
            if (!(rspLen == 0 || rspLen == 4 || rspLen == 8)) {
                throw new FrameFormatException(BAD_LENGTH, "FCP_RSP_LEN " + rspLen);
            }
            if (!(snsLen >= 0 && snsLen <= FrameHeaderDescriptor.MAX_PAYLOAD)) {
                throw new FrameFormatException(BAD_LENGTH, "FCP_SNS_LEN " + snsLen);
            }
            if (!(p.length == RSP_LENGTH + rspLen + snsLen)) {
                throw new FrameFormatException(BAD_LENGTH, "FCP_RSP " + p.length + " bytes, lengths say " + (RSP_LENGTH + rspLen + snsLen));
            }
            int sqrd = Bytes.u16(p, 8);
            boolean under = (flags & RESID_UNDER) != 0;
            boolean over = (flags & RESID_OVER) != 0;
            return new Rsp(sqrd >>> 14, sqrd & 0x3FFF, Bytes.u8(p, 11), under, over,
                    under || over ? Bytes.i32(p, 12) : 0, rspLen > 0 ? Bytes.u8(p, RSP_LENGTH + 3) : -1,
                    Arrays.copyOfRange(p, RSP_LENGTH + rspLen, p.length));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Rsp r && statusQualifier == r.statusQualifier && retryDelay == r.retryDelay
                    && scsiStatus == r.scsiStatus && residualUnder == r.residualUnder && residualOver == r.residualOver
                    && residual == r.residual && rspCode == r.rspCode && Arrays.equals(sense, r.sense);
        }

        @Override
        public int hashCode() {
            return scsiStatus * 31 + residual * 7 + Arrays.hashCode(sense);
        }

        @Override
        public String toString() {
            return "Rsp[status=%02x under=%b over=%b resid=%d rspCode=%d sense=%d bytes]".formatted(scsiStatus,
                    residualUnder, residualOver, residual, rspCode, sense.length);
        }
    }
}
