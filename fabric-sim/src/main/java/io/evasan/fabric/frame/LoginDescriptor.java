package io.evasan.fabric.frame;

/**
 * Layout of the FLOGI, FDISC and PLOGI payloads and their LS_ACC: 116 bytes of common and class
 * service parameters (FC-LS-3 clause 6.6; Linux {@code include/uapi/scsi/fc/fc_els.h} {@code struct
 * fc_els_flogi}, {@code struct fc_els_csp}, {@code struct fc_els_cssp}). All fields big-endian. Only
 * class 3 is used; classes 1, 2 and 4 and the vendor version are written as zero and ignored on
 * decode.
 *
 * <pre>
 * Byte/     0       |       1       |       2       |       3       |
 *    +---------------+---------------+---------------+---------------+
 *   0| command       | reserved, zero                                |  0x03 PLOGI, 0x04 FLOGI, 0x51 FDISC, 0x02 LS_ACC
 *    +---------------+---------------+---------------+---------------+
 *   4| FC-PH high ver| FC-PH low ver | buffer-to-buffer credit       |  common service parameters (16 bytes)
 *    +---------------+---------------+---------------+---------------+
 *   8| common features (FC_SP_FT_*)  | b-b receive data field size   |
 *    +---------------+---------------+---------------+---------------+
 *  12| R_A_TOV (FLOGI LS_ACC) or total concurrent seqs | rel. offset |
 *    +---------------+---------------+---------------+---------------+
 *  16| E_D_TOV                                                       |
 *    +---------------+---------------+---------------+---------------+
 *  20| port name (WWPN), 8 bytes                                     |
 *    +                                                               +
 *  28| node name (WWNN), 8 bytes                                     |
 *    +                                                               +
 *  36| class 1 service parameters (16 bytes), zero                   |
 *  52| class 2 service parameters (16 bytes), zero                   |
 *    +---------------+---------------+---------------+---------------+
 *  68| class options (FC_CPC_*)      | initiator control             |  class 3 service parameters
 *    +---------------+---------------+---------------+---------------+
 *  72| recipient control             | receive data field size       |
 *    +---------------+---------------+---------------+---------------+
 *  76| concurrent sequences          | end-to-end credit             |
 *    +---------------+---------------+---------------+---------------+
 *  80| reserved      | open seqs/exch| reserved                      |
 *    +---------------+---------------+---------------+---------------+
 *  84| class 4 service parameters (16 bytes), zero                   |
 * 100| vendor version level (16 bytes), zero                         |
 *    +---------------+---------------+---------------+---------------+
 * </pre>
 */
public final class LoginDescriptor {
    public static final int LENGTH = 116;

    public static final int VERSION_OFFSET = 4;
    public static final int BB_CREDIT_OFFSET = 6;
    public static final int FEATURES_OFFSET = 8;
    public static final int BB_RCV_SIZE_OFFSET = 10;
    public static final int WORD2_OFFSET = 12;
    public static final int E_D_TOV_OFFSET = 16;
    public static final int WWPN_OFFSET = 20;
    public static final int WWNN_OFFSET = 28;
    public static final int CLASS3_OFFSET = 68;
    public static final int CLASS3_RCV_SIZE_OFFSET = 74;
    public static final int CLASS3_CONCURRENT_SEQ_OFFSET = 76;
    public static final int CLASS3_OPEN_SEQ_OFFSET = 81;

    /** FC-PH version 0x20 in both bytes, as Linux libfc sends ({@code fc_lport_flogi_fill}). */
    public static final int VERSION_FC_PH_0x20 = 0x2020;

    // ---- common features (fc_els.h FC_SP_FT_*)
    /** Continuously increasing relative offset, PLOGI ({@code FC_SP_FT_CIRO}). */
    public static final int FT_CIRO = 0x8000;
    /** Sender is an F_Port ({@code FC_SP_FT_FPORT}); set in the fabric's FLOGI LS_ACC. */
    public static final int FT_FPORT = 0x1000;
    /** Low 12 bits of the receive data field size ({@code FC_SP_BB_DATA_MASK}). */
    public static final int BB_DATA_MASK = 0xFFF;

    // ---- class options (fc_els.h FC_CPC_*)
    public static final int CPC_VALID = 0x8000;
    public static final int CPC_SEQ = 0x0800;

    private LoginDescriptor() {
    }
}
