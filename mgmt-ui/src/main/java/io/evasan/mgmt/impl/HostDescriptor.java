package io.evasan.mgmt.impl;

import io.evasan.error.StorageException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Layout of one registered host (MLD record {@code mgmt.host/<name>}, or the file
 * {@code mgmt-hosts/<name>.bin} without an MLD). The CHAP secrets are stored as they are (not hashed):
 * the target must compute CHAP responses from them. The MLD is mirrored on the drives' quorum areas.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                        magic 'EVHO'                           |  0
 *  +-------------------------------+-------------------------------+
 *  |          version (2)          | flags (bit 0 CHAP, bit 1 mutual)  4
 *  +-------------------------------+-------------------------------+
 *  |      name length (u16)        |    initiator count (u16)      |  8
 *  +-------------------------------+-------------------------------+
 *  |                  createdMillis (i64)                          | 12
 *  +---------------------------------------------------------------+
 *  |                  updatedMillis (i64)                          | 20
 *  +---------------------------------------------------------------+
 *  | name (UTF-8) | count x (u16 length, UTF-8 initiator name)     | 28
 *  +---------------------------------------------------------------+
 *  | if CHAP: 4 x (u16 length, UTF-8): userName, secret,           |
 *  |          targetUserName, targetSecret (both empty unless mutual)
 *  +---------------------------------------------------------------+
 *  |         CRC-32C of every byte before it (u32)                 |
 *  +---------------------------------------------------------------+
 *  little endian
 * </pre>
 * Version 1 (written before hosts could be edited) has no updatedMillis: its name starts at offset 20, and it
 * decodes with updatedMillis = createdMillis. {@link #encode} always writes version 2.
 * The magic/version check and the CRC-32C trailer are {@link CrcRecord}'s (the frame both records share).
 */
public final class HostDescriptor {
    public static final int MAGIC = 0x4f485645; // "EVHO" little endian
    public static final int VERSION = 2;
    /** The layout without updatedMillis; still decoded. */
    public static final int VERSION_1 = 1;
    public static final int FLAG_CHAP = 1;
    public static final int FLAG_MUTUAL = 2;
    static final int HEADER = 28;
    static final int HEADER_V1 = 20;
    private static final String WHAT = "host";

    /** CHAP credentials; the target pair is null unless mutual. */
    public record Chap(String userName, String secret, String targetUserName, String targetSecret) {
    }

    /** One host as stored; {@code updatedMillis} is the time of the last change (creation, then each edit). */
    public record Stored(String name, List<String> initiators, Chap chap, long createdMillis, long updatedMillis) {
        public Stored {
            initiators = List.copyOf(initiators);
        }

        /** A host never edited: updated when created. */
        public Stored(String name, List<String> initiators, Chap chap, long createdMillis) {
            this(name, initiators, chap, createdMillis, createdMillis);
        }
    }

    private HostDescriptor() {
    }

    public static byte[] encode(Stored h) {
        List<byte[]> parts = new ArrayList<>();
        parts.add(h.name().getBytes(StandardCharsets.UTF_8));
        for (String i : h.initiators()) {
            parts.add(i.getBytes(StandardCharsets.UTF_8));
        }
        int flags = 0;
        if (h.chap() != null) {
            flags |= FLAG_CHAP;
            boolean mutual = h.chap().targetSecret() != null;
            flags |= mutual ? FLAG_MUTUAL : 0;
            parts.add(h.chap().userName().getBytes(StandardCharsets.UTF_8));
            parts.add(h.chap().secret().getBytes(StandardCharsets.UTF_8));
            parts.add(mutual ? h.chap().targetUserName().getBytes(StandardCharsets.UTF_8) : new byte[0]);
            parts.add(mutual ? h.chap().targetSecret().getBytes(StandardCharsets.UTF_8) : new byte[0]);
        }
        int len = HEADER + CrcRecord.TRAILER;
        for (byte[] p : parts) {
            if (p.length > 0xFFFF) {
                throw new IllegalArgumentException("host field longer than 65535 bytes");
            }
            len += p.length + 2;
        }
        len -= 2;   // the name's length lives in the header
        if (h.initiators().size() > 0xFFFF) {
            throw new IllegalArgumentException("too many initiators");
        }
        ByteBuffer b = ByteBuffer.allocate(len).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC).putShort((short) VERSION).putShort((short) flags)
                .putShort((short) parts.get(0).length).putShort((short) h.initiators().size()).putLong(h.createdMillis())
                .putLong(h.updatedMillis()).put(parts.get(0));
        for (int i = 1; i < parts.size(); i++) {
            b.putShort((short) parts.get(i).length).put(parts.get(i));
        }
        return CrcRecord.seal(b);
    }

    /** @throws StorageException CORRUPT_METADATA for a malformed record (wrong magic/version/lengths/CRC) */
    public static Stored decode(byte[] r) {
        boolean v1 = r != null && r.length >= 6 && (ByteBuffer.wrap(r).order(ByteOrder.LITTLE_ENDIAN).getShort(4) & 0xFFFF) == VERSION_1;
        int header = v1 ? HEADER_V1 : HEADER;
        ByteBuffer b = CrcRecord.open(r, header, MAGIC, v1 ? VERSION_1 : VERSION, WHAT);
        CrcRecord.checkCrc(r, WHAT);
        int flags = b.getShort(6) & 0xFFFF;
        int nl = b.getShort(8) & 0xFFFF;
        int count = b.getShort(10) & 0xFFFF;
        long created = b.getLong(12);
        long updated = v1 ? created : b.getLong(20);
        b.limit(r.length - CrcRecord.TRAILER).position(header);
        try {
            String name = string(b, nl);
            List<String> initiators = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                initiators.add(string(b, b.getShort() & 0xFFFF));
            }
            Chap chap = null;
            if ((flags & FLAG_CHAP) != 0) {
                String u = string(b, b.getShort() & 0xFFFF);
                String s = string(b, b.getShort() & 0xFFFF);
                String tu = string(b, b.getShort() & 0xFFFF);
                String ts = string(b, b.getShort() & 0xFFFF);
                chap = (flags & FLAG_MUTUAL) != 0 ? new Chap(u, s, tu, ts) : new Chap(u, s, null, null);
            }
            if (b.hasRemaining()) {
                throw corrupt("trailing bytes");
            }
            return new Stored(name, initiators, chap, created, updated);
        } catch (java.nio.BufferUnderflowException | IllegalArgumentException e) {
            throw corrupt("lengths run past the record");
        }
    }

    private static String string(ByteBuffer b, int len) {
        if (len > b.remaining()) {
            throw new IllegalArgumentException("length");
        }
        byte[] a = new byte[len];
        b.get(a);
        return new String(a, StandardCharsets.UTF_8);
    }

    private static StorageException corrupt(String why) {
        return CrcRecord.corrupt(WHAT, why);
    }
}
