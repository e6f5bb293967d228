package io.evasan.fabric.frame;

import io.evasan.fabric.frame.CtDescriptor.Header;
import io.evasan.fabric.frame.NameServerDescriptor.*;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

import static io.evasan.fabric.frame.NameServerDescriptor.*;
import static org.junit.jupiter.api.Assertions.*;

class NameServerDescriptorTest {
    static final HexFormat HEX = HexFormat.of();
    /** CT preamble: FC_CT_REV 01h, FC_FST_DIR FCh, FC_NS_SUBTYPE 02h, command FC_NS_GID_FT 0171h. */
    static final String GOLDEN_GID_FT = "01000000" + "fc020000" + "01710000" + "00000000" + "00000008";
    /** Accept FC_FS_ACC 8002h with two port IDs, the last flagged FC_NS_FID_LAST 80h. */
    static final String GOLDEN_GID_FT_ACC = "01000000" + "fc020000" + "80020000" + "00000000" + "00010100" + "80010200";
    /** Reject FC_FS_RJT 8001h, reason FC_FS_RJT_UNABL 09h, explanation FC_FS_EXP_FTNR 07h. */
    static final String GOLDEN_REJECT = "01000000" + "fc020000" + "80010000" + "00090700";
    /** RFT_ID (0217h) for 010200h with FC-4 TYPE FCP (08h): word 0 of the bitmap is 00000100h. */
    static final String GOLDEN_RFT_ID = "01000000" + "fc020000" + "02170000" + "00000000" + "00010200" + "00000100"
            + "00000000".repeat(7);
    /** RFF_ID (021Fh): 010200h, features FCP_FEAT_TARG 01h, TYPE 08h. */
    static final String GOLDEN_RFF_ID = "01000000" + "fc020000" + "021f0000" + "00000000" + "00010200" + "00000108";
    /** RSPN_ID (0218h): 010200h, name "ab". */
    static final String GOLDEN_RSPN_ID = "01000000" + "fc020000" + "02180000" + "00000000" + "00010200" + "026162";

    @Test
    void shouldEncodeRequestsAcceptsAndRejectsAsTheGoldenBytes() {
        assertEquals(GOLDEN_GID_FT, HEX.formatHex(new GidFt(FrameHeaderDescriptor.TYPE_FCP).encode()));
        assertEquals(GOLDEN_GID_FT_ACC, HEX.formatHex(Header.accept().with(encodeGidFtAccept(List.of(0x010100, 0x010200)))));
        assertEquals(GOLDEN_REJECT, HEX.formatHex(Header.reject(CtDescriptor.RJT_UNABL, CtDescriptor.EXP_FTNR).with(new byte[0])));
        assertEquals(GOLDEN_RFT_ID, HEX.formatHex(RftId.of(0x010200, FrameHeaderDescriptor.TYPE_FCP).encode()));
        assertEquals(GOLDEN_RFF_ID, HEX.formatHex(new RffId(0x010200, FCP_FEAT_TARG, 8).encode()));
        assertEquals(GOLDEN_RSPN_ID, HEX.formatHex(new RspnId(0x010200, "ab").encode()));
        assertEquals("01000000" + "fc020000" + "01120000" + "00000000" + "00010200", HEX.formatHex(new GpnId(0x010200).encode()));
        assertEquals("01000000" + "fc020000" + "01130000" + "00000000" + "00010200", HEX.formatHex(new GnnId(0x010200).encode()));
        assertEquals("01000000" + "fc020000" + "01210000" + "00000000" + "10000000c9abcdef",
                HEX.formatHex(new GidPn(0x10000000C9ABCDEFL).encode()));
        assertEquals("01000000" + "fc020000" + "01720000" + "00000000" + "00000008", HEX.formatHex(new GpnFt(8).encode()));
        assertEquals("01000000" + "fc020000" + "02130000" + "00000000" + "00010200" + "20000000c9abcdef",
                HEX.formatHex(new RnnId(0x010200, 0x20000000C9ABCDEFL).encode()));
    }

    static List<Request> requests() {
        return List.of(new GidFt(8), new GpnFt(8), new GpnId(0x0A0B0C), new GnnId(0x0A0B0C), new GidPn(-5L),
                RftId.of(0x010203, 8, 0x20, 255, 0), new RffId(0x010203, FCP_FEAT_INIT, 8), new RnnId(1, 2),
                new RspnId(0x010203, "evasan nsc-a port 1"));
    }

    @Test
    void shouldRoundTripEveryRequestAndAccept() throws Exception {
        for (Request r : requests()) {
            byte[] b = r.encode();
            Header h = Header.decode(b);
            assertEquals(r.command(), h.code());
            assertEquals(r, decodeRequest(h.code(), Arrays.copyOfRange(b, CtDescriptor.LENGTH, b.length)));
        }
        assertEquals(List.of(1, 2, 3), decodeGidFtAccept(encodeGidFtAccept(List.of(1, 2, 3))));
        List<PortEntry> e = List.of(new PortEntry(0x010100, 11), new PortEntry(0x010200, -12));
        assertEquals(e, decodeGpnFtAccept(encodeGpnFtAccept(e)));
        assertEquals(42L, decodeNameAccept(encodeNameAccept(42)));
        assertEquals(0x0A0B0C, decodePortIdAccept(encodePortIdAccept(0x0A0B0C)));
    }

    @Test
    void shouldRejectABadPreambleAnUnknownCommandAndWrongBodies() {
        byte[] bad = HEX.parseHex(GOLDEN_GID_FT);
        bad[0] = 2;
        assertEquals(FrameFormatException.Problem.BAD_CT, assertThrows(FrameFormatException.class, () -> Header.decode(bad)).problem());
        byte[] badType = HEX.parseHex(GOLDEN_GID_FT);
        badType[4] = (byte) 0xFA;
        assertEquals(FrameFormatException.Problem.BAD_CT, assertThrows(FrameFormatException.class, () -> Header.decode(badType)).problem());
        assertEquals(FrameFormatException.Problem.TRUNCATED,
                assertThrows(FrameFormatException.class, () -> Header.decode(new byte[15])).problem());
        assertEquals(FrameFormatException.Problem.BAD_CT,
                assertThrows(FrameFormatException.class, () -> decodeRequest(0x0199, new byte[4])).problem());
        for (Request r : requests()) {
            byte[] body = r.body();
            for (int n = 0; n < body.length; n++) {
                byte[] cut = Arrays.copyOf(body, n);
                FrameFormatException x = assertThrows(FrameFormatException.class, () -> decodeRequest(r.command(), cut),
                        r + " cut to " + n);
                assertTrue(x.problem() == FrameFormatException.Problem.TRUNCATED
                        || x.problem() == FrameFormatException.Problem.BAD_LENGTH, x.getMessage());
            }
            byte[] longer = Arrays.copyOf(body, body.length + 4);
            assertEquals(FrameFormatException.Problem.BAD_LENGTH,
                    assertThrows(FrameFormatException.class, () -> decodeRequest(r.command(), longer), r.toString()).problem());
        }
        assertEquals(FrameFormatException.Problem.TRUNCATED,
                assertThrows(FrameFormatException.class, () -> decodeGidFtAccept(HEX.parseHex("00010100"))).problem(),
                "no entry flagged last");
    }
}
