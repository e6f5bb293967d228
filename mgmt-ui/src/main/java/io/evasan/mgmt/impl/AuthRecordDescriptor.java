package io.evasan.mgmt.impl;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Layout of the stored admin credential (MLD record {@code mgmt.auth/admin-token}, or the file
 * {@code mgmt-auth.bin}): only a salted SHA-256 of the token, never the token.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                        magic 'EVMA'                           |  0
 *  +---------------------------------------------------------------+
 *  |                        version (1)                            |  4
 *  +---------------------------------------------------------------+
 *  |                        salt (16 bytes)                        |  8
 *  +---------------------------------------------------------------+
 *  |                 SHA-256(salt || token UTF-8) (32 bytes)       | 24
 *  +---------------------------------------------------------------+
 *  total 56 bytes, little endian
 * </pre>
 * The token is 256 random bits, so one salted hash round suffices (a key-stretching function such as
 * PBKDF2 protects low-entropy passwords, and would cost every API request its iterations).
 */
public final class AuthRecordDescriptor {
    public static final int MAGIC = 0x414D5645; // "EVMA" little endian
    public static final int VERSION = 1;
    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 4;
    public static final int SALT_OFFSET = 8;
    public static final int SALT_LENGTH = 16;
    public static final int HASH_OFFSET = SALT_OFFSET + SALT_LENGTH;
    public static final int HASH_LENGTH = 32;
    public static final int LENGTH = HASH_OFFSET + HASH_LENGTH;

    private AuthRecordDescriptor() {
    }

    /** Encodes salt and hash into a record of {@link #LENGTH} bytes. */
    public static byte[] encode(byte[] salt, byte[] hash) {
        if (salt.length != SALT_LENGTH || hash.length != HASH_LENGTH) {
            throw new IllegalArgumentException("salt must be 16 and hash 32 bytes");
        }
        ByteBuffer b = ByteBuffer.allocate(LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC_OFFSET, MAGIC).putInt(VERSION_OFFSET, VERSION);
        b.put(SALT_OFFSET, salt).put(HASH_OFFSET, hash);
        return b.array();
    }

    /** @return whether {@code r} is a well-formed record of this version */
    public static boolean valid(byte[] r) {
        if (r == null || r.length != LENGTH) {
            return false;
        }
        ByteBuffer b = ByteBuffer.wrap(r).order(ByteOrder.LITTLE_ENDIAN);
        return b.getInt(MAGIC_OFFSET) == MAGIC && b.getInt(VERSION_OFFSET) == VERSION;
    }

    public static byte[] salt(byte[] r) {
        byte[] s = new byte[SALT_LENGTH];
        System.arraycopy(r, SALT_OFFSET, s, 0, SALT_LENGTH);
        return s;
    }

    public static byte[] hash(byte[] r) {
        byte[] h = new byte[HASH_LENGTH];
        System.arraycopy(r, HASH_OFFSET, h, 0, HASH_LENGTH);
        return h;
    }
}
