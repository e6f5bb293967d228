package io.evasan.scsi.sense;

/**
 * Sense data layouts (SPC-4 4.5) and their builders/parsers. Writes into a caller-owned array
 * (the task's sense buffer): no allocation.
 *
 * <pre>
 * Fixed format (70h current / 71h deferred), 18 bytes:
 *  byte 0   VALID(7) | RESPONSE CODE (6:0) = 70h/71h
 *  byte 1   obsolete
 *  byte 2   FILEMARK(7) EOM(6) ILI(5) reserved(4) | SENSE KEY (3:0)
 *  byte 3-6 INFORMATION (big-endian, meaningful when VALID=1)
 *  byte 7   ADDITIONAL SENSE LENGTH (n-7) = 10
 *  byte 8-11 COMMAND-SPECIFIC INFORMATION
 *  byte 12  ADDITIONAL SENSE CODE
 *  byte 13  ADDITIONAL SENSE CODE QUALIFIER
 *  byte 14  FIELD REPLACEABLE UNIT CODE
 *  byte 15  SKSV(7) | C/D(6) | reserved | BPV(3) | BIT POINTER(2:0)
 *  byte 16-17 FIELD POINTER (sense-key specific)
 *
 * Descriptor format (72h current / 73h deferred), 8-byte header + descriptors:
 *  byte 0   reserved(7) | RESPONSE CODE = 72h/73h
 *  byte 1   reserved | SENSE KEY (3:0)
 *  byte 2   ADDITIONAL SENSE CODE
 *  byte 3   ADDITIONAL SENSE CODE QUALIFIER
 *  byte 4-6 reserved
 *  byte 7   ADDITIONAL SENSE LENGTH (n-7)
 *  Information descriptor (type 00h, 12 bytes): 00h, 0Ah, VALID(7)=1, reserved, INFORMATION (8)
 *  Sense-key specific descriptor (type 02h, 8 bytes): 02h, 06h, reserved, reserved,
 *                                 SKSV|C/D|BPV|BIT POINTER, FIELD POINTER (2), reserved
 * </pre>
 *
 * Invariant: builders return the number of valid bytes and never write past that length.
 */
public final class SenseDataDescriptor {
    public static final int FIXED_CURRENT = 0x70;
    public static final int FIXED_DEFERRED = 0x71;
    public static final int DESC_CURRENT = 0x72;
    public static final int DESC_DEFERRED = 0x73;

    public static final int FIXED_LENGTH = 18;
    public static final int FIXED_INFORMATION_OFFSET = 3;
    public static final int FIXED_ADDITIONAL_LENGTH_OFFSET = 7;
    public static final int FIXED_ASC_OFFSET = 12;
    public static final int FIXED_ASCQ_OFFSET = 13;
    public static final int FIXED_SKS_OFFSET = 15;

    public static final int DESC_HEADER_LENGTH = 8;
    public static final int DESC_INFORMATION_TYPE = 0x00;
    public static final int DESC_INFORMATION_LENGTH = 12;
    public static final int DESC_SKS_TYPE = 0x02;
    public static final int DESC_SKS_LENGTH = 8;

    /** No sense-key-specific field pointer. */
    public static final int NO_FIELD = -1;

    private SenseDataDescriptor() {
    }

    /**
     * Builds fixed-format sense.
     *
     * @param information  value for the INFORMATION field, or {@code infoValid=false}
     * @param fieldPointer byte offset of the bad field (ILLEGAL REQUEST), or {@link #NO_FIELD}
     * @param inCdb        true when the field pointer points into the CDB, false into the parameter list
     * @param bitPointer   bit of the bad field (0..7), or -1 when not given
     * @return the sense length (18)
     */
    public static int buildFixed(byte[] out, boolean deferred, int code, boolean infoValid, long information,
                                 int fieldPointer, boolean inCdb, int bitPointer) {
        java.util.Arrays.fill(out, 0, FIXED_LENGTH, (byte) 0);
        out[0] = (byte) ((infoValid ? 0x80 : 0) | (deferred ? FIXED_DEFERRED : FIXED_CURRENT));
        out[2] = (byte) SenseCodes.key(code);
        if (infoValid) {
            int v = (int) information; // fixed format carries 4 bytes
            out[3] = (byte) (v >>> 24);
            out[4] = (byte) (v >>> 16);
            out[5] = (byte) (v >>> 8);
            out[6] = (byte) v;
        }
        out[FIXED_ADDITIONAL_LENGTH_OFFSET] = (byte) (FIXED_LENGTH - 8);
        out[FIXED_ASC_OFFSET] = (byte) SenseCodes.asc(code);
        out[FIXED_ASCQ_OFFSET] = (byte) SenseCodes.ascq(code);
        if (fieldPointer >= 0) {
            out[FIXED_SKS_OFFSET] = (byte) sksByte(inCdb, bitPointer);
            out[16] = (byte) (fieldPointer >>> 8);
            out[17] = (byte) fieldPointer;
        }
        return FIXED_LENGTH;
    }

    /** Builds descriptor-format sense with optional information and sense-key-specific descriptors. */
    public static int buildDescriptor(byte[] out, boolean deferred, int code, boolean infoValid, long information,
                                      int fieldPointer, boolean inCdb, int bitPointer) {
        int len = DESC_HEADER_LENGTH + (infoValid ? DESC_INFORMATION_LENGTH : 0)
                + (fieldPointer >= 0 ? DESC_SKS_LENGTH : 0);
        java.util.Arrays.fill(out, 0, len, (byte) 0);
        out[0] = (byte) (deferred ? DESC_DEFERRED : DESC_CURRENT);
        out[1] = (byte) SenseCodes.key(code);
        out[2] = (byte) SenseCodes.asc(code);
        out[3] = (byte) SenseCodes.ascq(code);
        out[7] = (byte) (len - 8);
        int p = DESC_HEADER_LENGTH;
        if (infoValid) {
            out[p] = DESC_INFORMATION_TYPE;
            out[p + 1] = 0x0A;
            out[p + 2] = (byte) 0x80;
            for (int i = 0; i < 8; i++) {
                out[p + 4 + i] = (byte) (information >>> (56 - 8 * i));
            }
            p += DESC_INFORMATION_LENGTH;
        }
        if (fieldPointer >= 0) {
            out[p] = DESC_SKS_TYPE;
            out[p + 1] = 0x06;
            out[p + 4] = (byte) sksByte(inCdb, bitPointer);
            out[p + 5] = (byte) (fieldPointer >>> 8);
            out[p + 6] = (byte) fieldPointer;
        }
        return len;
    }

    /** Builds either format: {@code descriptor} selects 72h (Control mode page D_SENSE=1). */
    public static int build(byte[] out, boolean descriptor, int code, boolean infoValid, long information,
                            int fieldPointer, boolean inCdb, int bitPointer) {
        return descriptor
                ? buildDescriptor(out, false, code, infoValid, information, fieldPointer, inCdb, bitPointer)
                : buildFixed(out, false, code, infoValid, information, fieldPointer, inCdb, bitPointer);
    }

    private static int sksByte(boolean inCdb, int bitPointer) {
        int b = 0x80 | (inCdb ? 0x40 : 0);
        if (bitPointer >= 0) {
            b |= 0x08 | (bitPointer & 7);
        }
        return b;
    }

    // ---- parsers (either format)

    public static int responseCode(byte[] s) {
        return s[0] & 0x7F;
    }

    public static boolean isDescriptorFormat(byte[] s) {
        int rc = responseCode(s);
        return rc == DESC_CURRENT || rc == DESC_DEFERRED;
    }

    /** The packed key/asc/ascq of a sense buffer of either format. */
    public static int code(byte[] s) {
        if (isDescriptorFormat(s)) {
            return SenseCodes.of(s[1] & 0xF, s[2] & 0xFF, s[3] & 0xFF);
        }
        return SenseCodes.of(s[2] & 0xF, s[FIXED_ASC_OFFSET] & 0xFF, s[FIXED_ASCQ_OFFSET] & 0xFF);
    }

    /** The INFORMATION field, or -1 when not valid/present. */
    public static long information(byte[] s, int length) {
        if (isDescriptorFormat(s)) {
            int p = DESC_HEADER_LENGTH;
            int end = Math.min(length, 8 + (s[7] & 0xFF));
            while (p + 1 < end) {
                int type = s[p] & 0xFF;
                int dl = s[p + 1] & 0xFF;
                if (type == DESC_INFORMATION_TYPE && (s[p + 2] & 0x80) != 0) {
                    long v = 0;
                    for (int i = 0; i < 8; i++) {
                        v = v << 8 | (s[p + 4 + i] & 0xFF);
                    }
                    return v;
                }
                p += 2 + dl;
            }
            return -1;
        }
        if ((s[0] & 0x80) == 0) {
            return -1;
        }
        return (long) (s[3] & 0xFF) << 24 | (s[4] & 0xFF) << 16 | (s[5] & 0xFF) << 8 | (s[6] & 0xFF);
    }

    /** The sense-key-specific FIELD POINTER, or -1 when SKSV is clear. */
    public static int fieldPointer(byte[] s, int length) {
        if (isDescriptorFormat(s)) {
            int p = DESC_HEADER_LENGTH;
            int end = Math.min(length, 8 + (s[7] & 0xFF));
            while (p + 1 < end) {
                int type = s[p] & 0xFF;
                if (type == DESC_SKS_TYPE && (s[p + 4] & 0x80) != 0) {
                    return (s[p + 5] & 0xFF) << 8 | (s[p + 6] & 0xFF);
                }
                p += 2 + (s[p + 1] & 0xFF);
            }
            return -1;
        }
        if (length < FIXED_LENGTH || (s[FIXED_SKS_OFFSET] & 0x80) == 0) {
            return -1;
        }
        return (s[16] & 0xFF) << 8 | (s[17] & 0xFF);
    }
}
