package io.evasan.fabric.frame;

import io.evasan.fabric.frame.FcpDescriptor.Cmnd;
import io.evasan.fabric.frame.FcpDescriptor.Rsp;
import io.evasan.fabric.frame.FcpDescriptor.XferRdy;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.*;

class FcpDescriptorTest {
    static final HexFormat HEX = HexFormat.of();
    /** LUN 1 in SAM single-level format, as Linux int_to_scsilun(1) writes it. */
    static final long LUN_1 = 0x0001000000000000L;

    /**
     * READ(10) of 8 blocks at LBA 0x12345678, FCP_DL 4096: CRN 0, FCP_PTA_SIMPLE 0, no TM flags,
     * fc_flags FCP_CFL_RDDATA 02h, CDB padded to 16 bytes.
     */
    static final String GOLDEN_READ10 = "0001000000000000" + "00000002" + "28001234567800000800" + "000000000000"
            + "00001000";
    /** LUN RESET: FCP_TMF_LUN_RESET 10h, zero CDB, FCP_DL 0. */
    static final String GOLDEN_LUN_RESET = "0001000000000000" + "00001000" + "00".repeat(16) + "00000000";
    /** XFER_RDY: relative offset 0x1000, burst 0x2000. */
    static final String GOLDEN_XFER_RDY = "00001000" + "00002000" + "00000000";
    /**
     * CHECK CONDITION (02h) with 18 bytes of sense, residual under 512: flags FCP_RESID_UNDER 08h |
     * FCP_SNS_LEN_VAL 02h = 0Ah; FCP_RESID 200h, FCP_SNS_LEN 12h, FCP_RSP_LEN 0.
     */
    static final String GOLDEN_RSP_SENSE = "0000000000000000" + "00000a02" + "00000200" + "00000012" + "00000000"
            + "700005000000000a00000000240000000000";
    /** TMF answer: FCP_RSP_LEN_VAL 01h, FCP_RSP_LEN 8, RSP_CODE FCP_TMF_CMPL 0... here FCP_TMF_REJECTED 04h. */
    static final String GOLDEN_RSP_TMF = "0000000000000000" + "00000100" + "00000000" + "00000000" + "00000008"
            + "00000004" + "00000000";

    static byte[] sense() {
        byte[] s = new byte[18];
        s[0] = 0x70;
        s[2] = 0x05;
        s[7] = 0x0a;
        s[12] = 0x24;
        return s;
    }

    @Test
    void shouldEncodeEveryIuAsTheGoldenBytes() {
        byte[] read10 = HEX.parseHex("28001234567800000800");
        assertEquals(GOLDEN_READ10, HEX.formatHex(Cmnd.scsi(LUN_1, read10, true, false, 4096).encode()));
        assertEquals(GOLDEN_LUN_RESET, HEX.formatHex(Cmnd.taskManagement(LUN_1, FcpDescriptor.TMF_LUN_RESET).encode()));
        assertEquals(GOLDEN_XFER_RDY, HEX.formatHex(new XferRdy(0x1000, 0x2000).encode()));
        assertEquals(GOLDEN_RSP_SENSE, HEX.formatHex(Rsp.status(0x02, 4096, 3584, sense()).encode()));
        assertEquals(GOLDEN_RSP_TMF, HEX.formatHex(Rsp.taskManagement(FcpDescriptor.RSP_TMF_REJECTED).encode()));
        assertEquals(FcpDescriptor.CMND_LENGTH, GOLDEN_READ10.length() / 2);
    }

    @Test
    void shouldBuildFcpDataWithTheRelativeOffsetInTheParameterField() throws Exception {
        // R_CTL 01h (FC_RCTL_DD_SOL_DATA), TYPE 08h, F_CTL 800008h (FC_FC_EX_CTX | FC_FC_REL_OFF), offset 2000h
        Frame f = FcpDescriptor.data(0x010200, 0x010100, 0x0042, 0x0007, 1, 3, true, 0x2000, new byte[] {9, 8, 7});
        assertEquals("01010100" + "00010200" + "08800008" + "01000003" + "00420007" + "00002000" + "090807",
                HEX.formatHex(f.encode()));
        assertEquals(f, Frame.decode(f.encode()));
    }

    @Test
    void shouldRoundTripCommandsWithAdditionalCdbAndResponsesWithResiduals() throws Exception {
        byte[] cdb32 = new byte[32];
        Arrays.fill(cdb32, (byte) 0x7F);
        Cmnd big = new Cmnd(LUN_1, 3, 2, FcpDescriptor.PTA_ORDERED, 0, true, true, cdb32, 65536);
        byte[] b = big.encode();
        assertEquals(48, b.length);
        assertEquals(4 << 2 | 3, b[11], "additional CDB length 4 words, RDDATA|WRDATA");
        assertEquals(big, Cmnd.decode(b));
        Rsp over = Rsp.status(0, 512, 1024, new byte[0]);
        assertTrue(over.residualOver());
        assertEquals(over, Rsp.decode(over.encode()));
        Rsp good = Rsp.status(0, 512, 512, new byte[0]);
        assertEquals("0000000000000000" + "00000000" + "00000000" + "00000000" + "00000000", HEX.formatHex(good.encode()));
        assertEquals(good, Rsp.decode(good.encode()));
        Rsp tmf = Rsp.taskManagement(FcpDescriptor.RSP_TMF_CMPL);
        assertEquals(tmf, Rsp.decode(tmf.encode()));
        Rsp retry = new Rsp(1, 100, 0x08, false, false, 0, -1, new byte[0]);
        assertEquals("40640008", HEX.formatHex(retry.encode(), 8, 12), "status qualifier 1, retry delay 100, BUSY");
        assertEquals(retry, Rsp.decode(retry.encode()));
        assertEquals(new XferRdy(7, 9), XferRdy.decode(new XferRdy(7, 9).encode()));
    }

    @Test
    void shouldRejectMalformedIusWithAPreciseProblem() {
        byte[] cmnd = HEX.parseHex(GOLDEN_READ10);
        for (int n = 0; n < cmnd.length; n++) {
            byte[] cut = Arrays.copyOf(cmnd, n);
            assertEquals(FrameFormatException.Problem.TRUNCATED,
                    assertThrows(FrameFormatException.class, () -> Cmnd.decode(cut)).problem());
        }
        byte[] addLen = cmnd.clone();
        addLen[11] |= 1 << 2;
        assertEquals(FrameFormatException.Problem.BAD_LENGTH,
                assertThrows(FrameFormatException.class, () -> Cmnd.decode(addLen)).problem());
        byte[] attr = cmnd.clone();
        attr[9] = 3;
        assertEquals(FrameFormatException.Problem.BAD_FIELD,
                assertThrows(FrameFormatException.class, () -> Cmnd.decode(attr)).problem());
        byte[] twoTmf = cmnd.clone();
        twoTmf[10] = FcpDescriptor.TMF_LUN_RESET | FcpDescriptor.TMF_ABT_TASK_SET;
        assertEquals(FrameFormatException.Problem.BAD_FIELD,
                assertThrows(FrameFormatException.class, () -> Cmnd.decode(twoTmf)).problem());
        byte[] rsp = HEX.parseHex(GOLDEN_RSP_SENSE);
        byte[] both = rsp.clone();
        both[10] |= FcpDescriptor.RESID_OVER;
        assertEquals(FrameFormatException.Problem.BAD_FIELD,
                assertThrows(FrameFormatException.class, () -> Rsp.decode(both)).problem());
        byte[] shortSense = Arrays.copyOf(rsp, rsp.length - 1);
        assertEquals(FrameFormatException.Problem.BAD_LENGTH,
                assertThrows(FrameFormatException.class, () -> Rsp.decode(shortSense)).problem());
        byte[] badRspLen = HEX.parseHex(GOLDEN_RSP_TMF);
        badRspLen[23] = 5;
        assertEquals(FrameFormatException.Problem.BAD_LENGTH,
                assertThrows(FrameFormatException.class, () -> Rsp.decode(badRspLen)).problem());
        byte[] hugeSense = HEX.parseHex(GOLDEN_RSP_SENSE);
        hugeSense[16] = (byte) 0x80;
        assertEquals(FrameFormatException.Problem.BAD_LENGTH,
                assertThrows(FrameFormatException.class, () -> Rsp.decode(hugeSense)).problem());
        assertEquals(FrameFormatException.Problem.BAD_LENGTH,
                assertThrows(FrameFormatException.class, () -> XferRdy.decode(new byte[16])).problem());
    }
}
