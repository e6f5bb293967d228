package io.evasan.scsi.cdb;

import io.evasan.scsi.alua.AccessState;

import java.util.ArrayList;
import java.util.List;

import static io.evasan.scsi.cdb.CdbDescriptor.put16;
import static io.evasan.scsi.cdb.CdbDescriptor.put32;
import static io.evasan.scsi.cdb.CdbDescriptor.u16;
import static io.evasan.scsi.cdb.CdbDescriptor.u32;

/**
 * SET TARGET PORT GROUPS (SPC-4 6.45): the CDB and its parameter list (explicit asymmetric access).
 *
 * <pre>
 * CDB (MAINTENANCE OUT A4h, 12 bytes):
 *  0 A4h | 1 reserved(7:5) SERVICE ACTION(4:0) = 0Ah | 2-5 reserved |
 *  6-9 PARAMETER LIST LENGTH | 10 reserved | 11 CONTROL
 *
 * Parameter list (4 + 4 * n bytes):
 *  0-3 reserved
 *  4.. set target port group descriptors, 4 bytes each:
 *         7       6       5       4       3       2       1       0
 *  0   |   reserved                    | ASYMMETRIC ACCESS STATE       |
 *  1   |   reserved                                                    |
 *  2-3 | TARGET PORT GROUP                                             |
 * </pre>
 *
 * Invariant: {@link #decode} accepts exactly what {@link #encodeParameters} writes (reserved bits zero, whole
 * descriptors); anything else is refused with the byte and bit of the first bad field, which the target reports
 * as INVALID FIELD IN PARAMETER LIST with a sense-key specific field pointer.
 */
public final class SetTargetPortGroupsDescriptor {
    public static final int SERVICE_ACTION = 0x0A;
    public static final int CDB_LENGTH = 12;
    public static final int PARAMETER_LIST_LENGTH_OFFSET = 6;
    public static final int HEADER = 4;
    public static final int DESCRIPTOR = 4;

    private SetTargetPortGroupsDescriptor() {
    }

    /** One descriptor: set group {@code groupId} to {@code state}. */
    public record Request(int groupId, AccessState state) {
    }

    /** Why a parameter list was refused: the first bad field (byte, bit; bit -1 = the whole byte). */
    public static final class BadField extends Exception {
        public final int byteOffset;
        public final int bit;

        BadField(String what, int byteOffset, int bit) {
            super(what, null, false, false);
            this.byteOffset = byteOffset;
            this.bit = bit;
        }
    }

    /** Encodes the CDB; returns its length. */
    public static int encodeCdb(byte[] cdb, long parameterListLength) {
        java.util.Arrays.fill(cdb, 0, CDB_LENGTH, (byte) 0);
        cdb[0] = (byte) OpCodes.MAINTENANCE_OUT;
        cdb[1] = SERVICE_ACTION;
        put32(cdb, PARAMETER_LIST_LENGTH_OFFSET, parameterListLength);
        return CDB_LENGTH;
    }

    public static long parameterListLength(byte[] cdb) {
        return u32(cdb, PARAMETER_LIST_LENGTH_OFFSET);
    }

    /** The parameter list for {@code requests}. */
    public static byte[] encodeParameters(List<Request> requests) {
        byte[] p = new byte[HEADER + DESCRIPTOR * requests.size()];
        for (int i = 0; i < requests.size(); i++) {
            int off = HEADER + DESCRIPTOR * i;
            p[off] = (byte) requests.get(i).state().code();
            put16(p, off + 2, requests.get(i).groupId());
        }
        return p;
    }

    /**
     * Decodes {@code length} bytes of a parameter list. A length of 0 is no request at all (SPC-4: not an error).
     *
     * @throws BadField a length that is not a whole number of descriptors after the header (byte = the length),
     *                  a reserved bit set, or an access state code SPC-4 does not define
     */
    public static List<Request> decode(byte[] p, int length) throws BadField {
        List<Request> out = new ArrayList<>();
        if (length == 0) {
            return out;
        }
        if (length < HEADER || (length - HEADER) % DESCRIPTOR != 0) {
            throw new BadField("parameter list of " + length + " bytes is not a header and whole descriptors",
                    -1, -1);
        }
        for (int i = 0; i < HEADER; i++) {
            if (p[i] != 0) {
                throw new BadField("reserved byte " + i + " of the header is not zero", i, highestBit(p[i]));
            }
        }
        for (int off = HEADER; off < length; off += DESCRIPTOR) {
            if ((p[off] & 0xF0) != 0) {
                throw new BadField("reserved bits of byte " + off, off, highestBit(p[off] & 0xF0));
            }
            if (p[off + 1] != 0) {
                throw new BadField("reserved byte " + (off + 1), off + 1, highestBit(p[off + 1]));
            }
            AccessState state;
            try {
                state = AccessState.ofCode(p[off] & 0x0F);
            } catch (IllegalArgumentException e) {
                throw new BadField("access state code " + (p[off] & 0x0F) + " is reserved", off, 3);
            }
            out.add(new Request(u16(p, off + 2), state));
        }
        return out;
    }

    private static int highestBit(int b) {
        return 31 - Integer.numberOfLeadingZeros(b & 0xFF);
    }
}
