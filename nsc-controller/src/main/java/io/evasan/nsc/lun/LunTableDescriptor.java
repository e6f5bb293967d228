package io.evasan.nsc.lun;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * On-disk layout of the LUN table file ({@code <stateDir>/luns.tbl}), little-endian. The file is
 * replaced as a whole (temp file, fsync, atomic rename, fsync of the directory), so a reader sees
 * either the old or the new file; the CRC32C over the body detects anything else.
 *
 * <pre>
 *  0                   8          12           16           20          24
 *  +-------------------+----------+------------+------------+-----------+
 *  | magic "EVLUNTBL"  | version  | bodyLength | crc32c     | reserved  |
 *  +-------------------+----------+------------+------------+-----------+
 *  body (bodyLength bytes, CRC32C over it):
 *  +------------+----------+----------------------------------------------------------+
 *  | generation | lunCount | lunCount x LUN  : id(4) kind(1) uid(8) disk(8) size(8)   |
 *  |   (8)      |   (4)    |                   nameLen(2) name(UTF-8)                  |
 *  +------------+----------+----------------------------------------------------------+
 *  | presCount(4) | presCount x PRES : lunId(4) hostLun(4) initLen(2) initiator(UTF-8)  |
 *  +--------------+---------------------------------------------------------------------+
 *  | snapCount(4) | snapCount x SNAP : lunId(4) snapclone(1) disk(8) requestId(8)       |
 *  |              |                    created(8) id(4) uid(8) size(8)                  |
 *  |              |                    nameLen(2) name(UTF-8)                           |
 *  +--------------+---------------------------------------------------------------------+
 *  | backupDisk(8) (-1 = none) | backupLogDisk(8) (-1 = none)                          |
 *  +-----------------------------------------------------------------------------------+
 * </pre>
 *
 * <p>{@code backupDisk} and {@code backupLogDisk} are the tree disks of the active seed 003 snapshot
 * backup: its snapshot and its log system drive's space. They are recorded so that the next open
 * deletes both (a restart ends an active backup); neither may be left as an orphan.
 *
 * <p>Versions: 3 (written now) adds {@code backupLogDisk}. Version 2 added the snapshot's unit
 * {@code id} (same id space as LUN ids; a presentation's {@code lunId} may name a snapshot), {@code uid}
 * and {@code size} (the source's size when taken). Older files still decode: version 2 and 1 with
 * {@code backupLogDisk = -1} (they had no log space); version 1 SNAP entries (without id, uid, size)
 * come back with {@code id = -1, uid = 0, size = 0}, which {@code StoredLunTable.open} fills in (lowest
 * free id, a new uid, the source LUN's size). Opening a table stores it in the current version.
 *
 * <p>Decoding is strict: the reserved field must be 0 and the body must end exactly after the last
 * field of its version; anything else is CORRUPT_METADATA saying what is wrong.
 */
public final class LunTableDescriptor {
    public static final long MAGIC = 0x4C4254_4E554C5645L; // "EVLUNTBL" little-endian
    public static final int VERSION = 3;
    /** The second layout: no {@code backupLogDisk}. Decoded, never written. */
    public static final int VERSION_2 = 2;
    /** The first layout: SNAP entries without id, uid and size. Decoded, never written. */
    public static final int VERSION_1 = 1;
    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 8;
    public static final int BODY_LENGTH_OFFSET = 12;
    public static final int CRC_OFFSET = 16;
    public static final int RESERVED_OFFSET = 20;
    public static final int HEADER_LENGTH = 24;

    private LunTableDescriptor() {
    }

    /**
     * Decoded content of the file.
     *
     * @param backupDisk    tree disk of the active seed 003 backup's snapshot, or -1
     * @param backupLogDisk tree disk of that backup's log space (its log system drive's data), or -1
     */
    public record Content(long generation, List<LunRecord> luns, List<Presentation> presentations,
                          List<SnapshotRecord> snapshots, long backupDisk, long backupLogDisk) {
    }

    public static byte[] encode(Content c) {
        ByteBuffer b = ByteBuffer.allocate(sizeOf(c)).order(ByteOrder.LITTLE_ENDIAN);
        b.position(HEADER_LENGTH);
        b.putLong(c.generation());
        b.putInt(c.luns().size());
        for (LunRecord r : c.luns()) {
            b.putInt(r.id()).put((byte) r.kind().ordinal()).putLong(r.uid()).putLong(r.disk()).putLong(r.sizeBytes());
            putString(b, r.name());
        }
        b.putInt(c.presentations().size());
        for (Presentation p : c.presentations()) {
            b.putInt(p.lunId()).putInt(p.hostLun());
            putString(b, p.initiator());
        }
        b.putInt(c.snapshots().size());
        for (SnapshotRecord s : c.snapshots()) {
            b.putInt(s.lunId()).put((byte) (s.snapclone() ? 1 : 0)).putLong(s.disk()).putLong(s.requestId())
                    .putLong(s.createdMillis()).putInt(s.id()).putLong(s.uid()).putLong(s.sizeBytes());
            putString(b, s.name());
        }
        b.putLong(c.backupDisk()).putLong(c.backupLogDisk());
        int bodyLen = b.position() - HEADER_LENGTH;
        CRC32C crc = new CRC32C();
        crc.update(b.array(), HEADER_LENGTH, bodyLen);
        b.putLong(MAGIC_OFFSET, MAGIC).putInt(VERSION_OFFSET, VERSION).putInt(BODY_LENGTH_OFFSET, bodyLen)
                .putInt(CRC_OFFSET, (int) crc.getValue());
        return b.array();
    }

    /** @throws StorageException CORRUPT_METADATA for a foreign, torn or corrupted file */
    public static Content decode(byte[] file) {
        try {
            ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
            if (file.length < HEADER_LENGTH || b.getLong(MAGIC_OFFSET) != MAGIC) {
                throw corrupt("not a LUN table file");
            }
            int version = b.getInt(VERSION_OFFSET);
            if (version != VERSION && version != VERSION_2 && version != VERSION_1) {
                throw corrupt("unknown LUN table version " + version);
            }
            int bodyLen = b.getInt(BODY_LENGTH_OFFSET);
            if (bodyLen < 0 || HEADER_LENGTH + bodyLen != file.length) {
                throw corrupt("LUN table length " + file.length + " does not match its header (" + bodyLen + ")");
            }
            CRC32C crc = new CRC32C();
            crc.update(file, HEADER_LENGTH, bodyLen);
            if ((int) crc.getValue() != b.getInt(CRC_OFFSET)) {
                throw corrupt("LUN table checksum mismatch");
            }
            int reserved = b.getInt(RESERVED_OFFSET);
            if (reserved != 0) {
                throw corrupt("LUN table reserved field is 0x" + Integer.toHexString(reserved) + ", not 0");
            }
            b.position(HEADER_LENGTH);
            long gen = b.getLong();
            int n = b.getInt();
            List<LunRecord> luns = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int id = b.getInt();
                LunRecord.Kind kind = LunRecord.Kind.values()[b.get()];
                long uid = b.getLong();
                long disk = b.getLong();
                long size = b.getLong();
                luns.add(new LunRecord(id, getString(b), kind, uid, disk, size));
            }
            n = b.getInt();
            List<Presentation> pres = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int lun = b.getInt();
                int host = b.getInt();
                pres.add(new Presentation(getString(b), host, lun));
            }
            n = b.getInt();
            List<SnapshotRecord> snaps = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int lun = b.getInt();
                boolean clone = b.get() != 0;
                long disk = b.getLong();
                long req = b.getLong();
                long created = b.getLong();
                if (version == VERSION_1) {
                    snaps.add(new SnapshotRecord(getString(b), lun, disk, req, clone, created));
                } else {
                    int id = b.getInt();
                    long uid = b.getLong();
                    long size = b.getLong();
                    snaps.add(new SnapshotRecord(getString(b), lun, disk, req, clone, created, id, uid, size));
                }
            }
            long backup = b.getLong();
            long backupLog = version == VERSION ? b.getLong() : -1;
            if (b.hasRemaining()) {
                throw corrupt("LUN table version " + version + " has " + b.remaining()
                        + " bytes after its backupDisk / backupLogDisk field");
            }
            return new Content(gen, luns, pres, snaps, backup, backupLog);
        } catch (RuntimeException e) {
            if (e instanceof StorageException) {
                throw e;
            }
            throw corrupt("LUN table undecodable: " + e);
        }
    }

    private static StorageException corrupt(String m) {
        return new StorageException(ErrorCode.CORRUPT_METADATA, m);
    }

    private static int sizeOf(Content c) {
        int n = HEADER_LENGTH + 8 + 4 + 4 + 4 + 8 + 8;
        for (LunRecord r : c.luns()) {
            n += 4 + 1 + 8 + 8 + 8 + 2 + utf8(r.name()).length;
        }
        for (Presentation p : c.presentations()) {
            n += 4 + 4 + 2 + utf8(p.initiator()).length;
        }
        for (SnapshotRecord s : c.snapshots()) {
            n += 4 + 1 + 8 + 8 + 8 + 4 + 8 + 8 + 2 + utf8(s.name()).length;
        }
        return n;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static void putString(ByteBuffer b, String s) {
        byte[] u = utf8(s);
        if (u.length > 0xFFFF) {
            throw new IllegalArgumentException("name too long");
        }
        b.putShort((short) u.length).put(u);
    }

    private static String getString(ByteBuffer b) {
        int n = b.getShort() & 0xFFFF;
        byte[] u = new byte[n];
        b.get(u);
        return new String(u, StandardCharsets.UTF_8);
    }
}
