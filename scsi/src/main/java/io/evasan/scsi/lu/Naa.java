package io.evasan.scsi.lu;

/**
 * NAA identifier layout (SPC-4 7.8.6.6): the 16-byte NAA 6 "IEEE Registered Extended" form.
 *
 * <pre>
 *  byte 0   NAA (7:4) = 6 | IEEE COMPANY_ID (23:20)
 *  byte 1-2 IEEE COMPANY_ID (19:4)
 *  byte 3   IEEE COMPANY_ID (3:0) | VENDOR SPECIFIC IDENTIFIER (35:32)
 *  byte 4-7 VENDOR SPECIFIC IDENTIFIER (31:0)
 *  byte 8-15 VENDOR SPECIFIC IDENTIFIER EXTENSION
 * </pre>
 *
 * Invariant: the same (companyId, id, extension) always yields the same 16 bytes.
 */
public final class Naa {
    /** A locally administered company id used by this appliance. */
    public static final int EVASAN_COMPANY_ID = 0x001E0F;

    private Naa() {
    }

    public static byte[] registeredExtended(int companyId, long vendorId36, long extension) {
        byte[] b = new byte[16];
        b[0] = (byte) (0x60 | (companyId >>> 20 & 0x0F));
        b[1] = (byte) (companyId >>> 12);
        b[2] = (byte) (companyId >>> 4);
        b[3] = (byte) ((companyId & 0x0F) << 4 | (int) (vendorId36 >>> 32 & 0x0F));
        io.evasan.scsi.cdb.CdbDescriptor.put32(b, 4, vendorId36);
        io.evasan.scsi.cdb.CdbDescriptor.put64(b, 8, extension);
        return b;
    }

    /** A stable NAA 6 id derived from a name (e.g. the LUN's catalogue name or WWN seed). */
    public static byte[] fromName(String name) {
        long h1 = 0xcbf29ce484222325L;
        long h2 = 0x84222325cbf29ce4L;
        for (byte c : name.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            h1 = (h1 ^ (c & 0xFF)) * 0x100000001b3L;
            h2 = (h2 ^ (c & 0xFF)) * 0x100000001b3L + 7;
        }
        return registeredExtended(EVASAN_COMPANY_ID, h1 & 0xFFFFFFFFFL, h2);
    }
}
