package io.evasan.fabric.frame;

import static io.evasan.fabric.frame.FrameFormatException.Problem.BAD_CT;
import static io.evasan.fabric.frame.FrameFormatException.need;
import static io.evasan.fabric.frame.FrameFormatException.require;

/**
 * The CT_IU preamble of Fibre Channel Generic Services requests to the directory server at
 * FFFFFCh (FC-GS-7 clause 4.3; Linux {@code include/uapi/scsi/fc/fc_gs.h} {@code struct fc_ct_hdr},
 * {@code enum fc_ct_reason}, {@code enum fc_ct_explan}). Requests travel with R_CTL 0x02
 * (unsolicited control), responses with R_CTL 0x03, TYPE 0x20. All fields big-endian.
 *
 * <pre>
 * Byte/     0       |       1       |       2       |       3       |
 *    +---------------+---------------+---------------+---------------+
 *   0| revision = 1  | IN_ID, zero                                   |
 *    +---------------+---------------+---------------+---------------+
 *   4| GS type 0xFC  | subtype 0x02  | options       | reserved      |
 *    +---------------+---------------+---------------+---------------+
 *   8| command / response code       | max/residual size (words)     |
 *    +---------------+---------------+---------------+---------------+
 *  12| fragment ID   | reason code   | explanation   | vendor unique |
 *    +---------------+---------------+---------------+---------------+
 *  16| command or accept payload ({@link NameServerDescriptor})       |
 * </pre>
 *
 * <p>Invariant: {@link Header#decode} accepts only revision 1, GS type FCh, subtype 02h; a response
 * code is 8001h (reject, with reason and explanation) or 8002h (accept).
 */
public final class CtDescriptor {
    public static final int LENGTH = 16;
    public static final int REVISION = 0x01;
    /** Directory service ({@code FC_FST_DIR}). */
    public static final int GS_TYPE_DIRECTORY = 0xFC;
    /** Name server ({@code FC_NS_SUBTYPE}). */
    public static final int GS_SUBTYPE_NAME_SERVER = 0x02;
    /** Reject response ({@code FC_FS_RJT}). */
    public static final int RSP_REJECT = 0x8001;
    /** Accept response ({@code FC_FS_ACC}). */
    public static final int RSP_ACCEPT = 0x8002;

    // ---- reject reasons (fc_gs.h enum fc_ct_reason)
    public static final int RJT_CMD = 0x01;
    public static final int RJT_VER = 0x02;
    public static final int RJT_LOG = 0x03;
    public static final int RJT_IUSIZ = 0x04;
    public static final int RJT_BSY = 0x05;
    public static final int RJT_PROTO = 0x07;
    public static final int RJT_UNABL = 0x09;
    public static final int RJT_UNSUP = 0x0B;

    // ---- reject explanations (fc_gs.h enum fc_ct_explan)
    public static final int EXP_NONE = 0x00;
    public static final int EXP_PID = 0x01;
    public static final int EXP_PNAM = 0x02;
    public static final int EXP_NNAM = 0x03;
    public static final int EXP_COS = 0x04;
    public static final int EXP_FTNR = 0x07;

    private CtDescriptor() {
    }

    /** The 16-byte CT_IU preamble. */
    public record Header(int revision, int gsType, int gsSubtype, int code, int maxResidualSize, int reason,
                         int explanation, int vendor) {

        public static Header nameServerRequest(int command) {
            return new Header(REVISION, GS_TYPE_DIRECTORY, GS_SUBTYPE_NAME_SERVER, command, 0, 0, 0, 0);
        }

        public static Header accept() {
            return new Header(REVISION, GS_TYPE_DIRECTORY, GS_SUBTYPE_NAME_SERVER, RSP_ACCEPT, 0, 0, 0, 0);
        }

        public static Header reject(int reason, int explanation) {
            return new Header(REVISION, GS_TYPE_DIRECTORY, GS_SUBTYPE_NAME_SERVER, RSP_REJECT, 0, reason, explanation, 0);
        }

        public boolean isAccept() {
            return code == RSP_ACCEPT;
        }

        public boolean isReject() {
            return code == RSP_REJECT;
        }

        public void encode(byte[] b) {
            Bytes.put8(b, 0, revision);
            Bytes.put8(b, 4, gsType);
            Bytes.put8(b, 5, gsSubtype);
            Bytes.put16(b, 8, code);
            Bytes.put16(b, 10, maxResidualSize);
            Bytes.put8(b, 13, reason);
            Bytes.put8(b, 14, explanation);
            Bytes.put8(b, 15, vendor);
        }

        /** This header followed by {@code body}. */
        public byte[] with(byte[] body) {
            byte[] b = new byte[LENGTH + body.length];
            encode(b);
            System.arraycopy(body, 0, b, LENGTH, body.length);
            return b;
        }

        /**
         * @throws FrameFormatException TRUNCATED, or BAD_CT for a wrong revision, GS type or subtype
         */
        public static Header decode(byte[] p) throws FrameFormatException {
            need(p, LENGTH, "CT_IU preamble");
            Header h = new Header(Bytes.u8(p, 0), Bytes.u8(p, 4), Bytes.u8(p, 5), Bytes.u16(p, 8), Bytes.u16(p, 10),
                    Bytes.u8(p, 13), Bytes.u8(p, 14), Bytes.u8(p, 15));
            if (!(h.revision == REVISION)) {
                throw new FrameFormatException(BAD_CT, "CT revision " + h.revision);
            }
            if (!(h.gsType == GS_TYPE_DIRECTORY && h.gsSubtype == GS_SUBTYPE_NAME_SERVER)) {
                throw new FrameFormatException(BAD_CT, "GS type 0x%02x subtype 0x%02x".formatted(h.gsType, h.gsSubtype));
            }
            return h;
        }
    }
}
