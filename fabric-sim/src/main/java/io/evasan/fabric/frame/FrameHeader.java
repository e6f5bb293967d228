package io.evasan.fabric.frame;

import static io.evasan.fabric.frame.FrameHeaderDescriptor.*;

/**
 * The 24-byte FC frame header as values (layout in {@link FrameHeaderDescriptor}). Invariant: every
 * component holds exactly the bits of its field (R_CTL, CS_CTL, TYPE, SEQ_ID, DF_CTL 8 bits; D_ID,
 * S_ID, F_CTL 24; SEQ_CNT, OX_ID, RX_ID 16; parameter 32), checked by the constructor.
 */
public record FrameHeader(int rCtl, int dId, int csCtl, int sId, int type, int fCtl, int seqId, int dfCtl,
                          int seqCnt, int oxId, int rxId, int parameter) {

    public FrameHeader {
        bits(rCtl, 8, "R_CTL");
        bits(dId, 24, "D_ID");
        bits(csCtl, 8, "CS_CTL");
        bits(sId, 24, "S_ID");
        bits(type, 8, "TYPE");
        bits(fCtl, 24, "F_CTL");
        bits(seqId, 8, "SEQ_ID");
        bits(dfCtl, 8, "DF_CTL");
        bits(seqCnt, 16, "SEQ_CNT");
        bits(oxId, 16, "OX_ID");
        bits(rxId, 16, "RX_ID");
    }

    private static void bits(int v, int n, String name) {
        if (v < 0 || v >>> n != 0) {
            throw new IllegalArgumentException(name + " 0x" + Integer.toHexString(v) + " wider than " + n + " bits");
        }
    }

    /** A one-frame request header (F_CTL {@code FC_FCTL_REQ}), RX_ID unassigned. */
    public static FrameHeader request(int rCtl, int type, int sId, int dId, int oxId) {
        return new FrameHeader(rCtl, dId, 0, sId, type, F_CTL_REQ, 0, 0, 0, oxId, XID_UNKNOWN, 0);
    }

    /** The header of the one-frame reply to {@code this}: S_ID/D_ID swapped, same exchange, F_CTL {@code FC_FCTL_RESP}. */
    public FrameHeader reply(int replyRCtl, int replyType) {
        return new FrameHeader(replyRCtl, sId, 0, dId, replyType, F_CTL_RESP, seqId, 0, 0, oxId, rxId, 0);
    }

    public FrameHeader withFill(int fill) {
        return new FrameHeader(rCtl, dId, csCtl, sId, type, (fCtl & ~F_CTL_FILL_MASK) | fill, seqId, dfCtl, seqCnt, oxId,
                rxId, parameter);
    }

    public FrameHeader withIds(int newSId, int newDId) {
        return new FrameHeader(rCtl, newDId, csCtl, newSId, type, fCtl, seqId, dfCtl, seqCnt, oxId, rxId, parameter);
    }

    public FrameHeader withParameter(int newParameter) {
        return new FrameHeader(rCtl, dId, csCtl, sId, type, fCtl, seqId, dfCtl, seqCnt, oxId, rxId, newParameter);
    }

    public void encode(byte[] b, int off) {
        Bytes.put8(b, off + R_CTL_OFFSET, rCtl);
        Bytes.put24(b, off + D_ID_OFFSET, dId);
        Bytes.put8(b, off + CS_CTL_OFFSET, csCtl);
        Bytes.put24(b, off + S_ID_OFFSET, sId);
        Bytes.put8(b, off + TYPE_OFFSET, type);
        Bytes.put24(b, off + F_CTL_OFFSET, fCtl);
        Bytes.put8(b, off + SEQ_ID_OFFSET, seqId);
        Bytes.put8(b, off + DF_CTL_OFFSET, dfCtl);
        Bytes.put16(b, off + SEQ_CNT_OFFSET, seqCnt);
        Bytes.put16(b, off + OX_ID_OFFSET, oxId);
        Bytes.put16(b, off + RX_ID_OFFSET, rxId);
        Bytes.put32(b, off + PARAMETER_OFFSET, parameter);
    }

    /**
     * Decodes and validates ({@link FrameHeaderDescriptor#check}) the header at {@code off}.
     *
     * @throws FrameFormatException TRUNCATED, BAD_R_CTL, BAD_TYPE or BAD_DF_CTL
     */
    public static FrameHeader decode(byte[] b, int off) throws FrameFormatException {
        if (b.length - off < LENGTH) {
            throw new FrameFormatException(FrameFormatException.Problem.TRUNCATED,
                    "frame header: " + Math.max(0, b.length - off) + " bytes, needs " + LENGTH);
        }
        FrameHeader h = new FrameHeader(Bytes.u8(b, off + R_CTL_OFFSET), Bytes.u24(b, off + D_ID_OFFSET),
                Bytes.u8(b, off + CS_CTL_OFFSET), Bytes.u24(b, off + S_ID_OFFSET), Bytes.u8(b, off + TYPE_OFFSET),
                Bytes.u24(b, off + F_CTL_OFFSET), Bytes.u8(b, off + SEQ_ID_OFFSET), Bytes.u8(b, off + DF_CTL_OFFSET),
                Bytes.u16(b, off + SEQ_CNT_OFFSET), Bytes.u16(b, off + OX_ID_OFFSET), Bytes.u16(b, off + RX_ID_OFFSET),
                Bytes.i32(b, off + PARAMETER_OFFSET));
        check(h.rCtl, h.type, h.dfCtl);
        return h;
    }

    @Override
    public String toString() {
        return "FrameHeader[r_ctl=%02x d_id=%06x s_id=%06x type=%02x f_ctl=%06x ox_id=%04x rx_id=%04x param=%08x]"
                .formatted(rCtl, dId, sId, type, fCtl, oxId, rxId, parameter);
    }
}
