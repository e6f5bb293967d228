package io.evasan.fabric.frame;

import static io.evasan.fabric.frame.FrameFormatException.Problem.BAD_LENGTH;
import static io.evasan.fabric.frame.FrameFormatException.need;
import static io.evasan.fabric.frame.FrameFormatException.require;

/**
 * Basic link services: ABTS, BA_ACC, BA_RJT (FC-FS-4 clause 15; Linux {@code
 * include/uapi/scsi/fc/fc_fs.h} {@code struct fc_ba_acc}, {@code struct fc_ba_rjt}, {@code enum
 * fc_ba_rjt_reason}, {@code enum fc_ba_rjt_explan}). The frame's R_CTL says which (0x81 ABTS, 0x84
 * BA_ACC, 0x85 BA_RJT, TYPE 0). ABTS has no payload; bit 0 of its parameter field set means "abort
 * sequence" rather than the whole exchange. All fields big-endian.
 *
 * <pre>
 * BA_ACC (12 bytes)
 *    +---------------+---------------+---------------+---------------+
 *   0| SEQ_ID valid  | SEQ_ID        | reserved, zero                |  valid = 0x80 (FC_BA_SEQ_ID_VAL)
 *    +---------------+---------------+---------------+---------------+
 *   4| OX_ID of the aborted exchange | RX_ID of the aborted exchange |
 *    +---------------+---------------+---------------+---------------+
 *   8| low SEQ_CNT                   | high SEQ_CNT                  |
 *    +---------------+---------------+---------------+---------------+
 *
 * BA_RJT (4 bytes)
 *    +---------------+---------------+---------------+---------------+
 *   0| reserved      | reason code   | explanation   | vendor unique |
 *    +---------------+---------------+---------------+---------------+
 * </pre>
 */
public final class BlsDescriptor {
    public static final int BA_ACC_LENGTH = 12;
    public static final int BA_RJT_LENGTH = 4;
    public static final int SEQ_ID_VAL = 0x80;

    // ---- BA_RJT reasons (fc_fs.h enum fc_ba_rjt_reason)
    public static final int RJT_INVL_CMD = 0x01;
    public static final int RJT_LOG_ERR = 0x03;
    public static final int RJT_LOG_BUSY = 0x05;
    public static final int RJT_PROTO_ERR = 0x07;
    public static final int RJT_UNABLE = 0x09;
    public static final int RJT_VENDOR = 0xFF;

    // ---- BA_RJT explanations (fc_fs.h enum fc_ba_rjt_explan)
    public static final int RJT_EXP_NONE = 0x00;
    public static final int RJT_EXP_INV_XID = 0x03;
    public static final int RJT_EXP_ABT = 0x05;

    private BlsDescriptor() {
    }

    /** BA_ACC payload. Invariant: SEQ_ID is meaningful only when {@code seqIdValid}. */
    public record BaAcc(boolean seqIdValid, int seqId, int oxId, int rxId, int lowSeqCnt, int highSeqCnt) {
        public byte[] encode() {
            byte[] b = new byte[BA_ACC_LENGTH];
            Bytes.put8(b, 0, seqIdValid ? SEQ_ID_VAL : 0);
            Bytes.put8(b, 1, seqId);
            Bytes.put16(b, 4, oxId);
            Bytes.put16(b, 6, rxId);
            Bytes.put16(b, 8, lowSeqCnt);
            Bytes.put16(b, 10, highSeqCnt);
            return b;
        }

        public static BaAcc decode(byte[] p) throws FrameFormatException {
            need(p, BA_ACC_LENGTH, "BA_ACC");
            if (!(p.length == BA_ACC_LENGTH)) {
                throw new FrameFormatException(BAD_LENGTH, "BA_ACC " + p.length + " bytes");
            }
            return new BaAcc((Bytes.u8(p, 0) & SEQ_ID_VAL) != 0, Bytes.u8(p, 1), Bytes.u16(p, 4), Bytes.u16(p, 6),
                    Bytes.u16(p, 8), Bytes.u16(p, 10));
        }
    }

    /** BA_RJT payload. */
    public record BaRjt(int reason, int explanation, int vendor) {
        public BaRjt(int reason, int explanation) {
            this(reason, explanation, 0);
        }

        public byte[] encode() {
            byte[] b = new byte[BA_RJT_LENGTH];
            Bytes.put8(b, 1, reason);
            Bytes.put8(b, 2, explanation);
            Bytes.put8(b, 3, vendor);
            return b;
        }

        public static BaRjt decode(byte[] p) throws FrameFormatException {
            need(p, BA_RJT_LENGTH, "BA_RJT");
            if (!(p.length == BA_RJT_LENGTH)) {
                throw new FrameFormatException(BAD_LENGTH, "BA_RJT " + p.length + " bytes");
            }
            return new BaRjt(Bytes.u8(p, 1), Bytes.u8(p, 2), Bytes.u8(p, 3));
        }
    }

    /** Checks that an ABTS carries no payload. */
    public static void checkAbts(byte[] p) throws FrameFormatException {
        if (!(p.length == 0)) {
            throw new FrameFormatException(BAD_LENGTH, "ABTS with " + p.length + " payload bytes");
        }
    }
}
