package io.evasan.fabric.frame;

import static io.evasan.fabric.frame.FrameFormatException.Problem.BAD_DF_CTL;
import static io.evasan.fabric.frame.FrameFormatException.Problem.BAD_R_CTL;
import static io.evasan.fabric.frame.FrameFormatException.Problem.BAD_TYPE;

/**
 * Layout of the 24-byte Fibre Channel frame header (FC-FS-4 clause 9; Linux
 * {@code include/uapi/scsi/fc/fc_fs.h} {@code struct fc_frame_header}). All fields big-endian.
 *
 * <pre>
 * Byte/     0       |       1       |       2       |       3       |
 *    +---------------+---------------+---------------+---------------+
 *   0| R_CTL         | D_ID (destination N_Port ID, 24 bits)         |
 *    +---------------+---------------+---------------+---------------+
 *   4| CS_CTL        | S_ID (source N_Port ID, 24 bits)              |
 *    +---------------+---------------+---------------+---------------+
 *   8| TYPE          | F_CTL (24 bits)                               |
 *    +---------------+---------------+---------------+---------------+
 *  12| SEQ_ID        | DF_CTL        | SEQ_CNT                       |
 *    +---------------+---------------+---------------+---------------+
 *  16| OX_ID                         | RX_ID                         |
 *    +---------------+---------------+---------------+---------------+
 *  20| Parameter (relative offset for FCP_DATA; bit 0 = ABTS abort    |
 *    | sequence/exchange)                                            |
 *    +---------------+---------------+---------------+---------------+
 * </pre>
 *
 * <p>Invariant: {@link #check(int, int, int)} accepts exactly the R_CTL/TYPE pairs this fabric
 * carries (ELS, BLS, CT, FCP) with DF_CTL 0 (no optional headers); everything else is a
 * {@link FrameFormatException} with the precise {@link FrameFormatException.Problem}.
 */
public final class FrameHeaderDescriptor {
    public static final int LENGTH = 24;

    public static final int R_CTL_OFFSET = 0;
    public static final int D_ID_OFFSET = 1;
    public static final int CS_CTL_OFFSET = 4;
    public static final int S_ID_OFFSET = 5;
    public static final int TYPE_OFFSET = 8;
    public static final int F_CTL_OFFSET = 9;
    public static final int SEQ_ID_OFFSET = 12;
    public static final int DF_CTL_OFFSET = 13;
    public static final int SEQ_CNT_OFFSET = 14;
    public static final int OX_ID_OFFSET = 16;
    public static final int RX_ID_OFFSET = 18;
    public static final int PARAMETER_OFFSET = 20;

    /** Largest frame payload (fc_fs.h {@code FC_MAX_PAYLOAD}). */
    public static final int MAX_PAYLOAD = 2112;

    // ---- R_CTL (fc_fs.h enum fc_rctl)
    /** Solicited data: FCP_DATA ({@code FC_RCTL_DD_SOL_DATA}). */
    public static final int R_CTL_DD_SOL_DATA = 0x01;
    /** Unsolicited control: CT requests ({@code FC_RCTL_DD_UNSOL_CTL}). */
    public static final int R_CTL_DD_UNSOL_CTL = 0x02;
    /** Solicited control: CT responses ({@code FC_RCTL_DD_SOL_CTL}). */
    public static final int R_CTL_DD_SOL_CTL = 0x03;
    /** Data descriptor: FCP_XFER_RDY ({@code FC_RCTL_DD_DATA_DESC}). */
    public static final int R_CTL_DD_DATA_DESC = 0x05;
    /** Unsolicited command: FCP_CMND ({@code FC_RCTL_DD_UNSOL_CMD}). */
    public static final int R_CTL_DD_UNSOL_CMD = 0x06;
    /** Command status: FCP_RSP ({@code FC_RCTL_DD_CMD_STATUS}). */
    public static final int R_CTL_DD_CMD_STATUS = 0x07;
    /** ELS request ({@code FC_RCTL_ELS_REQ}). */
    public static final int R_CTL_ELS_REQ = 0x22;
    /** ELS reply ({@code FC_RCTL_ELS_REP}). */
    public static final int R_CTL_ELS_REP = 0x23;
    /** BLS ABTS ({@code FC_RCTL_BA_ABTS}). */
    public static final int R_CTL_BA_ABTS = 0x81;
    /** BLS BA_ACC ({@code FC_RCTL_BA_ACC}). */
    public static final int R_CTL_BA_ACC = 0x84;
    /** BLS BA_RJT ({@code FC_RCTL_BA_RJT}). */
    public static final int R_CTL_BA_RJT = 0x85;

    // ---- TYPE (fc_fs.h enum fc_fh_type)
    public static final int TYPE_BLS = 0x00;
    public static final int TYPE_ELS = 0x01;
    public static final int TYPE_FCP = 0x08;
    public static final int TYPE_CT = 0x20;

    // ---- F_CTL bits (fc_fs.h FC_FC_*)
    /** Exchange context: set by the exchange responder ({@code FC_FC_EX_CTX}). */
    public static final int F_CTL_EX_CTX = 1 << 23;
    /** Sequence context: set by the sequence recipient ({@code FC_FC_SEQ_CTX}). */
    public static final int F_CTL_SEQ_CTX = 1 << 22;
    public static final int F_CTL_FIRST_SEQ = 1 << 21;
    public static final int F_CTL_LAST_SEQ = 1 << 20;
    public static final int F_CTL_END_SEQ = 1 << 19;
    public static final int F_CTL_END_CONN = 1 << 18;
    /** Sequence initiative transferred ({@code FC_FC_SEQ_INIT}). */
    public static final int F_CTL_SEQ_INIT = 1 << 16;
    /** Parameter field is a relative offset ({@code FC_FC_REL_OFF}). */
    public static final int F_CTL_REL_OFF = 1 << 3;
    /** Fill bytes at the end of the payload, 0..3 ({@code FC_FC_FILL(i)}). */
    public static final int F_CTL_FILL_MASK = 0x3;
    /** F_CTL of a one-frame request ({@code FC_FCTL_REQ}, Linux include/scsi/fc_encode.h). */
    public static final int F_CTL_REQ = F_CTL_FIRST_SEQ | F_CTL_END_SEQ | F_CTL_SEQ_INIT;
    /** F_CTL of a one-frame reply that ends the exchange ({@code FC_FCTL_RESP}, include/scsi/fc_encode.h). */
    public static final int F_CTL_RESP = F_CTL_EX_CTX | F_CTL_LAST_SEQ | F_CTL_END_SEQ | F_CTL_SEQ_INIT;

    // ---- well-known addresses (fc_fs.h enum fc_well_known_fid)
    public static final int FID_BCAST = 0xFFFFFF;
    /** The fabric F_Port login server ({@code FC_FID_FLOGI}). */
    public static final int FID_FLOGI = 0xFFFFFE;
    /** The fabric controller ({@code FC_FID_FCTRL}). */
    public static final int FID_FCTRL = 0xFFFFFD;
    /** The directory (name) server ({@code FC_FID_DIR_SERV}). */
    public static final int FID_DIR_SERV = 0xFFFFFC;

    /** OX_ID/RX_ID "unassigned" ({@code FC_XID_UNKNOWN}). */
    public static final int XID_UNKNOWN = 0xFFFF;

    private FrameHeaderDescriptor() {
    }

    /**
     * Validates R_CTL against TYPE and DF_CTL.
     *
     * @throws FrameFormatException BAD_R_CTL for an R_CTL this fabric does not carry, BAD_TYPE for
     *     a TYPE that does not go with the R_CTL, BAD_DF_CTL for optional headers
     */
    public static void check(int rCtl, int type, int dfCtl) throws FrameFormatException {
        int expected = switch (rCtl) {
            case R_CTL_ELS_REQ, R_CTL_ELS_REP -> TYPE_ELS;
            case R_CTL_BA_ABTS, R_CTL_BA_ACC, R_CTL_BA_RJT -> TYPE_BLS;
            case R_CTL_DD_UNSOL_CTL, R_CTL_DD_SOL_CTL -> TYPE_CT;
            case R_CTL_DD_SOL_DATA, R_CTL_DD_DATA_DESC, R_CTL_DD_UNSOL_CMD, R_CTL_DD_CMD_STATUS -> TYPE_FCP;
            default -> throw new FrameFormatException(BAD_R_CTL, "R_CTL 0x%02x".formatted(rCtl));
        };
        if (type != expected) {
            throw new FrameFormatException(BAD_TYPE, "TYPE 0x%02x with R_CTL 0x%02x (expected 0x%02x)".formatted(type, rCtl, expected));
        }
        if (dfCtl != 0) {
            throw new FrameFormatException(BAD_DF_CTL, "DF_CTL 0x%02x".formatted(dfCtl));
        }
    }
}
