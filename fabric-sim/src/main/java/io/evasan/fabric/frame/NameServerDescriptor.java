package io.evasan.fabric.frame;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

import static io.evasan.fabric.frame.FrameFormatException.Problem.BAD_CT;
import static io.evasan.fabric.frame.FrameFormatException.Problem.BAD_FIELD;
import static io.evasan.fabric.frame.FrameFormatException.Problem.BAD_LENGTH;
import static io.evasan.fabric.frame.FrameFormatException.need;
import static io.evasan.fabric.frame.FrameFormatException.require;

/**
 * Name server command codes and the bodies that follow the CT_IU preamble (FC-GS-7 clause 5.2;
 * Linux {@code include/uapi/scsi/fc/fc_ns.h}: {@code enum fc_ns_req}, {@code struct fc_ns_fid},
 * {@code fc_ns_gid_ft}, {@code fc_gpn_ft_resp}, {@code fc_ns_gid_pn}, {@code fc_gid_pn_resp},
 * {@code fc_ns_rft_id}, {@code fc_ns_rff_id}, {@code fc_ns_rn_id}, {@code fc_ns_rspn}). All fields
 * big-endian.
 *
 * <pre>
 * GPN_ID, GNN_ID request (4)    | flags/resvd   | port ID (24 bits)                            |
 * GPN_ID, GNN_ID accept (8)     | port name / node name, 8 bytes                               |
 * GID_PN request (8)            | port name, 8 bytes                                           |
 * GID_PN accept (4)             | reserved      | port ID                                      |
 * GID_FT, GPN_FT request (4)    | reserved      | domain scope  | area scope    | FC-4 TYPE    |
 * GID_FT accept (4 per port)    | ctl (0x80 on the last entry)  | port ID                      |
 * GPN_FT accept (16 per port)   | ctl | port ID | reserved (4)  | port name, 8 bytes           |
 * RFT_ID request (36)           | resvd | port ID | FC-4 TYPE bitmap, 8 words: TYPE t is bit     |
 *                               |  (t mod 32) of word (t / 32); FCP 0x08 = word 0 0x00000100  |
 * RFF_ID request (8)            | resvd | port ID | reserved (2) | features | FC-4 TYPE         |
 * RNN_ID request (12)           | resvd | port ID | node name, 8 bytes                           |
 * RSPN_ID request (5 + n)       | resvd | port ID | name length n | symbolic port name (n bytes)|
 * R*_ID accept                  | empty                                                        |
 * </pre>
 */
public final class NameServerDescriptor {
    // ---- command codes (fc_ns.h enum fc_ns_req)
    public static final int GPN_ID = 0x0112;
    public static final int GNN_ID = 0x0113;
    public static final int GID_PN = 0x0121;
    public static final int GID_FT = 0x0171;
    public static final int GPN_FT = 0x0172;
    public static final int RNN_ID = 0x0213;
    public static final int RFT_ID = 0x0217;
    public static final int RSPN_ID = 0x0218;
    public static final int RFF_ID = 0x021F;

    /** Last entry of a GID_FT/GPN_FT accept ({@code FC_NS_FID_LAST}). */
    public static final int FID_LAST = 0x80;
    /** Number of FC-4 TYPEs in the RFT_ID bitmap ({@code FC_NS_TYPES}); bits per word {@code FC_NS_BPW}. */
    public static final int FC4_TYPES = 256;
    public static final int FC4_BITMAP_LENGTH = FC4_TYPES / 8;
    /** RFF_ID features for FCP ({@code FCP_FEAT_TARG}, {@code FCP_FEAT_INIT} in include/scsi/fc/fc_fcp.h). */
    public static final int FCP_FEAT_TARG = 0x01;
    public static final int FCP_FEAT_INIT = 0x02;
    public static final int GPN_FT_ENTRY_LENGTH = 16;
    public static final int GID_FT_ENTRY_LENGTH = 4;
    public static final int MAX_SYMBOLIC_NAME = 255;

    private NameServerDescriptor() {
    }

    /** A name server request body, decoded by command code. */
    public sealed interface Request {
        int command();

        byte[] body();

        /** Preamble and body, ready as a CT frame payload. */
        default byte[] encode() {
            return CtDescriptor.Header.nameServerRequest(command()).with(body());
        }
    }

    public record GidFt(int fc4Type) implements Request {
        public int command() {
            return GID_FT;
        }

        public byte[] body() {
            return new byte[] {0, 0, 0, (byte) fc4Type};
        }
    }

    public record GpnFt(int fc4Type) implements Request {
        public int command() {
            return GPN_FT;
        }

        public byte[] body() {
            return new byte[] {0, 0, 0, (byte) fc4Type};
        }
    }

    public record GpnId(int portId) implements Request {
        public int command() {
            return GPN_ID;
        }

        public byte[] body() {
            return fid(portId, 4);
        }
    }

    public record GnnId(int portId) implements Request {
        public int command() {
            return GNN_ID;
        }

        public byte[] body() {
            return fid(portId, 4);
        }
    }

    public record GidPn(long wwpn) implements Request {
        public int command() {
            return GID_PN;
        }

        public byte[] body() {
            byte[] b = new byte[8];
            Bytes.put64(b, 0, wwpn);
            return b;
        }
    }

    /** RFT_ID; {@code types} holds the registered FC-4 TYPE numbers (0..255). */
    public record RftId(int portId, BitSet types) implements Request {
        public RftId {
            types = (BitSet) types.clone();
        }

        public static RftId of(int portId, int... fc4Types) {
            BitSet s = new BitSet(FC4_TYPES);
            for (int t : fc4Types) {
                s.set(t);
            }
            return new RftId(portId, s);
        }

        @Override
        public BitSet types() {
            return (BitSet) types.clone();
        }

        public int command() {
            return RFT_ID;
        }

        public byte[] body() {
            byte[] b = fid(portId, 4 + FC4_BITMAP_LENGTH);
            for (int t = types.nextSetBit(0); t >= 0 && t < FC4_TYPES; t = types.nextSetBit(t + 1)) {
                int word = 4 + (t / 32) * 4;
                int bit = t % 32;
                b[word + 3 - bit / 8] |= (byte) (1 << (bit % 8));
            }
            return b;
        }
    }

    public record RffId(int portId, int features, int fc4Type) implements Request {
        public int command() {
            return RFF_ID;
        }

        public byte[] body() {
            byte[] b = fid(portId, 8);
            Bytes.put8(b, 6, features);
            Bytes.put8(b, 7, fc4Type);
            return b;
        }
    }

    public record RnnId(int portId, long wwnn) implements Request {
        public int command() {
            return RNN_ID;
        }

        public byte[] body() {
            byte[] b = fid(portId, 12);
            Bytes.put64(b, 4, wwnn);
            return b;
        }
    }

    public record RspnId(int portId, String name) implements Request {
        public RspnId {
            if (name.getBytes(StandardCharsets.UTF_8).length > MAX_SYMBOLIC_NAME) {
                throw new IllegalArgumentException("symbolic name longer than 255 bytes");
            }
        }

        public int command() {
            return RSPN_ID;
        }

        public byte[] body() {
            byte[] n = name.getBytes(StandardCharsets.UTF_8);
            byte[] b = fid(portId, 5 + n.length);
            Bytes.put8(b, 4, n.length);
            System.arraycopy(n, 0, b, 5, n.length);
            return b;
        }
    }

    private static byte[] fid(int portId, int length) {
        byte[] b = new byte[length];
        Bytes.put24(b, 1, portId);
        return b;
    }

    /**
     * Decodes a request body (after the 16-byte preamble) for {@code command}.
     *
     * @throws FrameFormatException BAD_CT for an unknown command code, TRUNCATED/BAD_LENGTH/BAD_FIELD
     */
    public static Request decodeRequest(int command, byte[] body) throws FrameFormatException {
        switch (command) {
            case GID_FT, GPN_FT -> {
                exact(body, 4, command);
                require(Bytes.u8(body, 1) == 0 && Bytes.u8(body, 2) == 0, BAD_FIELD, "domain/area scope not supported");
                return command == GID_FT ? new GidFt(Bytes.u8(body, 3)) : new GpnFt(Bytes.u8(body, 3));
            }
            case GPN_ID, GNN_ID -> {
                exact(body, 4, command);
                int id = Bytes.u24(body, 1);
                return command == GPN_ID ? new GpnId(id) : new GnnId(id);
            }
            case GID_PN -> {
                exact(body, 8, command);
                return new GidPn(Bytes.i64(body, 0));
            }
            case RFT_ID -> {
                exact(body, 4 + FC4_BITMAP_LENGTH, command);
                BitSet s = new BitSet(FC4_TYPES);
                for (int t = 0; t < FC4_TYPES; t++) {
                    int word = 4 + (t / 32) * 4;
                    int bit = t % 32;
                    if ((body[word + 3 - bit / 8] & (1 << (bit % 8))) != 0) {
                        s.set(t);
                    }
                }
                return new RftId(Bytes.u24(body, 1), s);
            }
            case RFF_ID -> {
                exact(body, 8, command);
                return new RffId(Bytes.u24(body, 1), Bytes.u8(body, 6), Bytes.u8(body, 7));
            }
            case RNN_ID -> {
                exact(body, 12, command);
                return new RnnId(Bytes.u24(body, 1), Bytes.i64(body, 4));
            }
            case RSPN_ID -> {
                need(body, 5, "RSPN_ID");
                int n = Bytes.u8(body, 4);
                need(body, 5 + n, "RSPN_ID name");
                if (!(body.length - 5 - n < 4)) {
                    throw new FrameFormatException(BAD_LENGTH, "RSPN_ID " + body.length + " bytes for a " + n + "-byte name");
                }
                return new RspnId(Bytes.u24(body, 1), new String(body, 5, n, StandardCharsets.UTF_8));
            }
            default -> throw new FrameFormatException(BAD_CT, "name server command 0x%04x".formatted(command));
        }
    }

    private static void exact(byte[] body, int length, int command) throws FrameFormatException {
        need(body, length, "name server 0x%04x".formatted(command));
        if (!(body.length == length)) {
            throw new FrameFormatException(BAD_LENGTH, "name server 0x%04x body %d bytes, not %d".formatted(command, body.length, length));
        }
    }

    // ---- accept bodies

    /** GID_FT accept: one entry per port ID, the last flagged {@link #FID_LAST}. Invariant: non-empty. */
    public static byte[] encodeGidFtAccept(List<Integer> portIds) {
        if (portIds.isEmpty()) {
            throw new IllegalArgumentException("an empty GID_FT answer is a reject (FTNR), not an accept");
        }
        byte[] b = new byte[GID_FT_ENTRY_LENGTH * portIds.size()];
        for (int i = 0; i < portIds.size(); i++) {
            Bytes.put24(b, i * GID_FT_ENTRY_LENGTH + 1, portIds.get(i));
        }
        b[b.length - GID_FT_ENTRY_LENGTH] = (byte) FID_LAST;
        return b;
    }

    public static List<Integer> decodeGidFtAccept(byte[] body) throws FrameFormatException {
        List<Integer> ids = new ArrayList<>();
        for (int off = 0; ; off += GID_FT_ENTRY_LENGTH) {
            need(body, off + GID_FT_ENTRY_LENGTH, "GID_FT accept without a last entry");
            ids.add(Bytes.u24(body, off + 1));
            if ((Bytes.u8(body, off) & FID_LAST) != 0) {
                return ids;
            }
        }
    }

    /** One GPN_FT accept entry. */
    public record PortEntry(int portId, long wwpn) {
    }

    public static byte[] encodeGpnFtAccept(List<PortEntry> entries) {
        if (entries.isEmpty()) {
            throw new IllegalArgumentException("an empty GPN_FT answer is a reject (FTNR), not an accept");
        }
        byte[] b = new byte[GPN_FT_ENTRY_LENGTH * entries.size()];
        for (int i = 0; i < entries.size(); i++) {
            Bytes.put24(b, i * GPN_FT_ENTRY_LENGTH + 1, entries.get(i).portId());
            Bytes.put64(b, i * GPN_FT_ENTRY_LENGTH + 8, entries.get(i).wwpn());
        }
        b[b.length - GPN_FT_ENTRY_LENGTH] = (byte) FID_LAST;
        return b;
    }

    public static List<PortEntry> decodeGpnFtAccept(byte[] body) throws FrameFormatException {
        List<PortEntry> out = new ArrayList<>();
        for (int off = 0; ; off += GPN_FT_ENTRY_LENGTH) {
            need(body, off + GPN_FT_ENTRY_LENGTH, "GPN_FT accept without a last entry");
            out.add(new PortEntry(Bytes.u24(body, off + 1), Bytes.i64(body, off + 8)));
            if ((Bytes.u8(body, off) & FID_LAST) != 0) {
                return out;
            }
        }
    }

    /** GPN_ID / GNN_ID accept: one name. */
    public static byte[] encodeNameAccept(long wwn) {
        byte[] b = new byte[8];
        Bytes.put64(b, 0, wwn);
        return b;
    }

    public static long decodeNameAccept(byte[] body) throws FrameFormatException {
        exact(body, 8, GPN_ID);
        return Bytes.i64(body, 0);
    }

    /** GID_PN accept: one port ID. */
    public static byte[] encodePortIdAccept(int portId) {
        return fid(portId, 4);
    }

    public static int decodePortIdAccept(byte[] body) throws FrameFormatException {
        exact(body, 4, GID_PN);
        return Bytes.u24(body, 1);
    }
}
