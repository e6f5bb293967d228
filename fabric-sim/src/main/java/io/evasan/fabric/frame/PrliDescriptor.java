package io.evasan.fabric.frame;

/**
 * Layout of PRLI and PRLO requests and their LS_ACC (FC-LS-3 clauses 4.2.29/4.2.30, FCP-4 clause
 * 6.3; Linux {@code include/uapi/scsi/fc/fc_els.h} {@code struct fc_els_prli}, {@code struct
 * fc_els_spp}; FCP bits from {@code include/scsi/fc/fc_fcp.h} {@code FCP_SPPF_*}). All fields
 * big-endian. Invariant: page length is 16 and payload length is 4 + 16 * pages.
 *
 * <pre>
 * Byte/     0       |       1       |       2       |       3       |
 *    +---------------+---------------+---------------+---------------+
 *   0| command       | page len = 16 | payload length = 4 + 16n      |  0x20 PRLI, 0x21 PRLO, 0x02 LS_ACC
 *    +---------------+---------------+---------------+---------------+
 *   4| TYPE (0x08)   | type extension| flags         | reserved      |  service parameter page 1
 *    +---------------+---------------+---------------+---------------+
 *   8| originator process associator                                 |
 *    +---------------+---------------+---------------+---------------+
 *  12| responder process associator                                  |
 *    +---------------+---------------+---------------+---------------+
 *  16| service parameters (FCP: FCP_SPPF_* bits)                     |
 *    +---------------+---------------+---------------+---------------+
 *    | pages 2..n, 16 bytes each                                     |
 * flags: 0x80 orig. PA valid, 0x40 resp. PA valid, 0x20 establish image pair, low 4 bits: accept
 *        response code (LS_ACC only)
 * </pre>
 */
public final class PrliDescriptor {
    public static final int HEADER_LENGTH = 4;
    public static final int PAGE_LENGTH = 16;
    public static final int PAGE_LENGTH_OFFSET = 1;
    public static final int PAYLOAD_LENGTH_OFFSET = 2;

    // ---- page flags (fc_els.h FC_SPP_*)
    public static final int SPP_OPA_VAL = 0x80;
    public static final int SPP_RPA_VAL = 0x40;
    public static final int SPP_EST_IMG_PAIR = 0x20;
    public static final int SPP_RESP_MASK = 0x0F;

    // ---- accept response codes (fc_els.h enum fc_els_spp_resp)
    public static final int SPP_RESP_ACK = 1;
    public static final int SPP_RESP_RES = 2;
    public static final int SPP_RESP_INIT = 3;
    public static final int SPP_RESP_NO_PA = 4;
    public static final int SPP_RESP_CONF = 5;
    public static final int SPP_RESP_COND = 6;
    public static final int SPP_RESP_MULT = 7;
    public static final int SPP_RESP_INVL = 8;

    // ---- FCP service parameters (fc_fcp.h FCP_SPPF_*)
    public static final int FCP_SPPF_TASK_RETRY_ID = 0x0200;
    public static final int FCP_SPPF_RETRY = 0x0100;
    public static final int FCP_SPPF_CONF_COMPL = 0x0080;
    public static final int FCP_SPPF_OVLY_ALLOW = 0x0040;
    public static final int FCP_SPPF_INIT_FCN = 0x0020;
    public static final int FCP_SPPF_TARG_FCN = 0x0010;
    public static final int FCP_SPPF_RD_XRDY_DIS = 0x0002;
    public static final int FCP_SPPF_WR_XRDY_DIS = 0x0001;

    private PrliDescriptor() {
    }
}
