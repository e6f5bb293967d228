package io.evasan.fabric.frame;

import java.util.Arrays;
import java.util.zip.CRC32;

import static io.evasan.fabric.frame.FrameFormatException.Problem.BAD_CRC;
import static io.evasan.fabric.frame.FrameFormatException.Problem.BAD_DELIMITER;
import static io.evasan.fabric.frame.FrameFormatException.Problem.BAD_ENCAPSULATION;
import static io.evasan.fabric.frame.FrameFormatException.Problem.BAD_LENGTH;
import static io.evasan.fabric.frame.FrameFormatException.need;
import static io.evasan.fabric.frame.FrameFormatException.require;

/**
 * How one FC frame travels on a link: the common FC frame encapsulation of RFC 3643 (shaped as
 * FCIP, RFC 3821: protocol# 1, version 1, the protocol-specific words replicate word 0 and carry
 * zero pFlags), then the SOF word, the frame, the frame CRC and the EOF word. All fields
 * big-endian. SOF/EOF codes are those of RFC 3643 section 3 / Linux {@code
 * include/uapi/scsi/fc/fc_encaps.h} ({@code enum fc_sof}, {@code enum fc_eof}).
 *
 * <pre>
 * Word       0       |       1       |       2       |       3       |
 *    +---------------+---------------+---------------+---------------+
 *   0| Protocol# = 1 | Version = 1   | -Protocol#    | -Version      |
 *    +---------------+---------------+---------------+---------------+
 *   1| Protocol# = 1 | Version = 1   | -Protocol#    | -Version      |  protocol specific (FCIP)
 *    +---------------+---------------+---------------+---------------+
 *   2| pFlags = 0    | reserved = 0  | -pFlags       | -reserved     |  protocol specific (FCIP)
 *    +-----------+---+---------------+-----------+---+---------------+
 *   3| Flags (6) | Frame Length (10) | -Flags (6)| -Frame Length (10)|  length in words, all of it
 *    +-----------+-------------------+-----------+-------------------+
 *   4| time stamp, integer (zero: not sent)                          |
 *   5| time stamp, fraction (zero)                                   |
 *    +---------------+---------------+---------------+---------------+
 *   6| CRC-32 of words 0..5 (present: Flags CRCV = 1)                |
 *    +---------------+---------------+---------------+---------------+
 *   7| SOF           | SOF           | -SOF          | -SOF          |
 *    +---------------+---------------+---------------+---------------+
 *   8| FC frame header (24 bytes, {@link FrameHeaderDescriptor})      |
 *  14| payload, padded with 0..3 fill bytes (F_CTL fill count)       |
 *    +---------------+---------------+---------------+---------------+
 *    | FC CRC-32 of frame header and padded payload                  |
 *    +---------------+---------------+---------------+---------------+
 *    | EOF           | EOF           | -EOF          | -EOF          |
 *    +---------------+---------------+---------------+---------------+
 * </pre>
 *
 * <p>Invariant: {@link #decode} accepts an input only when every field and its complement agree,
 * both CRCs match, the length field equals the input length, the delimiters are defined codes and
 * the frame header validates; any one bit flipped in an encoding makes it fail with a {@link
 * FrameFormatException}. The CRC is CRC-32 (IEEE 802.3 polynomial, as FC-FS uses) as {@link CRC32}
 * computes it, stored big-endian.
 */
public final class EncapsulationDescriptor {
    public static final int HEADER_LENGTH = 28;
    public static final int PROTOCOL = 1;
    public static final int VERSION = 1;
    /** Flags bit: header CRC valid (RFC 3643 CRCV). */
    public static final int FLAG_CRCV = 0x01;
    public static final int LENGTH_WORD_OFFSET = 12;
    public static final int HEADER_CRC_OFFSET = 24;
    public static final int SOF_OFFSET = 28;
    public static final int FRAME_OFFSET = 32;
    /** Bytes around the frame: header, SOF word, frame CRC, EOF word. */
    public static final int OVERHEAD = HEADER_LENGTH + 4 + 4 + 4;
    /** Largest encapsulation: 10-bit length in words. */
    public static final int MAX_LENGTH = 1023 * 4;

    // ---- SOF (fc_encaps.h enum fc_sof)
    public static final int SOF_F = 0x28;
    public static final int SOF_I4 = 0x29;
    public static final int SOF_I2 = 0x2D;
    public static final int SOF_I3 = 0x2E;
    public static final int SOF_N4 = 0x31;
    public static final int SOF_N2 = 0x35;
    public static final int SOF_N3 = 0x36;
    public static final int SOF_C4 = 0x39;

    // ---- EOF (fc_encaps.h enum fc_eof)
    public static final int EOF_N = 0x41;
    public static final int EOF_T = 0x42;
    public static final int EOF_RT = 0x44;
    public static final int EOF_DT = 0x46;
    public static final int EOF_NI = 0x49;
    public static final int EOF_DTI = 0x4E;
    public static final int EOF_RTI = 0x4F;
    public static final int EOF_A = 0x50;

    private EncapsulationDescriptor() {
    }

    /** A decoded encapsulation: delimiters and the frame (fill bytes removed). */
    public record Encapsulated(int sof, int eof, Frame frame) {
    }

    public static boolean validSof(int sof) {
        return switch (sof) {
            case SOF_F, SOF_I4, SOF_I2, SOF_I3, SOF_N4, SOF_N2, SOF_N3, SOF_C4 -> true;
            default -> false;
        };
    }

    public static boolean validEof(int eof) {
        return switch (eof) {
            case EOF_N, EOF_T, EOF_RT, EOF_DT, EOF_NI, EOF_DTI, EOF_RTI, EOF_A -> true;
            default -> false;
        };
    }

    /** A one-frame class 3 sequence: SOFi3 ... EOFt. */
    public static byte[] encode(Frame f) {
        return encode(f, SOF_I3, EOF_T);
    }

    public static byte[] encode(Frame f, int sof, int eof) {
        return encode(f.header(), f.payloadArray(), 0, f.payloadLength(), sof, eof);
    }

    /**
     * Encapsulates (SOFi3/EOFt) the frame of header {@code h} whose payload is {@code length} bytes of
     * {@code payload} from {@code offset}: the same bytes as {@code encode(new Frame(h, slice))}
     * without the slice and the frame.
     */
    public static byte[] encode(FrameHeader h, byte[] payload, int offset, int length) {
        return encode(h, payload, offset, length, SOF_I3, EOF_T);
    }

    private static byte[] encode(FrameHeader h, byte[] payload, int offset, int n, int sof, int eof) {
        if (!validSof(sof) || !validEof(eof)) {
            throw new IllegalArgumentException("SOF 0x%02x EOF 0x%02x".formatted(sof, eof));
        }
        if (n < 0 || n > FrameHeaderDescriptor.MAX_PAYLOAD) {
            throw new IllegalArgumentException("payload " + n + " > " + FrameHeaderDescriptor.MAX_PAYLOAD);
        }
        int fill = (4 - n % 4) % 4;
        int frameLen = FrameHeaderDescriptor.LENGTH + n + fill;
        int total = OVERHEAD + frameLen;
        byte[] b = new byte[total];
        int words = total / 4;
        int w0 = PROTOCOL << 24 | VERSION << 16 | (~PROTOCOL & 0xFF) << 8 | (~VERSION & 0xFF);
        Bytes.put32(b, 0, w0);
        Bytes.put32(b, 4, w0);
        Bytes.put32(b, 8, 0x0000FFFF);
        Bytes.put32(b, LENGTH_WORD_OFFSET, lengthWord(FLAG_CRCV, words));
        Bytes.put32(b, HEADER_CRC_OFFSET, crc(b, 0, HEADER_CRC_OFFSET));
        Bytes.put32(b, SOF_OFFSET, sof << 24 | sof << 16 | (~sof & 0xFF) << 8 | (~sof & 0xFF));
        h.withFill(fill).encode(b, FRAME_OFFSET);
        System.arraycopy(payload, offset, b, FRAME_OFFSET + FrameHeaderDescriptor.LENGTH, n);
        Bytes.put32(b, FRAME_OFFSET + frameLen, crc(b, FRAME_OFFSET, frameLen));
        Bytes.put32(b, total - 4, eof << 24 | eof << 16 | (~eof & 0xFF) << 8 | (~eof & 0xFF));
        return b;
    }

    private static int lengthWord(int flags, int words) {
        int hi = (flags & 0x3F) << 10 | words & 0x3FF;
        return hi << 16 | (~hi & 0xFFFF);
    }

    /**
     * Total length in bytes of the encapsulation whose first {@link #HEADER_LENGTH} bytes are in
     * {@code header}, for reading it off a stream.
     *
     * @throws FrameFormatException BAD_ENCAPSULATION, BAD_CRC or BAD_LENGTH when the header is not
     *     one this codec writes
     */
    public static int totalLength(byte[] header) throws FrameFormatException {
        need(header, HEADER_LENGTH, "encapsulation header");
        int w0 = Bytes.i32(header, 0);
        int expected = PROTOCOL << 24 | VERSION << 16 | (~PROTOCOL & 0xFF) << 8 | (~VERSION & 0xFF);
        if (!((w0 & 0xFFFF0000) == (expected & 0xFFFF0000))) {
            throw new FrameFormatException(BAD_ENCAPSULATION, "protocol# %d version %d".formatted(w0 >>> 24, w0 >>> 16 & 0xFF));
        }
        require(w0 == expected && Bytes.i32(header, 4) == expected && Bytes.i32(header, 8) == 0x0000FFFF,
                BAD_ENCAPSULATION, "protocol words and their complements disagree");
        int lw = Bytes.i32(header, LENGTH_WORD_OFFSET);
        require(((lw >>> 16) ^ (lw & 0xFFFF)) == 0xFFFF, BAD_ENCAPSULATION, "flags/length and complement disagree");
        int flags = lw >>> 26;
        if (!(flags == FLAG_CRCV)) {
            throw new FrameFormatException(BAD_ENCAPSULATION, "flags 0x%02x".formatted(flags));
        }
        require(Bytes.u16(header, 16) == 0 && Bytes.u16(header, 18) == 0 && Bytes.i32(header, 20) == 0,
                BAD_ENCAPSULATION, "time stamp not zero");
        require(crc(header, 0, HEADER_CRC_OFFSET) == Bytes.i32(header, HEADER_CRC_OFFSET), BAD_CRC, "header CRC");
        int total = (lw >>> 16 & 0x3FF) * 4;
        if (!(total >= OVERHEAD + FrameHeaderDescriptor.LENGTH && total <= OVERHEAD + FrameHeaderDescriptor.LENGTH + FrameHeaderDescriptor.MAX_PAYLOAD + 3)) {
            throw new FrameFormatException(BAD_LENGTH, "encapsulated length " + total);
        }
        return total;
    }

    /** Decodes exactly one encapsulated frame; see the class invariant. */
    public static Encapsulated decode(byte[] b) throws FrameFormatException {
        int total = totalLength(b);
        if (!(b.length == total)) {
            throw new FrameFormatException(BAD_LENGTH, "encapsulation " + b.length + " bytes, length field says " + total);
        }
        int sofWord = Bytes.i32(b, SOF_OFFSET);
        int eofWord = Bytes.i32(b, total - 4);
        int sof = sofWord >>> 24;
        int eof = eofWord >>> 24;
        if (!(sofWord == (sof << 24 | sof << 16 | (~sof & 0xFF) << 8 | (~sof & 0xFF)) && validSof(sof))) {
            throw new FrameFormatException(BAD_DELIMITER, "SOF word 0x%08x".formatted(sofWord));
        }
        if (!(eofWord == (eof << 24 | eof << 16 | (~eof & 0xFF) << 8 | (~eof & 0xFF)) && validEof(eof))) {
            throw new FrameFormatException(BAD_DELIMITER, "EOF word 0x%08x".formatted(eofWord));
        }
        int frameLen = total - OVERHEAD;
        require(crc(b, FRAME_OFFSET, frameLen) == Bytes.i32(b, FRAME_OFFSET + frameLen), BAD_CRC, "frame CRC");
        FrameHeader h = FrameHeader.decode(b, FRAME_OFFSET);
        int fill = h.fCtl() & FrameHeaderDescriptor.F_CTL_FILL_MASK;
        int payload = frameLen - FrameHeaderDescriptor.LENGTH - fill;
        for (int i = 0; i < fill; i++) {
            require(b[FRAME_OFFSET + FrameHeaderDescriptor.LENGTH + payload + i] == 0, BAD_LENGTH, "non-zero fill byte");
        }
        if (!(payload <= FrameHeaderDescriptor.MAX_PAYLOAD)) {
            throw new FrameFormatException(BAD_LENGTH, "payload " + payload);
        }
        int start = FRAME_OFFSET + FrameHeaderDescriptor.LENGTH;
        return new Encapsulated(sof, eof, Frame.owning(h.withFill(0), Arrays.copyOfRange(b, start, start + payload)));
    }

    static int crc(byte[] b, int off, int len) {
        CRC32 c = new CRC32();
        c.update(b, off, len);
        return (int) c.getValue();
    }
}
