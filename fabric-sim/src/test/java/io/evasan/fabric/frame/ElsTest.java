package io.evasan.fabric.frame;

import io.evasan.fabric.frame.Els.*;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

import static io.evasan.fabric.frame.ElsDescriptor.*;
import static org.junit.jupiter.api.Assertions.*;

class ElsTest {
    static final HexFormat HEX = HexFormat.of();
    static final long WWPN = 0x10000000C9ABCDEFL;
    static final long WWNN = 0x20000000C9ABCDEFL;

    /**
     * FLOGI as Linux libfc fills it with mfs 2048: ELS_FLOGI 04h; FC-PH 20h/20h; BB credit 10;
     * features 0; rcv size 0800h; class 3 FC_CPC_VALID 8000h | FC_CPC_SEQ 0800h at byte 68.
     */
    static final String GOLDEN_FLOGI = "04000000" + "2020000a" + "00000800" + "00000000" + "00000000"
            + "10000000c9abcdef" + "20000000c9abcdef" + "00".repeat(32) + "88000000" + "00000000" + "00000000"
            + "00000000" + "00".repeat(32);
    /**
     * PLOGI (ELS_PLOGI 03h): features FC_SP_FT_CIRO 8000h, total concurrent seqs 255 / rel. offset 1Fh,
     * E_D_TOV 2000; class 3 rcv size 0800h, concurrent seqs 255, open seqs 1.
     */
    static final String GOLDEN_PLOGI = "03000000" + "2020000a" + "80000800" + "00ff001f" + "000007d0"
            + "10000000c9abcdef" + "20000000c9abcdef" + "00".repeat(32) + "88000000" + "00000800" + "00ff0000"
            + "00010000" + "00".repeat(32);
    /** PRLI (20h), page length 16, payload 20; TYPE FCP 08h, FC_SPP_EST_IMG_PAIR 20h; FCP_SPPF_INIT_FCN 20h | RD_XRDY_DIS 02h. */
    static final String GOLDEN_PRLI = "20100014" + "08002000" + "00000000" + "00000000" + "00000022";
    /** LOGO (05h) of N_Port 010200h. */
    static final String GOLDEN_LOGO = "05000000" + "00010200" + "10000000c9abcdef";
    /** SCR (62h) function 3 (ELS_SCRF_FULL). */
    static final String GOLDEN_SCR = "62000000" + "00000003";
    /** RSCN (61h), page length 4, payload 12: port 010200h (fmt 0), fabric (fmt 3) with qualifier 4 (SW_CONFIG: 4&lt;&lt;2|3 = 13h). */
    static final String GOLDEN_RSCN = "6104000c" + "00010200" + "13000000";
    /** ADISC (52h): hard address 0, WWPN, WWNN, N_Port ID 010200h. */
    static final String GOLDEN_ADISC = "52000000" + "00000000" + "10000000c9abcdef" + "20000000c9abcdef" + "00010200";
    /** LS_RJT (01h): reason ELS_RJT_UNAB 09h, explanation ELS_EXPL_PLOGI_REQD 1Eh. */
    static final String GOLDEN_LS_RJT = "01000000" + "00091e00";
    /** LS_ACC (02h). */
    static final String GOLDEN_LS_ACC = "02000000";

    @Test
    void shouldEncodeEveryElsAsTheGoldenBytes() {
        assertEquals(GOLDEN_FLOGI, HEX.formatHex(Login.flogi(WWPN, WWNN, 2048).encode()));
        assertEquals(GOLDEN_PLOGI, HEX.formatHex(Login.plogi(WWPN, WWNN, 2048, 2000).encode()));
        assertEquals(GOLDEN_PRLI, HEX.formatHex(new Prli(PRLI, List.of(ServicePage.fcp(true, false))).encode()));
        assertEquals(GOLDEN_LOGO, HEX.formatHex(new Logo(0x010200, WWPN).encode()));
        assertEquals(GOLDEN_SCR, HEX.formatHex(new Scr(SCRF_FULL).encode()));
        assertEquals(GOLDEN_RSCN, HEX.formatHex(new Rscn(List.of(new RscnPage(EV_QUAL_NONE, ADDR_FMT_PORT, 0x010200),
                new RscnPage(EV_QUAL_SW_CONFIG, ADDR_FMT_FAB, 0))).encode()));
        assertEquals(GOLDEN_ADISC, HEX.formatHex(new Adisc(ADISC, 0, WWPN, WWNN, 0x010200).encode()));
        assertEquals(GOLDEN_LS_RJT, HEX.formatHex(new LsRjt(RJT_UNAB, EXPL_PLOGI_REQD).encode()));
        assertEquals(GOLDEN_LS_ACC, HEX.formatHex(new LsAcc().encode()));
        assertEquals(116, GOLDEN_FLOGI.length() / 2);
    }

    static List<Els> requests() {
        return List.of(Login.flogi(WWPN, WWNN, 2048), Login.plogi(WWPN, WWNN, 2112, 2000),
                Login.flogi(WWPN, WWNN, 2048).as(FDISC), new Prli(PRLI, List.of(ServicePage.fcp(false, true))),
                new Prli(PRLO, List.of(ServicePage.fcp(true, false), ServicePage.fcp(false, true))),
                new Logo(0x0A0B0C, WWPN), new Scr(SCRF_FAB), new Rscn(List.of(new RscnPage(1, 2, 0x0A0000))),
                new Adisc(ADISC, 0x123456, WWPN, WWNN, 0x0A0B0C));
    }

    @Test
    void shouldRoundTripEveryRequestAndReply() throws Exception {
        for (Els e : requests()) {
            assertEquals(e, Els.decodeRequest(e.encode()), e.toString());
        }
        assertEquals(new LsRjt(RJT_LOGIC, EXPL_SID, 7), Els.decodeReply(PLOGI, new LsRjt(RJT_LOGIC, EXPL_SID, 7).encode()));
        Login acc = Login.plogi(WWPN, WWNN, 2048, 2000).as(LS_ACC);
        assertEquals(acc, Els.decodeReply(PLOGI, acc.encode()));
        Prli prliAcc = new Prli(LS_ACC, List.of(new ServicePage(8, 0, PrliDescriptor.SPP_RESP_ACK, 0, 0, 0x12)));
        assertEquals(prliAcc, Els.decodeReply(PRLI, prliAcc.encode()));
        assertEquals(PrliDescriptor.SPP_RESP_ACK, ((Prli) Els.decodeReply(PRLI, prliAcc.encode())).pages().get(0).responseCode());
        assertEquals(new LsAcc(), Els.decodeReply(SCR, new LsAcc().encode()));
        Adisc adiscAcc = new Adisc(LS_ACC, 0, WWPN, WWNN, 0x010203);
        assertEquals(adiscAcc, Els.decodeReply(ADISC, adiscAcc.encode()));
    }

    @Test
    void shouldRejectAnUnknownElsCodeAndARepliesCodeAsARequest() {
        for (int code : new int[] {0x00, 0x06, 0x10, 0x99, 0xFF, LS_ACC, LS_RJT}) {
            byte[] b = new byte[116];
            b[0] = (byte) code;
            assertEquals(FrameFormatException.Problem.UNKNOWN_ELS,
                    assertThrows(FrameFormatException.class, () -> Els.decodeRequest(b)).problem(), "code " + code);
        }
        assertEquals(FrameFormatException.Problem.UNKNOWN_ELS,
                assertThrows(FrameFormatException.class, () -> Els.decodeReply(PLOGI, HEX.parseHex("03000000"))).problem());
    }

    @Test
    void shouldRejectEveryTruncationAndEveryWrongLengthWithAPreciseProblem() {
        for (Els e : requests()) {
            byte[] full = e.encode();
            for (int n = 0; n < full.length; n++) {
                byte[] b = Arrays.copyOf(full, n);
                FrameFormatException x = assertThrows(FrameFormatException.class, () -> Els.decodeRequest(b),
                        e + " cut to " + n);
                assertTrue(x.problem() == FrameFormatException.Problem.TRUNCATED
                        || x.problem() == FrameFormatException.Problem.BAD_LENGTH, x.getMessage());
            }
            byte[] longer = Arrays.copyOf(full, full.length + 4);
            assertEquals(FrameFormatException.Problem.BAD_LENGTH,
                    assertThrows(FrameFormatException.class, () -> Els.decodeRequest(longer), e.toString()).problem());
        }
    }

    @Test
    void shouldRejectBadPageLengthsAndInvalidClass3() {
        byte[] prli = HEX.parseHex(GOLDEN_PRLI);
        prli[1] = 20;
        assertEquals(FrameFormatException.Problem.BAD_FIELD,
                assertThrows(FrameFormatException.class, () -> Els.decodeRequest(prli)).problem());
        byte[] rscn = HEX.parseHex(GOLDEN_RSCN);
        rscn[1] = 8;
        assertEquals(FrameFormatException.Problem.BAD_FIELD,
                assertThrows(FrameFormatException.class, () -> Els.decodeRequest(rscn)).problem());
        byte[] flogi = HEX.parseHex(GOLDEN_FLOGI);
        flogi[LoginDescriptor.CLASS3_OFFSET] = 0;
        assertEquals(FrameFormatException.Problem.BAD_FIELD,
                assertThrows(FrameFormatException.class, () -> Els.decodeRequest(flogi)).problem());
        byte[] scr = HEX.parseHex(GOLDEN_SCR);
        scr[7] = 9;
        assertEquals(FrameFormatException.Problem.BAD_FIELD,
                assertThrows(FrameFormatException.class, () -> Els.decodeRequest(scr)).problem());
    }
}
