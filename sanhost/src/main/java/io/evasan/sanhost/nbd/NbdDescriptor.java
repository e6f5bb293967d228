package io.evasan.sanhost.nbd;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The NBD wire layouts sanhost speaks: the fixed newstyle handshake (server greeting, client
 * flags, option haggling with NBD_OPT_EXPORT_NAME / NBD_OPT_GO / NBD_OPT_INFO / NBD_OPT_LIST /
 * NBD_OPT_ABORT), and the transmission phase with simple replies only (no structured replies, no
 * extended headers). Values from the NBD protocol document ({@code doc/proto.md} of the
 * NetworkBlockDevice project). Every integer is big-endian.
 *
 * <pre>
 * Server greeting (18 bytes)
 *    +-------+-------+-------+-------+-------+-------+-------+-------+
 *   0| "NBDMAGIC" 4E 42 44 4D 41 47 49 43                            |
 *    +-------+-------+-------+-------+-------+-------+-------+-------+
 *   8| "IHAVEOPT" 49 48 41 56 45 4F 50 54                            |
 *    +-------+-------+-------+-------+-------+-------+-------+-------+
 *  16| handshake flags (FIXED_NEWSTYLE 1, NO_ZEROES 2)|
 *    +-------+-------+
 * Client flags (4 bytes): u32 (C_FIXED_NEWSTYLE 1, C_NO_ZEROES 2)
 *
 * Option request (16 + n bytes)
 *    +-------+-------+-------+-------+-------+-------+-------+-------+
 *   0| "IHAVEOPT"                                                    |
 *    +-------+-------+-------+-------+-------+-------+-------+-------+
 *   8| option                        | length n of the data          |
 *    +-------+-------+-------+-------+-------+-------+-------+-------+
 *  16| data (n bytes)  GO/INFO: u32 name length, name, u16 k, k x u16 info type
 *
 * Option reply (20 + n bytes)
 *    +-------+-------+-------+-------+-------+-------+-------+-------+
 *   0| reply magic 00 03 E8 89 04 55 65 A9                           |
 *    +-------+-------+-------+-------+-------+-------+-------+-------+
 *   8| option                        | reply type                    |
 *    +-------+-------+-------+-------+-------+-------+-------+-------+
 *  16| length n                      | data (n bytes)
 *    +-------+-------+-------+-------+
 *   NBD_REP_SERVER data: u32 name length, name
 *   NBD_REP_INFO data:   u16 info type, then INFO_EXPORT: u64 size, u16 transmission flags
 *                                           INFO_BLOCK_SIZE: u32 minimum, u32 preferred, u32 maximum
 *
 * NBD_OPT_EXPORT_NAME answer (10 bytes, + 124 zero bytes unless NO_ZEROES was agreed)
 *    | u64 export size | u16 transmission flags | [124 x 00]
 *
 * Request (28 bytes, + length bytes of data for NBD_CMD_WRITE)
 *    +-------+-------+-------+-------+-------+-------+-------+-------+
 *   0| magic 25 60 95 13             | command flags | type          |
 *    +-------+-------+-------+-------+-------+-------+-------+-------+
 *   8| handle (opaque cookie)                                        |
 *    +-------+-------+-------+-------+-------+-------+-------+-------+
 *  16| offset                                                        |
 *    +-------+-------+-------+-------+-------+-------+-------+-------+
 *  24| length                        |
 *    +-------+-------+-------+-------+
 *
 * Simple reply (16 bytes, + data for a successful NBD_CMD_READ)
 *    +-------+-------+-------+-------+-------+-------+-------+-------+
 *   0| magic 67 44 66 98             | error (errno value, 0 = ok)   |
 *    +-------+-------+-------+-------+-------+-------+-------+-------+
 *   8| handle, as in the request                                     |
 *    +-------+-------+-------+-------+-------+-------+-------+-------+
 * </pre>
 */
public final class NbdDescriptor {
    public static final long NBDMAGIC = 0x4E42444D41474943L;
    public static final long IHAVEOPT = 0x49484156454F5054L;
    public static final long REPLY_MAGIC = 0x0003E889045565A9L;
    public static final int REQUEST_MAGIC = 0x25609513;
    public static final int SIMPLE_REPLY_MAGIC = 0x67446698;

    public static final int GREETING_LENGTH = 18;
    public static final int OPTION_HEADER_LENGTH = 16;
    public static final int OPTION_REPLY_HEADER_LENGTH = 20;
    public static final int REQUEST_LENGTH = 28;
    public static final int REPLY_LENGTH = 16;
    public static final int EXPORT_NAME_ZEROES = 124;
    /** Largest option data accepted (the protocol's string limit is 4096; GO adds a few bytes). */
    public static final int MAX_OPTION_LENGTH = 8192;

    // handshake flags (server) and client flags
    public static final int FLAG_FIXED_NEWSTYLE = 1;
    public static final int FLAG_NO_ZEROES = 2;
    public static final int FLAG_C_FIXED_NEWSTYLE = 1;
    public static final int FLAG_C_NO_ZEROES = 2;

    // options
    public static final int OPT_EXPORT_NAME = 1;
    public static final int OPT_ABORT = 2;
    public static final int OPT_LIST = 3;
    public static final int OPT_STARTTLS = 5;
    public static final int OPT_INFO = 6;
    public static final int OPT_GO = 7;
    public static final int OPT_STRUCTURED_REPLY = 8;

    // option reply types
    public static final int REP_ACK = 1;
    public static final int REP_SERVER = 2;
    public static final int REP_INFO = 3;
    public static final int REP_FLAG_ERROR = 0x8000_0000;
    public static final int REP_ERR_UNSUP = REP_FLAG_ERROR | 1;
    public static final int REP_ERR_POLICY = REP_FLAG_ERROR | 2;
    public static final int REP_ERR_INVALID = REP_FLAG_ERROR | 3;
    public static final int REP_ERR_UNKNOWN = REP_FLAG_ERROR | 6;

    // info types
    public static final int INFO_EXPORT = 0;
    public static final int INFO_NAME = 1;
    public static final int INFO_DESCRIPTION = 2;
    public static final int INFO_BLOCK_SIZE = 3;

    // transmission flags
    public static final int FLAG_HAS_FLAGS = 1;
    public static final int FLAG_READ_ONLY = 2;
    public static final int FLAG_SEND_FLUSH = 4;
    public static final int FLAG_SEND_FUA = 8;
    public static final int FLAG_ROTATIONAL = 16;
    public static final int FLAG_SEND_TRIM = 32;

    // commands and command flags
    public static final int CMD_READ = 0;
    public static final int CMD_WRITE = 1;
    public static final int CMD_DISC = 2;
    public static final int CMD_FLUSH = 3;
    public static final int CMD_TRIM = 4;
    public static final int CMD_FLAG_FUA = 1;

    // errors (errno values on the wire)
    public static final int EPERM = 1;
    public static final int EIO = 5;
    public static final int ENOMEM = 12;
    public static final int EINVAL = 22;
    public static final int ENOSPC = 28;
    public static final int EOVERFLOW = 75;
    public static final int ENOTSUP = 95;
    public static final int ESHUTDOWN = 108;

    private NbdDescriptor() {
    }

    /** The server's first 18 bytes. */
    public static byte[] greeting(int handshakeFlags) {
        return ByteBuffer.allocate(GREETING_LENGTH).putLong(NBDMAGIC).putLong(IHAVEOPT).putShort((short) handshakeFlags)
                .array();
    }

    /** The fixed 16 bytes in front of an option's data. */
    public record OptionHeader(long magic, int option, int length) {
        public static OptionHeader decode(byte[] b) {
            ByteBuffer bb = ByteBuffer.wrap(b, 0, OPTION_HEADER_LENGTH);
            return new OptionHeader(bb.getLong(), bb.getInt(), bb.getInt());
        }

        public byte[] encode() {
            return ByteBuffer.allocate(OPTION_HEADER_LENGTH).putLong(magic).putInt(option).putInt(length).array();
        }
    }

    /** An option reply: header and data. */
    public static byte[] optionReply(int option, int type, byte[] data) {
        return ByteBuffer.allocate(OPTION_REPLY_HEADER_LENGTH + data.length).putLong(REPLY_MAGIC).putInt(option)
                .putInt(type).putInt(data.length).put(data).array();
    }

    /** NBD_REP_SERVER data: one export name. */
    public static byte[] serverData(String name) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(4 + n.length).putInt(n.length).put(n).array();
    }

    /** NBD_REP_INFO data of NBD_INFO_EXPORT. */
    public static byte[] infoExport(long size, int transmissionFlags) {
        return ByteBuffer.allocate(12).putShort((short) INFO_EXPORT).putLong(size).putShort((short) transmissionFlags)
                .array();
    }

    /** NBD_REP_INFO data of NBD_INFO_BLOCK_SIZE. */
    public static byte[] infoBlockSize(int minimum, int preferred, int maximum) {
        return ByteBuffer.allocate(14).putShort((short) INFO_BLOCK_SIZE).putInt(minimum).putInt(preferred)
                .putInt(maximum).array();
    }

    /** The answer to NBD_OPT_EXPORT_NAME (which has no option reply header). */
    public static byte[] exportNameReply(long size, int transmissionFlags, boolean noZeroes) {
        return ByteBuffer.allocate(10 + (noZeroes ? 0 : EXPORT_NAME_ZEROES)).putLong(size)
                .putShort((short) transmissionFlags).array();
    }

    /**
     * The data of NBD_OPT_GO / NBD_OPT_INFO: export name and requested info types.
     *
     * @throws IllegalArgumentException when the lengths inside do not add up
     */
    public record GoRequest(String name, int[] infoTypes) {
        public static GoRequest decode(byte[] data) {
            ByteBuffer bb = ByteBuffer.wrap(data);
            if (data.length < 6) {
                throw new IllegalArgumentException("GO data of " + data.length + " bytes");
            }
            long nameLength = bb.getInt() & 0xFFFF_FFFFL;
            if (nameLength > data.length - 6) {
                throw new IllegalArgumentException("name length " + nameLength + " in " + data.length + " bytes");
            }
            byte[] n = new byte[(int) nameLength];
            bb.get(n);
            int k = bb.getShort() & 0xFFFF;
            if (bb.remaining() != 2 * k) {
                throw new IllegalArgumentException(k + " info requests in " + bb.remaining() + " bytes");
            }
            int[] types = new int[k];
            for (int i = 0; i < k; i++) {
                types[i] = bb.getShort() & 0xFFFF;
            }
            return new GoRequest(new String(n, StandardCharsets.UTF_8), types);
        }

        public byte[] encode() {
            byte[] n = name.getBytes(StandardCharsets.UTF_8);
            ByteBuffer bb = ByteBuffer.allocate(4 + n.length + 2 + 2 * infoTypes.length).putInt(n.length).put(n)
                    .putShort((short) infoTypes.length);
            for (int t : infoTypes) {
                bb.putShort((short) t);
            }
            return bb.array();
        }
    }

    /** A transmission request header (the data of a write follows it). */
    public record Request(int magic, int flags, int type, long handle, long offset, long length) {
        public static Request decode(byte[] b) {
            ByteBuffer bb = ByteBuffer.wrap(b, 0, REQUEST_LENGTH);
            return new Request(bb.getInt(), bb.getShort() & 0xFFFF, bb.getShort() & 0xFFFF, bb.getLong(), bb.getLong(),
                    bb.getInt() & 0xFFFF_FFFFL);
        }

        public byte[] encode() {
            return ByteBuffer.allocate(REQUEST_LENGTH).putInt(magic).putShort((short) flags).putShort((short) type)
                    .putLong(handle).putLong(offset).putInt((int) length).array();
        }
    }

    /** A simple reply header (a successful read's data follows it). */
    public record SimpleReply(int magic, int error, long handle) {
        public static SimpleReply decode(byte[] b) {
            ByteBuffer bb = ByteBuffer.wrap(b, 0, REPLY_LENGTH);
            return new SimpleReply(bb.getInt(), bb.getInt(), bb.getLong());
        }

        public static byte[] encode(int error, long handle) {
            return ByteBuffer.allocate(REPLY_LENGTH).putInt(SIMPLE_REPLY_MAGIC).putInt(error).putLong(handle).array();
        }
    }
}
