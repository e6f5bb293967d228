package io.evasan.nsc.lun;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * Layout of the LUN catalogue kept as one MLD record per LUN, snapshot and presentation, plus one
 * record of table-wide fields (issue 18 goal 4: a create, delete or presentation change stores O(1)
 * bytes). Little-endian; every record starts with a type byte and a version byte and ends with a
 * CRC32C over all bytes before it, so a record is checked end to end, not only by the MLD.
 *
 * <pre>
 *  LUN          (MLD kind "nsc.lun/&lt;controller&gt;",  key = id in decimal)
 *  +-----+-----+-------+---------+--------+---------+---------+----------------------+--------+
 *  | 'L' | 1   | id(4) | kind(1) | uid(8) | disk(8) | size(8) | nameLen(2) name UTF-8 | crc(4) |
 *  +-----+-----+-------+---------+--------+---------+---------+----------------------+--------+
 *  SNAPSHOT     (MLD kind "nsc.snap/&lt;controller&gt;", key = unit id in decimal)
 *  +-----+-----+----------+---------+--------------+---------+------------+------------+-------+
 *  | 'S' | 1   | order(8) | lunId(4)| snapclone(1) | disk(8) | requestId(8)| created(8) | id(4) |
 *  +-----+-----+----------+---------+--------------+---------+------------+------------+-------+
 *  | uid(8) | size(8) | nameLen(2) name UTF-8 | crc(4) |
 *  +--------+---------+----------------------+--------+
 *  PRESENTATION (MLD kind "nsc.pres/&lt;controller&gt;", key = "&lt;hostLun&gt;/&lt;initiator&gt;")
 *  +-----+-----+----------+----------+------------+---------------------------+--------+
 *  | 'P' | 1   | order(8) | lunId(4) | hostLun(4) | initLen(2) initiator UTF-8 | crc(4) |
 *  +-----+-----+----------+----------+------------+---------------------------+--------+
 *  TABLE        (MLD kind "nsc.lunmeta", key = controller)
 *  +-----+-----+---------------+---------------+------------------+--------+
 *  | 'T' | 1   | generation(8) | backupDisk(8) | backupLogDisk(8) | crc(4) |
 *  +-----+-----+---------------+---------------+------------------+--------+
 * </pre>
 *
 * <p>{@code order} keeps the list order of snapshots and presentations across a reopen (the order
 * they were added in). Decoding is strict: wrong type, unknown version, a checksum mismatch, a LUN
 * kind out of range or a length that does not end exactly at the CRC is CORRUPT_METADATA naming the
 * record and the field. The whole-table form ({@link LunTableDescriptor}, one MLD record
 * {@code nsc.luns/<controller>}) is what controllers wrote before; it is read once and replaced.
 */
public final class LunCatalogDescriptor {
    public static final byte LUN = 'L';
    public static final byte SNAPSHOT = 'S';
    public static final byte PRESENTATION = 'P';
    public static final byte TABLE = 'T';
    public static final byte VERSION = 1;
    public static final int CRC_LENGTH = 4;

    private LunCatalogDescriptor() {
    }

    /** A snapshot or presentation with the position it keeps in its list. */
    public record Ordered<T>(T value, long order) {
    }

    /** The table-wide fields. */
    public record Table(long generation, long backupDisk, long backupLogDisk) {
    }

    public static byte[] encodeLun(LunRecord r) {
        byte[] name = utf8(r.name(), "LUN name");
        ByteBuffer b = start(LUN, 4 + 1 + 8 + 8 + 8 + 2 + name.length);
        b.putInt(r.id()).put((byte) r.kind().ordinal()).putLong(r.uid()).putLong(r.disk()).putLong(r.sizeBytes());
        b.putShort((short) name.length).put(name);
        return finish(b);
    }

    public static LunRecord decodeLun(byte[] bytes, String where) {
        ByteBuffer b = open(bytes, LUN, where);
        try {
            int id = b.getInt();
            int kind = b.get();
            if (kind < 0 || kind >= LunRecord.Kind.values().length) {
                throw corrupt(where, "kind " + kind + " is not a LUN kind");
            }
            long uid = b.getLong();
            long disk = b.getLong();
            long size = b.getLong();
            String name = string(b);
            end(b, where);
            return new LunRecord(id, name, LunRecord.Kind.values()[kind], uid, disk, size);
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            throw corrupt(where, "fields do not decode: " + e);
        }
    }

    public static byte[] encodeSnapshot(SnapshotRecord s, long order) {
        byte[] name = utf8(s.name(), "snapshot name");
        ByteBuffer b = start(SNAPSHOT, 8 + 4 + 1 + 8 + 8 + 8 + 4 + 8 + 8 + 2 + name.length);
        b.putLong(order).putInt(s.lunId()).put((byte) (s.snapclone() ? 1 : 0)).putLong(s.disk()).putLong(s.requestId())
                .putLong(s.createdMillis()).putInt(s.id()).putLong(s.uid()).putLong(s.sizeBytes());
        b.putShort((short) name.length).put(name);
        return finish(b);
    }

    public static Ordered<SnapshotRecord> decodeSnapshot(byte[] bytes, String where) {
        ByteBuffer b = open(bytes, SNAPSHOT, where);
        try {
            long order = b.getLong();
            int lunId = b.getInt();
            byte clone = b.get();
            if (clone != 0 && clone != 1) {
                throw corrupt(where, "snapclone flag is " + clone + ", not 0 or 1");
            }
            long disk = b.getLong();
            long req = b.getLong();
            long created = b.getLong();
            int id = b.getInt();
            long uid = b.getLong();
            long size = b.getLong();
            String name = string(b);
            end(b, where);
            return new Ordered<>(new SnapshotRecord(name, lunId, disk, req, clone == 1, created, id, uid, size), order);
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            throw corrupt(where, "fields do not decode: " + e);
        }
    }

    public static byte[] encodePresentation(Presentation p, long order) {
        byte[] init = utf8(p.initiator(), "initiator");
        ByteBuffer b = start(PRESENTATION, 8 + 4 + 4 + 2 + init.length);
        b.putLong(order).putInt(p.lunId()).putInt(p.hostLun());
        b.putShort((short) init.length).put(init);
        return finish(b);
    }

    public static Ordered<Presentation> decodePresentation(byte[] bytes, String where) {
        ByteBuffer b = open(bytes, PRESENTATION, where);
        try {
            long order = b.getLong();
            int lunId = b.getInt();
            int hostLun = b.getInt();
            String init = string(b);
            end(b, where);
            return new Ordered<>(new Presentation(init, hostLun, lunId), order);
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            throw corrupt(where, "fields do not decode: " + e);
        }
    }

    public static byte[] encodeTable(Table t) {
        ByteBuffer b = start(TABLE, 24);
        b.putLong(t.generation()).putLong(t.backupDisk()).putLong(t.backupLogDisk());
        return finish(b);
    }

    public static Table decodeTable(byte[] bytes, String where) {
        ByteBuffer b = open(bytes, TABLE, where);
        try {
            Table t = new Table(b.getLong(), b.getLong(), b.getLong());
            end(b, where);
            return t;
        } catch (BufferUnderflowException e) {
            throw corrupt(where, "fields do not decode: " + e);
        }
    }

    /** The MLD key of a presentation: unique per (host LUN, initiator). */
    public static String presentationKey(Presentation p) {
        return p.hostLun() + "/" + p.initiator();
    }

    private static ByteBuffer start(byte type, int body) {
        ByteBuffer b = ByteBuffer.allocate(2 + body + CRC_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        return b.put(type).put(VERSION);
    }

    private static byte[] finish(ByteBuffer b) {
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, b.position());
        b.putInt((int) crc.getValue());
        return b.array();
    }

    /** Checks length, CRC, type and version; returns the buffer positioned at the first field, limited before the CRC. */
    private static ByteBuffer open(byte[] bytes, byte type, String where) {
        if (bytes.length < 2 + CRC_LENGTH) {
            throw corrupt(where, "record of " + bytes.length + " bytes is shorter than its type, version and checksum");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - CRC_LENGTH);
        if ((int) crc.getValue() != b.getInt(bytes.length - CRC_LENGTH)) {
            throw corrupt(where, "checksum mismatch");
        }
        if (bytes[0] != type) {
            throw corrupt(where, "type '" + (char) bytes[0] + "' where '" + (char) type + "' is expected");
        }
        if (bytes[1] != VERSION) {
            throw corrupt(where, "unknown version " + bytes[1]);
        }
        b.limit(bytes.length - CRC_LENGTH).position(2);
        return b;
    }

    private static void end(ByteBuffer b, String where) {
        if (b.hasRemaining()) {
            throw corrupt(where, b.remaining() + " bytes after the last field");
        }
    }

    private static byte[] utf8(String s, String field) {
        byte[] u = s.getBytes(StandardCharsets.UTF_8);
        if (u.length > 0xFFFF) {
            throw new IllegalArgumentException(field + " longer than 65535 bytes");
        }
        return u;
    }

    private static String string(ByteBuffer b) {
        byte[] u = new byte[Short.toUnsignedInt(b.getShort())];
        b.get(u);
        return new String(u, StandardCharsets.UTF_8);
    }

    private static StorageException corrupt(String where, String what) {
        return new StorageException(ErrorCode.CORRUPT_METADATA, "LUN catalogue record " + where + ": " + what);
    }
}
