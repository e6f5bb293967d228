package io.evasan.fabric.frame;

import java.util.ArrayList;
import java.util.List;

import static io.evasan.fabric.frame.ElsDescriptor.*;
import static io.evasan.fabric.frame.FrameFormatException.Problem.BAD_FIELD;
import static io.evasan.fabric.frame.FrameFormatException.Problem.BAD_LENGTH;
import static io.evasan.fabric.frame.FrameFormatException.Problem.UNKNOWN_ELS;
import static io.evasan.fabric.frame.FrameFormatException.need;
import static io.evasan.fabric.frame.FrameFormatException.require;

/**
 * ELS payloads as values, with their byte-exact encodings (layouts in {@link ElsDescriptor},
 * {@link LoginDescriptor}, {@link PrliDescriptor}). Invariant: {@code decode(encode(x)).equals(x)}
 * for every value; decoding never throws anything but {@link FrameFormatException}.
 */
public sealed interface Els {

    /** The command code in byte 0. */
    int command();

    byte[] encode();

    /**
     * Decodes an ELS request (R_CTL {@code ELS_REQ}).
     *
     * @throws FrameFormatException UNKNOWN_ELS for a code this fabric does not implement (including
     *     LS_ACC/LS_RJT, which are replies), TRUNCATED/BAD_LENGTH/BAD_FIELD for a malformed payload
     */
    static Els decodeRequest(byte[] p) throws FrameFormatException {
        need(p, 1, "ELS");
        int code = Bytes.u8(p, 0);
        return switch (code) {
            case PLOGI, FLOGI, FDISC -> Login.decode(p);
            case PRLI, PRLO -> Prli.decode(p);
            case LOGO -> Logo.decode(p);
            case SCR -> Scr.decode(p);
            case RSCN -> Rscn.decode(p);
            case ADISC -> Adisc.decode(p);
            default -> throw new FrameFormatException(UNKNOWN_ELS, "request code 0x%02x".formatted(code));
        };
    }

    /**
     * Decodes the reply (R_CTL {@code ELS_REP}) to a request with command {@code requestCommand}:
     * LS_RJT, or the LS_ACC whose layout that request determines.
     */
    static Els decodeReply(int requestCommand, byte[] p) throws FrameFormatException {
        need(p, 1, "ELS reply");
        int code = Bytes.u8(p, 0);
        if (code == LS_RJT) {
            return LsRjt.decode(p);
        }
        if (!(code == LS_ACC)) {
            throw new FrameFormatException(UNKNOWN_ELS, "reply code 0x%02x".formatted(code));
        }
        return switch (requestCommand) {
            case PLOGI, FLOGI, FDISC -> Login.decode(p);
            case PRLI, PRLO -> Prli.decode(p);
            case ADISC -> Adisc.decode(p);
            default -> LsAcc.decode(p);
        };
    }

    // ------------------------------------------------------------------------------------------

    /**
     * FLOGI, FDISC, PLOGI or their LS_ACC (116 bytes, {@link LoginDescriptor}). {@code word2} is
     * R_A_TOV in the fabric's FLOGI LS_ACC and (total concurrent sequences &lt;&lt; 16 | relative
     * offset categories) otherwise.
     */
    record Login(int command, int version, int bbCredit, int features, int rcvSize, int word2, int eDTov, long wwpn,
                 long wwnn, int class3Options, int class3RcvSize, int class3ConcurrentSeqs, int class3OpenSeqs)
            implements Els {

        /** FLOGI or FDISC as Linux libfc fills it ({@code fc_lport_flogi_fill}, op == ELS_FLOGI). */
        public static Login flogi(long wwpn, long wwnn, int rcvSize) {
            return new Login(FLOGI, LoginDescriptor.VERSION_FC_PH_0x20, 10, 0, rcvSize, 0, 0, wwpn, wwnn,
                    LoginDescriptor.CPC_VALID | LoginDescriptor.CPC_SEQ, 0, 0, 0);
        }

        /** PLOGI as Linux libfc fills it ({@code fc_lport_flogi_fill}, op != ELS_FLOGI). */
        public static Login plogi(long wwpn, long wwnn, int rcvSize, int eDTov) {
            return new Login(PLOGI, LoginDescriptor.VERSION_FC_PH_0x20, 10, LoginDescriptor.FT_CIRO, rcvSize,
                    255 << 16 | 0x1F, eDTov, wwpn, wwnn, LoginDescriptor.CPC_VALID | LoginDescriptor.CPC_SEQ, rcvSize,
                    255, 1);
        }

        /** The same parameters under another command code (e.g. LS_ACC). */
        public Login as(int newCommand) {
            return new Login(newCommand, version, bbCredit, features, rcvSize, word2, eDTov, wwpn, wwnn, class3Options,
                    class3RcvSize, class3ConcurrentSeqs, class3OpenSeqs);
        }

        @Override
        public byte[] encode() {
            byte[] b = new byte[LoginDescriptor.LENGTH];
            Bytes.put8(b, 0, command);
            Bytes.put16(b, LoginDescriptor.VERSION_OFFSET, version);
            Bytes.put16(b, LoginDescriptor.BB_CREDIT_OFFSET, bbCredit);
            Bytes.put16(b, LoginDescriptor.FEATURES_OFFSET, features);
            Bytes.put16(b, LoginDescriptor.BB_RCV_SIZE_OFFSET, rcvSize);
            Bytes.put32(b, LoginDescriptor.WORD2_OFFSET, word2);
            Bytes.put32(b, LoginDescriptor.E_D_TOV_OFFSET, eDTov);
            Bytes.put64(b, LoginDescriptor.WWPN_OFFSET, wwpn);
            Bytes.put64(b, LoginDescriptor.WWNN_OFFSET, wwnn);
            Bytes.put16(b, LoginDescriptor.CLASS3_OFFSET, class3Options);
            Bytes.put16(b, LoginDescriptor.CLASS3_RCV_SIZE_OFFSET, class3RcvSize);
            Bytes.put16(b, LoginDescriptor.CLASS3_CONCURRENT_SEQ_OFFSET, class3ConcurrentSeqs);
            Bytes.put8(b, LoginDescriptor.CLASS3_OPEN_SEQ_OFFSET, class3OpenSeqs);
            return b;
        }

        static Login decode(byte[] p) throws FrameFormatException {
            need(p, LoginDescriptor.LENGTH, ElsDescriptor.name(Bytes.u8(p, 0)));
            if (!(p.length == LoginDescriptor.LENGTH)) {
                throw new FrameFormatException(BAD_LENGTH, "login payload " + p.length + " bytes, not 116");
            }
            require((Bytes.u16(p, LoginDescriptor.CLASS3_OFFSET) & LoginDescriptor.CPC_VALID) != 0, BAD_FIELD,
                    "class 3 service parameters not valid");
            return new Login(Bytes.u8(p, 0), Bytes.u16(p, LoginDescriptor.VERSION_OFFSET),
                    Bytes.u16(p, LoginDescriptor.BB_CREDIT_OFFSET), Bytes.u16(p, LoginDescriptor.FEATURES_OFFSET),
                    Bytes.u16(p, LoginDescriptor.BB_RCV_SIZE_OFFSET), Bytes.i32(p, LoginDescriptor.WORD2_OFFSET),
                    Bytes.i32(p, LoginDescriptor.E_D_TOV_OFFSET), Bytes.i64(p, LoginDescriptor.WWPN_OFFSET),
                    Bytes.i64(p, LoginDescriptor.WWNN_OFFSET), Bytes.u16(p, LoginDescriptor.CLASS3_OFFSET),
                    Bytes.u16(p, LoginDescriptor.CLASS3_RCV_SIZE_OFFSET),
                    Bytes.u16(p, LoginDescriptor.CLASS3_CONCURRENT_SEQ_OFFSET),
                    Bytes.u8(p, LoginDescriptor.CLASS3_OPEN_SEQ_OFFSET));
        }
    }

    /** One service parameter page of a PRLI/PRLO (flags carry the accept response code in LS_ACC). */
    record ServicePage(int type, int typeExtension, int flags, int originatorPa, int responderPa, int serviceParams) {
        /** The FCP page Linux libfc sends for an initiator or target ({@code fc_rport_enter_prli}). */
        public static ServicePage fcp(boolean initiator, boolean target) {
            int params = (initiator ? PrliDescriptor.FCP_SPPF_INIT_FCN : 0)
                    | (target ? PrliDescriptor.FCP_SPPF_TARG_FCN : 0) | PrliDescriptor.FCP_SPPF_RD_XRDY_DIS;
            return new ServicePage(FrameHeaderDescriptor.TYPE_FCP, 0, PrliDescriptor.SPP_EST_IMG_PAIR, 0, 0, params);
        }

        public boolean initiatorFunction() {
            return (serviceParams & PrliDescriptor.FCP_SPPF_INIT_FCN) != 0;
        }

        public boolean targetFunction() {
            return (serviceParams & PrliDescriptor.FCP_SPPF_TARG_FCN) != 0;
        }

        public int responseCode() {
            return flags & PrliDescriptor.SPP_RESP_MASK;
        }
    }

    /** PRLI, PRLO or their LS_ACC ({@link PrliDescriptor}). */
    record Prli(int command, List<ServicePage> pages) implements Els {
        public Prli {
            pages = List.copyOf(pages);
        }

        @Override
        public byte[] encode() {
            int len = PrliDescriptor.HEADER_LENGTH + PrliDescriptor.PAGE_LENGTH * pages.size();
            byte[] b = new byte[len];
            Bytes.put8(b, 0, command);
            Bytes.put8(b, PrliDescriptor.PAGE_LENGTH_OFFSET, PrliDescriptor.PAGE_LENGTH);
            Bytes.put16(b, PrliDescriptor.PAYLOAD_LENGTH_OFFSET, len);
            int off = PrliDescriptor.HEADER_LENGTH;
            for (ServicePage s : pages) {
                Bytes.put8(b, off, s.type());
                Bytes.put8(b, off + 1, s.typeExtension());
                Bytes.put8(b, off + 2, s.flags());
                Bytes.put32(b, off + 4, s.originatorPa());
                Bytes.put32(b, off + 8, s.responderPa());
                Bytes.put32(b, off + 12, s.serviceParams());
                off += PrliDescriptor.PAGE_LENGTH;
            }
            return b;
        }

        static Prli decode(byte[] p) throws FrameFormatException {
            need(p, PrliDescriptor.HEADER_LENGTH + PrliDescriptor.PAGE_LENGTH, ElsDescriptor.name(Bytes.u8(p, 0)));
            if (!(Bytes.u8(p, PrliDescriptor.PAGE_LENGTH_OFFSET) == PrliDescriptor.PAGE_LENGTH)) {
                throw new FrameFormatException(BAD_FIELD, "page length " + Bytes.u8(p, PrliDescriptor.PAGE_LENGTH_OFFSET));
            }
            int len = Bytes.u16(p, PrliDescriptor.PAYLOAD_LENGTH_OFFSET);
            if (!(len == p.length && (len - PrliDescriptor.HEADER_LENGTH) % PrliDescriptor.PAGE_LENGTH == 0)) {
                throw new FrameFormatException(BAD_LENGTH, "payload length field " + len + ", " + p.length + " bytes");
            }
            List<ServicePage> pages = new ArrayList<>();
            for (int off = PrliDescriptor.HEADER_LENGTH; off < len; off += PrliDescriptor.PAGE_LENGTH) {
                pages.add(new ServicePage(Bytes.u8(p, off), Bytes.u8(p, off + 1), Bytes.u8(p, off + 2),
                        Bytes.i32(p, off + 4), Bytes.i32(p, off + 8), Bytes.i32(p, off + 12)));
            }
            return new Prli(Bytes.u8(p, 0), pages);
        }
    }

    /** LOGO: the N_Port ID and WWPN of the port logging out. */
    record Logo(int nPortId, long wwpn) implements Els {
        @Override
        public int command() {
            return LOGO;
        }

        @Override
        public byte[] encode() {
            byte[] b = new byte[LOGO_LENGTH];
            Bytes.put8(b, 0, LOGO);
            Bytes.put24(b, LOGO_PORT_ID_OFFSET, nPortId);
            Bytes.put64(b, LOGO_WWPN_OFFSET, wwpn);
            return b;
        }

        static Logo decode(byte[] p) throws FrameFormatException {
            need(p, LOGO_LENGTH, "LOGO");
            if (!(p.length == LOGO_LENGTH)) {
                throw new FrameFormatException(BAD_LENGTH, "LOGO " + p.length + " bytes");
            }
            return new Logo(Bytes.u24(p, LOGO_PORT_ID_OFFSET), Bytes.i64(p, LOGO_WWPN_OFFSET));
        }
    }

    /** SCR: state change registration with the fabric controller. */
    record Scr(int function) implements Els {
        @Override
        public int command() {
            return SCR;
        }

        @Override
        public byte[] encode() {
            byte[] b = new byte[SCR_LENGTH];
            Bytes.put8(b, 0, SCR);
            Bytes.put8(b, SCR_FUNCTION_OFFSET, function);
            return b;
        }

        static Scr decode(byte[] p) throws FrameFormatException {
            need(p, SCR_LENGTH, "SCR");
            if (!(p.length == SCR_LENGTH)) {
                throw new FrameFormatException(BAD_LENGTH, "SCR " + p.length + " bytes");
            }
            int f = Bytes.u8(p, SCR_FUNCTION_OFFSET);
            if (!(f == SCRF_FAB || f == SCRF_NPORT || f == SCRF_FULL || f == SCRF_CLEAR)) {
                throw new FrameFormatException(BAD_FIELD, "SCR function " + f);
            }
            return new Scr(f);
        }
    }

    /** One RSCN page: event qualifier (4 bits), address format (2 bits), affected address (24 bits). */
    record RscnPage(int eventQualifier, int addressFormat, int address) {
    }

    /** RSCN: registered state change notification, one or more pages. */
    record Rscn(List<RscnPage> pages) implements Els {
        public Rscn {
            pages = List.copyOf(pages);
        }

        @Override
        public int command() {
            return RSCN;
        }

        @Override
        public byte[] encode() {
            int len = RSCN_HEADER_LENGTH + RSCN_PAGE_LEN * pages.size();
            byte[] b = new byte[len];
            Bytes.put8(b, 0, RSCN);
            Bytes.put8(b, 1, RSCN_PAGE_LEN);
            Bytes.put16(b, 2, len);
            int off = RSCN_HEADER_LENGTH;
            for (RscnPage pg : pages) {
                Bytes.put8(b, off, (pg.eventQualifier() & RSCN_EV_QUAL_MASK) << RSCN_EV_QUAL_SHIFT
                        | (pg.addressFormat() & RSCN_ADDR_FMT_MASK));
                Bytes.put24(b, off + 1, pg.address());
                off += RSCN_PAGE_LEN;
            }
            return b;
        }

        static Rscn decode(byte[] p) throws FrameFormatException {
            need(p, RSCN_HEADER_LENGTH + RSCN_PAGE_LEN, "RSCN");
            if (!(Bytes.u8(p, 1) == RSCN_PAGE_LEN)) {
                throw new FrameFormatException(BAD_FIELD, "RSCN page length " + Bytes.u8(p, 1));
            }
            int len = Bytes.u16(p, 2);
            if (!(len == p.length && len % RSCN_PAGE_LEN == 0)) {
                throw new FrameFormatException(BAD_LENGTH, "RSCN payload length field " + len + ", " + p.length + " bytes");
            }
            List<RscnPage> pages = new ArrayList<>();
            for (int off = RSCN_HEADER_LENGTH; off < len; off += RSCN_PAGE_LEN) {
                int flags = Bytes.u8(p, off);
                if (!((flags & 0xC0) == 0)) {
                    throw new FrameFormatException(BAD_FIELD, "RSCN page flags 0x%02x".formatted(flags));
                }
                pages.add(new RscnPage(flags >>> RSCN_EV_QUAL_SHIFT & RSCN_EV_QUAL_MASK, flags & RSCN_ADDR_FMT_MASK,
                        Bytes.u24(p, off + 1)));
            }
            return new Rscn(pages);
        }
    }

    /** ADISC or its LS_ACC. */
    record Adisc(int command, int hardAddress, long wwpn, long wwnn, int nPortId) implements Els {
        @Override
        public byte[] encode() {
            byte[] b = new byte[ADISC_LENGTH];
            Bytes.put8(b, 0, command);
            Bytes.put24(b, ADISC_HARD_ADDR_OFFSET, hardAddress);
            Bytes.put64(b, ADISC_WWPN_OFFSET, wwpn);
            Bytes.put64(b, ADISC_WWNN_OFFSET, wwnn);
            Bytes.put24(b, ADISC_PORT_ID_OFFSET, nPortId);
            return b;
        }

        static Adisc decode(byte[] p) throws FrameFormatException {
            need(p, ADISC_LENGTH, "ADISC");
            if (!(p.length == ADISC_LENGTH)) {
                throw new FrameFormatException(BAD_LENGTH, "ADISC " + p.length + " bytes");
            }
            return new Adisc(Bytes.u8(p, 0), Bytes.u24(p, ADISC_HARD_ADDR_OFFSET), Bytes.i64(p, ADISC_WWPN_OFFSET),
                    Bytes.i64(p, ADISC_WWNN_OFFSET), Bytes.u24(p, ADISC_PORT_ID_OFFSET));
        }
    }

    /** Plain LS_ACC (4 bytes) to LOGO, SCR, RSCN, PRLO without pages. */
    record LsAcc() implements Els {
        @Override
        public int command() {
            return LS_ACC;
        }

        @Override
        public byte[] encode() {
            byte[] b = new byte[LS_ACC_LENGTH];
            Bytes.put8(b, 0, LS_ACC);
            return b;
        }

        static LsAcc decode(byte[] p) throws FrameFormatException {
            need(p, LS_ACC_LENGTH, "LS_ACC");
            return new LsAcc();
        }
    }

    /** LS_RJT with reason and explanation ({@link ElsDescriptor#RJT_INVAL} ..., {@link ElsDescriptor#EXPL_NONE} ...). */
    record LsRjt(int reason, int explanation, int vendor) implements Els {
        public LsRjt(int reason, int explanation) {
            this(reason, explanation, 0);
        }

        @Override
        public int command() {
            return LS_RJT;
        }

        @Override
        public byte[] encode() {
            byte[] b = new byte[LS_RJT_LENGTH];
            Bytes.put8(b, 0, LS_RJT);
            Bytes.put8(b, LS_RJT_REASON_OFFSET, reason);
            Bytes.put8(b, LS_RJT_EXPLANATION_OFFSET, explanation);
            Bytes.put8(b, LS_RJT_VENDOR_OFFSET, vendor);
            return b;
        }

        static LsRjt decode(byte[] p) throws FrameFormatException {
            need(p, LS_RJT_LENGTH, "LS_RJT");
            if (!(p.length == LS_RJT_LENGTH)) {
                throw new FrameFormatException(BAD_LENGTH, "LS_RJT " + p.length + " bytes");
            }
            return new LsRjt(Bytes.u8(p, LS_RJT_REASON_OFFSET), Bytes.u8(p, LS_RJT_EXPLANATION_OFFSET),
                    Bytes.u8(p, LS_RJT_VENDOR_OFFSET));
        }
    }
}
