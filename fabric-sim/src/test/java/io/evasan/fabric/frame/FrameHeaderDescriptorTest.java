package io.evasan.fabric.frame;

import org.junit.jupiter.api.Test;

import java.util.HexFormat;

import static io.evasan.fabric.frame.FrameHeaderDescriptor.*;
import static org.junit.jupiter.api.Assertions.*;

class FrameHeaderDescriptorTest {
    static final HexFormat HEX = HexFormat.of();

    /**
     * PLOGI request from N_Port 010200h to the directory server FFFFFCh, OX_ID 1234h: R_CTL 22h
     * (FC_RCTL_ELS_REQ), TYPE 01h (FC_TYPE_ELS), F_CTL 290000h (FC_FCTL_REQ = FC_FC_FIRST_SEQ 1&lt;&lt;21
     * | FC_FC_END_SEQ 1&lt;&lt;19 | FC_FC_SEQ_INIT 1&lt;&lt;16), RX_ID FFFFh (FC_XID_UNKNOWN).
     */
    static final String GOLDEN_REQUEST = "22fffffc" + "00010200" + "01290000" + "00000000" + "1234ffff" + "00000000";
    /** Its reply: IDs swapped, R_CTL 23h (FC_RCTL_ELS_REP), F_CTL 990000h (FC_FCTL_RESP adds FC_FC_EX_CTX 1&lt;&lt;23, FC_FC_LAST_SEQ 1&lt;&lt;20). */
    static final String GOLDEN_REPLY = "23010200" + "00fffffc" + "01990000" + "00000000" + "1234ffff" + "00000000";

    @Test
    void shouldEncodeARequestAndItsReplyAsTheGoldenBytes() throws Exception {
        FrameHeader req = FrameHeader.request(R_CTL_ELS_REQ, TYPE_ELS, 0x010200, FID_DIR_SERV, 0x1234);
        byte[] b = new byte[LENGTH];
        req.encode(b, 0);
        assertEquals(GOLDEN_REQUEST, HEX.formatHex(b));
        assertEquals(req, FrameHeader.decode(b, 0));
        req.reply(R_CTL_ELS_REP, TYPE_ELS).encode(b, 0);
        assertEquals(GOLDEN_REPLY, HEX.formatHex(b));
    }

    @Test
    void shouldPlaceEveryFieldAtItsOffset() throws Exception {
        FrameHeader h = new FrameHeader(0x06, 0xA1B2C3, 0x11, 0xD4E5F6, 0x08, 0x123456, 0x22, 0x00, 0x3344, 0x5566,
                0x7788, 0x99AABBCC);
        byte[] b = new byte[LENGTH];
        h.encode(b, 0);
        assertEquals("06a1b2c3" + "11d4e5f6" + "08123456" + "22003344" + "55667788" + "99aabbcc", HEX.formatHex(b));
        assertEquals(h, FrameHeader.decode(b, 0));
    }

    @Test
    void shouldRejectATruncatedHeaderAtEveryLength() {
        byte[] full = HEX.parseHex(GOLDEN_REQUEST);
        for (int n = 0; n < LENGTH; n++) {
            byte[] b = java.util.Arrays.copyOf(full, n);
            FrameFormatException e = assertThrows(FrameFormatException.class, () -> FrameHeader.decode(b, 0));
            assertEquals(FrameFormatException.Problem.TRUNCATED, e.problem(), "length " + n);
        }
    }

    @Test
    void shouldRejectEveryRCtlThisFabricDoesNotCarryAndEveryMismatchedType() {
        int accepted = 0;
        for (int r = 0; r < 256; r++) {
            for (int t = 0; t < 256; t++) {
                try {
                    check(r, t, 0);
                    accepted++;
                } catch (FrameFormatException e) {
                    assertTrue(e.problem() == FrameFormatException.Problem.BAD_R_CTL
                            || e.problem() == FrameFormatException.Problem.BAD_TYPE, e.getMessage());
                }
            }
        }
        assertEquals(11, accepted, "one TYPE for each of the 11 R_CTL values carried");
        assertEquals(FrameFormatException.Problem.BAD_R_CTL,
                assertThrows(FrameFormatException.class, () -> check(0x99, TYPE_ELS, 0)).problem());
        assertEquals(FrameFormatException.Problem.BAD_TYPE,
                assertThrows(FrameFormatException.class, () -> check(R_CTL_ELS_REQ, TYPE_FCP, 0)).problem());
        assertEquals(FrameFormatException.Problem.BAD_TYPE,
                assertThrows(FrameFormatException.class, () -> check(R_CTL_DD_UNSOL_CMD, TYPE_CT, 0)).problem());
        assertEquals(FrameFormatException.Problem.BAD_DF_CTL,
                assertThrows(FrameFormatException.class, () -> check(R_CTL_ELS_REQ, TYPE_ELS, 0x40)).problem());
    }

    @Test
    void shouldRefuseFieldsWiderThanTheirBits() {
        assertThrows(IllegalArgumentException.class, () -> FrameHeader.request(R_CTL_ELS_REQ, TYPE_ELS, 0x1000000, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> FrameHeader.request(R_CTL_ELS_REQ, TYPE_ELS, 1, 1, 0x10000));
    }
}
