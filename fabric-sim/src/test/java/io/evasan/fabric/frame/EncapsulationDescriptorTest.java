package io.evasan.fabric.frame;

import io.evasan.fabric.frame.EncapsulationDescriptor.Encapsulated;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import java.util.zip.CRC32;

import static io.evasan.fabric.frame.EncapsulationDescriptor.*;
import static org.junit.jupiter.api.Assertions.*;

class EncapsulationDescriptorTest {
    static final HexFormat HEX = HexFormat.of();

    /** An SCR from 010200h to the fabric controller FFFFFDh, OX_ID 0001h. */
    static Frame scr() {
        return new Frame(FrameHeader.request(FrameHeaderDescriptor.R_CTL_ELS_REQ, FrameHeaderDescriptor.TYPE_ELS,
                0x010200, FrameHeaderDescriptor.FID_FCTRL, 1), new Els.Scr(ElsDescriptor.SCRF_FULL).encode());
    }

    static String crc(String hex) {
        CRC32 c = new CRC32();
        c.update(HEX.parseHex(hex));
        return "%08x".formatted(c.getValue());
    }

    @Test
    void shouldEncodeAFrameAsTheGoldenBytes() throws Exception {
        // 28 + 4 + 24 + 8 + 4 + 4 = 72 bytes = 18 words; flags CRCV 1: (1 << 10 | 18) = 0412h, complement FBEDh
        String header = "0101fefe" + "0101fefe" + "0000ffff" + "0412fbed" + "00000000" + "00000000";
        String frame = "22fffffd" + "00010200" + "01290000" + "00000000" + "0001ffff" + "00000000" + "62000000" + "00000003";
        // SOFi3 2Eh, EOFt 42h (fc_encaps.h FC_SOF_I3, FC_EOF_T)
        String golden = header + crc(header) + "2e2ed1d1" + frame + crc(frame) + "4242bdbd";
        assertEquals(golden, HEX.formatHex(encode(scr())));
        assertEquals("0412fbed", header.substring(24, 32));
        assertEquals("98c77d0c", crc(header), "header CRC pinned (checked with Python zlib.crc32)");
        Encapsulated e = decode(HEX.parseHex(golden));
        assertEquals(SOF_I3, e.sof());
        assertEquals(EOF_T, e.eof());
        assertEquals(scr(), e.frame());
    }

    @Test
    void shouldPadToWholeWordsWithTheFillCountInFctl() throws Exception {
        for (int n = 0; n <= 8; n++) {
            byte[] payload = new byte[n];
            Arrays.fill(payload, (byte) 0xAB);
            Frame f = new Frame(FrameHeader.request(FrameHeaderDescriptor.R_CTL_DD_SOL_DATA, FrameHeaderDescriptor.TYPE_FCP,
                    1, 2, 3), payload);
            byte[] b = encode(f);
            assertEquals(0, b.length % 4);
            assertEquals((4 - n % 4) % 4, b[FRAME_OFFSET + FrameHeaderDescriptor.F_CTL_OFFSET + 2] & 3, "fill of " + n);
            assertEquals(f, decode(b).frame());
        }
    }

    @Test
    void shouldRejectEverySingleBitFlip() {
        byte[] good = encode(new Frame(FrameHeader.request(FrameHeaderDescriptor.R_CTL_DD_SOL_DATA,
                FrameHeaderDescriptor.TYPE_FCP, 1, 2, 3), new byte[] {1, 2, 3, 4, 5}));
        for (int i = 0; i < good.length; i++) {
            for (int bit = 0; bit < 8; bit++) {
                byte[] b = good.clone();
                b[i] ^= (byte) (1 << bit);
                assertThrows(FrameFormatException.class, () -> decode(b), "byte " + i + " bit " + bit);
            }
        }
    }

    @Test
    void shouldRejectTruncationAtEveryLengthAndTrailingBytes() {
        byte[] good = encode(scr());
        for (int n = 0; n < good.length; n++) {
            byte[] b = Arrays.copyOf(good, n);
            FrameFormatException e = assertThrows(FrameFormatException.class, () -> decode(b), "length " + n);
            assertTrue(e.problem() == FrameFormatException.Problem.TRUNCATED
                    || e.problem() == FrameFormatException.Problem.BAD_LENGTH, e.getMessage());
        }
        assertEquals(FrameFormatException.Problem.BAD_LENGTH,
                assertThrows(FrameFormatException.class, () -> decode(Arrays.copyOf(good, good.length + 4))).problem());
    }

    @Test
    void shouldRejectBadDelimitersAndABadFrameHeaderInsideAGoodEncapsulation() {
        byte[] good = encode(scr());
        byte[] sof = good.clone();
        ByteBuffer.wrap(sof).putInt(SOF_OFFSET, 0x2F2FD0D0);
        assertEquals(FrameFormatException.Problem.BAD_DELIMITER,
                assertThrows(FrameFormatException.class, () -> decode(sof)).problem());
        // R_CTL 99h with a recomputed frame CRC: the header check, not the CRC, rejects it
        byte[] bad = good.clone();
        bad[FRAME_OFFSET] = (byte) 0x99;
        int frameLen = bad.length - OVERHEAD;
        CRC32 c = new CRC32();
        c.update(bad, FRAME_OFFSET, frameLen);
        ByteBuffer.wrap(bad).putInt(FRAME_OFFSET + frameLen, (int) c.getValue());
        assertEquals(FrameFormatException.Problem.BAD_R_CTL,
                assertThrows(FrameFormatException.class, () -> decode(bad)).problem());
    }

    @Test
    void shouldRoundTripRandomFrames() throws Exception {
        long seed = System.nanoTime();
        System.out.println("EncapsulationDescriptorTest seed " + seed);
        Random r = new Random(seed);
        int[][] kinds = {{0x01, 0x08}, {0x05, 0x08}, {0x06, 0x08}, {0x07, 0x08}, {0x22, 0x01}, {0x23, 0x01}, {0x02, 0x20},
            {0x03, 0x20}, {0x81, 0x00}, {0x84, 0x00}, {0x85, 0x00}};
        for (int i = 0; i < 500; i++) {
            int[] k = kinds[r.nextInt(kinds.length)];
            byte[] p = new byte[r.nextInt(FrameHeaderDescriptor.MAX_PAYLOAD + 1)];
            r.nextBytes(p);
            FrameHeader h = new FrameHeader(k[0], r.nextInt(1 << 24), r.nextInt(256), r.nextInt(1 << 24), k[1],
                    r.nextInt(1 << 24) & ~3, r.nextInt(256), 0, r.nextInt(1 << 16), r.nextInt(1 << 16), r.nextInt(1 << 16),
                    r.nextInt());
            Frame f = new Frame(h, p);
            assertEquals(f, decode(encode(f)).frame(), "seed " + seed + " frame " + i);
            assertEquals(f, Frame.decode(f.encode()), "seed " + seed + " frame " + i);
        }
    }
}
