package io.evasan.fabric.frame;

/**
 * ELS command codes, LS_RJT codes and the layouts of the small ELS payloads (FC-LS-3; Linux
 * {@code include/uapi/scsi/fc/fc_els.h}). All fields big-endian; byte 0 of every ELS payload is the
 * command code. The login payloads are in {@link LoginDescriptor}, PRLI/PRLO in {@link
 * PrliDescriptor}.
 *
 * <pre>
 * LS_ACC (plain, 4 bytes; fc_els.h struct fc_els_ls_acc)
 *    +---------------+---------------+---------------+---------------+
 *   0| 0x02          | reserved, zero                                |
 *    +---------------+---------------+---------------+---------------+
 *
 * LS_RJT (8 bytes; struct fc_els_ls_rjt)
 *    +---------------+---------------+---------------+---------------+
 *   0| 0x01          | reserved, zero                                |
 *    +---------------+---------------+---------------+---------------+
 *   4| reserved      | reason code   | explanation   | vendor unique |
 *    +---------------+---------------+---------------+---------------+
 *
 * LOGO (16 bytes; struct fc_els_logo)
 *    +---------------+---------------+---------------+---------------+
 *   0| 0x05          | reserved, zero                                |
 *    +---------------+---------------+---------------+---------------+
 *   4| reserved      | N_Port ID of the port logging out             |
 *    +---------------+---------------+---------------+---------------+
 *   8| N_Port name (WWPN), 8 bytes                                   |
 *    +                                                               +
 *    +---------------+---------------+---------------+---------------+
 *
 * SCR (8 bytes; struct fc_els_scr)
 *    +---------------+---------------+---------------+---------------+
 *   0| 0x62          | reserved, zero                                |
 *    +---------------+---------------+---------------+---------------+
 *   4| reserved, zero                                | function      |
 *    +---------------+---------------+---------------+---------------+
 *
 * RSCN (4 + 4n bytes; struct fc_els_rscn, struct fc_els_rscn_page)
 *    +---------------+---------------+---------------+---------------+
 *   0| 0x61          | page len = 4  | payload length = 4 + 4n       |
 *    +---------------+---------------+---------------+---------------+
 * 4*i|0 0|qual(4)|fmt| affected N_Port ID / area / domain             |
 *    +---------------+---------------+---------------+---------------+
 *
 * ADISC and its LS_ACC (28 bytes; struct fc_els_adisc)
 *    +---------------+---------------+---------------+---------------+
 *   0| 0x52 / 0x02   | reserved, zero                                |
 *    +---------------+---------------+---------------+---------------+
 *   4| reserved      | hard address of originator                    |
 *    +---------------+---------------+---------------+---------------+
 *   8| port name (WWPN), 8 bytes                                     |
 *  16| node name (WWNN), 8 bytes                                     |
 *    +---------------+---------------+---------------+---------------+
 *  24| reserved      | N_Port ID                                     |
 *    +---------------+---------------+---------------+---------------+
 * </pre>
 */
public final class ElsDescriptor {
    // ---- command codes (fc_els.h enum fc_els_cmd)
    public static final int LS_RJT = 0x01;
    public static final int LS_ACC = 0x02;
    public static final int PLOGI = 0x03;
    public static final int FLOGI = 0x04;
    public static final int LOGO = 0x05;
    public static final int PRLI = 0x20;
    public static final int PRLO = 0x21;
    public static final int FDISC = 0x51;
    public static final int ADISC = 0x52;
    public static final int RSCN = 0x61;
    public static final int SCR = 0x62;

    // ---- LS_RJT reason codes (fc_els.h enum fc_els_rjt_reason)
    public static final int RJT_INVAL = 0x01;
    public static final int RJT_LOGIC = 0x03;
    public static final int RJT_BUSY = 0x05;
    public static final int RJT_PROT = 0x07;
    public static final int RJT_UNAB = 0x09;
    public static final int RJT_UNSUP = 0x0B;
    public static final int RJT_INPROG = 0x0E;

    // ---- LS_RJT explanations (fc_els.h enum fc_els_rjt_explan)
    public static final int EXPL_NONE = 0x00;
    public static final int EXPL_SPP_OPT_ERR = 0x01;
    public static final int EXPL_SPP_ICTL_ERR = 0x03;
    public static final int EXPL_SID = 0x15;
    public static final int EXPL_OXID_RXID = 0x17;
    public static final int EXPL_INPROG = 0x19;
    public static final int EXPL_PLOGI_REQD = 0x1E;
    public static final int EXPL_INSUF_RES = 0x29;
    public static final int EXPL_UNAB_DATA = 0x2A;
    public static final int EXPL_UNSUPR = 0x2C;
    public static final int EXPL_INV_LEN = 0x2D;

    // ---- SCR functions (fc_els.h enum fc_els_scr_func)
    public static final int SCRF_FAB = 1;
    public static final int SCRF_NPORT = 2;
    public static final int SCRF_FULL = 3;
    public static final int SCRF_CLEAR = 255;

    // ---- RSCN page (fc_els.h ELS_RSCN_*; enum fc_els_rscn_addr_fmt, fc_els_rscn_ev_qual)
    public static final int RSCN_PAGE_LEN = 4;
    public static final int RSCN_EV_QUAL_SHIFT = 2;
    public static final int RSCN_EV_QUAL_MASK = 0xF;
    public static final int RSCN_ADDR_FMT_MASK = 0x3;
    public static final int ADDR_FMT_PORT = 0;
    public static final int ADDR_FMT_AREA = 1;
    public static final int ADDR_FMT_DOM = 2;
    public static final int ADDR_FMT_FAB = 3;
    public static final int EV_QUAL_NONE = 0;
    public static final int EV_QUAL_NS_OBJ = 1;
    public static final int EV_QUAL_PORT_ATTR = 2;
    public static final int EV_QUAL_SW_CONFIG = 4;

    // ---- lengths and offsets
    public static final int LS_ACC_LENGTH = 4;
    public static final int LS_RJT_LENGTH = 8;
    public static final int LS_RJT_REASON_OFFSET = 5;
    public static final int LS_RJT_EXPLANATION_OFFSET = 6;
    public static final int LS_RJT_VENDOR_OFFSET = 7;
    public static final int LOGO_LENGTH = 16;
    public static final int LOGO_PORT_ID_OFFSET = 5;
    public static final int LOGO_WWPN_OFFSET = 8;
    public static final int SCR_LENGTH = 8;
    public static final int SCR_FUNCTION_OFFSET = 7;
    public static final int RSCN_HEADER_LENGTH = 4;
    public static final int ADISC_LENGTH = 28;
    public static final int ADISC_HARD_ADDR_OFFSET = 5;
    public static final int ADISC_WWPN_OFFSET = 8;
    public static final int ADISC_WWNN_OFFSET = 16;
    public static final int ADISC_PORT_ID_OFFSET = 25;

    private ElsDescriptor() {
    }

    /** Human name of an ELS command code, for messages. */
    public static String name(int code) {
        return switch (code) {
            case LS_RJT -> "LS_RJT";
            case LS_ACC -> "LS_ACC";
            case PLOGI -> "PLOGI";
            case FLOGI -> "FLOGI";
            case LOGO -> "LOGO";
            case PRLI -> "PRLI";
            case PRLO -> "PRLO";
            case FDISC -> "FDISC";
            case ADISC -> "ADISC";
            case RSCN -> "RSCN";
            case SCR -> "SCR";
            default -> "ELS 0x%02x".formatted(code);
        };
    }
}
