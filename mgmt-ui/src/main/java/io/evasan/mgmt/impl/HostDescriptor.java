package io.evasan.mgmt.impl;

import io.evasan.error.StorageException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Layout of one registered host (MLD record {@code mgmt.host/<name>}). The CHAP secrets are stored as they are (not hashed):
 * the target must compute CHAP responses from them. The MLD is mirrored on the drives' quorum areas.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                        magic 'EVHO'                           |  0
 *  +-------------------------------+-------------------------------+
 *  |          version (3)          |  flags: bit 0 CHAP, 1 mutual, |  4
 *  |                               |  2 change pending, 3 deleting |
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
 *  | if change pending (bit 2):                                    |
 *  |   u16 adding count,   count x (u16 length, UTF-8 initiator)   |
 *  |   u16 retiring count, count x (u16 length, UTF-8 initiator)   |
 *  |   u16 LUN count,      count x (u32 host LUN, u32 LUN id)      |
 *  +---------------------------------------------------------------+
 *  |         CRC-32C of every byte before it (u32)                 |
 *  +---------------------------------------------------------------+
 *  little endian
 * </pre>
 * A pending change ({@link Pending}) is the durable intent of an edit or delete that has not finished touching
 * the controller's presentations: {@code adding} initiators (already members) must be presented the {@code luns}
 * (host LUN -> LUN id), {@code retiring} initiators (no longer members) must lose every presentation; bit 3 marks
 * a delete (no initiators left; the record goes once the retiring initiators are unpresented). A record without
 * bit 2 has no pending section; bit 3 requires bit 2.
 * Version 2 (before pending changes) is version 3 without bits 2/3 and decodes as such; version 1 (written before
 * hosts could be edited) has no updatedMillis either: its name starts at offset 20, and it decodes with
 * updatedMillis = createdMillis. {@link #encode} always writes version 3.
 * The magic/version check and the CRC-32C trailer are {@link CrcRecord}'s (the frame both records share).
 */
public final class HostDescriptor {
    public static final int MAGIC = 0x4f485645; // "EVHO" little endian
    public static final int VERSION = 3;
    /** The layout without pending changes; still decoded. */
    public static final int VERSION_2 = 2;
    /** The layout without updatedMillis; still decoded. */
    public static final int VERSION_1 = 1;
    public static final int FLAG_CHAP = 1;
    public static final int FLAG_MUTUAL = 2;
    public static final int FLAG_PENDING = 4;
    public static final int FLAG_DELETING = 8;
    static final int HEADER = 28;
    static final int HEADER_V1 = 20;
    private static final String WHAT = "host";

    /** CHAP credentials; the target pair is null unless mutual. */
    public record Chap(String userName, String secret, String targetUserName, String targetSecret) {
    }

    /**
     * An edit or delete recorded before the presentations change: every {@code adding} initiator (a member of
     * the host) is to see each LUN id of {@code luns} at its host LUN, every {@code retiring} initiator (not a
     * member) is to lose all its presentations; {@code deleting}: the record goes afterwards.
     */
    public record Pending(List<String> adding, List<String> retiring, Map<Integer, Integer> luns, boolean deleting) {
        public Pending {
            adding = List.copyOf(adding);
            retiring = List.copyOf(retiring);
            luns = java.util.Collections.unmodifiableMap(new TreeMap<>(luns));
        }
    }

    /**
     * One host as stored; {@code updatedMillis} is the time of the last change (creation, then each edit);
     * {@code pending} the unfinished change of its presentations, or null.
     */
    public record Stored(String name, List<String> initiators, Chap chap, long createdMillis, long updatedMillis, Pending pending) {
        public Stored {
            initiators = List.copyOf(initiators);
        }

        /** A host without a pending change. */
        public Stored(String name, List<String> initiators, Chap chap, long createdMillis, long updatedMillis) {
            this(name, initiators, chap, createdMillis, updatedMillis, null);
        }

        /** A host never edited: updated when created. */
        public Stored(String name, List<String> initiators, Chap chap, long createdMillis) {
            this(name, initiators, chap, createdMillis, createdMillis);
        }

        /** This host with {@code p} as its pending change (null: none). */
        public Stored withPending(Pending p) {
            return new Stored(name, initiators, chap, createdMillis, updatedMillis, p);
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
        Pending p = h.pending();
        int pendingBytes = 0;
        List<byte[]> adding = new ArrayList<>();
        List<byte[]> retiring = new ArrayList<>();
        if (p != null) {
            flags |= FLAG_PENDING | (p.deleting() ? FLAG_DELETING : 0);
            if (p.adding().size() > 0xFFFF || p.retiring().size() > 0xFFFF || p.luns().size() > 0xFFFF) {
                throw new IllegalArgumentException("pending change too large");
            }
            p.adding().forEach(i -> adding.add(i.getBytes(StandardCharsets.UTF_8)));
            p.retiring().forEach(i -> retiring.add(i.getBytes(StandardCharsets.UTF_8)));
            pendingBytes = 6 + 8 * p.luns().size();
            for (byte[] a : adding) {
                pendingBytes += 2 + checkLength(a);
            }
            for (byte[] a : retiring) {
                pendingBytes += 2 + checkLength(a);
            }
        }
        int len = HEADER + CrcRecord.TRAILER + pendingBytes;
        for (byte[] part : parts) {
            len += checkLength(part) + 2;
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
        if (p != null) {
            b.putShort((short) adding.size());
            adding.forEach(a -> b.putShort((short) a.length).put(a));
            b.putShort((short) retiring.size());
            retiring.forEach(a -> b.putShort((short) a.length).put(a));
            b.putShort((short) p.luns().size());
            p.luns().forEach((hostLun, lunId) -> b.putInt(hostLun).putInt(lunId));
        }
        return CrcRecord.seal(b);
    }

    private static int checkLength(byte[] a) {
        if (a.length > 0xFFFF) {
            throw new IllegalArgumentException("host field longer than 65535 bytes");
        }
        return a.length;
    }

    /** @throws StorageException CORRUPT_METADATA for a malformed record (wrong magic/version/flags/lengths/CRC) */
    public static Stored decode(byte[] r) {
        int version = r != null && r.length >= 6 ? ByteBuffer.wrap(r).order(ByteOrder.LITTLE_ENDIAN).getShort(4) & 0xFFFF : VERSION;
        boolean v1 = version == VERSION_1;
        int header = v1 ? HEADER_V1 : HEADER;
        ByteBuffer b = CrcRecord.open(r, header, MAGIC, v1 || version == VERSION_2 ? version : VERSION, WHAT);
        CrcRecord.checkCrc(r, WHAT);
        int flags = b.getShort(6) & 0xFFFF;
        int known = version == VERSION ? FLAG_CHAP | FLAG_MUTUAL | FLAG_PENDING | FLAG_DELETING : FLAG_CHAP | FLAG_MUTUAL;
        if ((flags & ~known) != 0 || ((flags & FLAG_DELETING) != 0 && (flags & FLAG_PENDING) == 0)) {
            throw corrupt("unknown flags " + Integer.toHexString(flags));
        }
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
            Pending pending = null;
            if ((flags & FLAG_PENDING) != 0) {
                List<String> adding = strings(b);
                List<String> retiring = strings(b);
                int n = b.getShort() & 0xFFFF;
                Map<Integer, Integer> luns = new TreeMap<>();
                for (int i = 0; i < n; i++) {
                    int hostLun = b.getInt();
                    if (luns.put(hostLun, b.getInt()) != null) {
                        throw corrupt("host LUN " + hostLun + " listed twice");
                    }
                }
                pending = new Pending(adding, retiring, luns, (flags & FLAG_DELETING) != 0);
            }
            if (b.hasRemaining()) {
                throw corrupt("trailing bytes");
            }
            return new Stored(name, initiators, chap, created, updated, pending);
        } catch (java.nio.BufferUnderflowException | IllegalArgumentException e) {
            throw corrupt("lengths run past the record");
        }
    }

    private static List<String> strings(ByteBuffer b) {
        int n = b.getShort() & 0xFFFF;
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(string(b, b.getShort() & 0xFFFF));
        }
        return out;
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
