package io.evasan.mapping;

import io.evasan.raid.rstore.RaidLevel;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Layout of one logical disk's catalogue record in the MLD (kind {@link #KIND}, key
 * {@link #key(int)} = 8 hex digits of the id). Little-endian.
 *
 * <pre>
 *  +-----------------------------------+-----------------------------------+
 *  |       version (int) = 1 or 2      |          disk id (int)            |  0
 *  +-----------------------------------+-----------------------------------+
 *  |                        size in bytes (long)                           |  8
 *  +-----------------------------------+-----------------------------------+
 *  |        disk group id (int)        |        lock domain (int)          | 16
 *  +-----------------------------------+-----------------------------------+
 *  |                    created, epoch millis (long)                       | 24
 *  +-----------------------------------------------------------------------+
 *  |                    modified, epoch millis (long)                      | 32
 *  +-----------------------------------+-----------------------------------+
 *  |  clone source id (int, -1 none)   |  clone source bits (int)          | 40
 *  +-----------------------------------+-----------------------------------+
 *  |  clone copy bits (int) (1)        |  name length N (int)              | 48
 *  +-----------------------------------+-----------------------------------+
 *  |  name, N bytes UTF-8                                                  | 56
 *  +-----------------------------------+-----------------------------------+
 *  |  RAID run count R (int)           |  R x (start segment long, level byte)
 *  +-----------------------------------+-----------------------------------+
 *  |  foreign group (int, -1 none) (2) |   (version 2 only)
 *  +-----------------------------------+
 * </pre>
 * (1) bits 0..7: user bits set in the copy; bits 8..15: source user bits the copy keeps.
 * (2) a disk created by {@code createSnapshotDisk} into another disk group than its source's: its
 * ALLOCATED non-HOLDER entries point into this group's RSD table, its HOLDER entries into its own
 * group's. Version 1 records (no field) decode with -1; the encoder writes version 2.
 * The clone fields say "this disk was created as a pointer copy of disk S": if the PLDMC log
 * has not materialised the disk at reopen (crash between the catalogue commit and the map
 * copy), the copy is redone then.
 */
public final class LunRecordDescriptor {
    public static final String KIND = "lun";
    public static final String META_KIND = "mapping";
    public static final String NEXT_ID_KEY = "nextId";
    public static final int VERSION = 2;
    /** Layout without the foreign group; still decoded. */
    public static final int VERSION_1 = 1;

    private LunRecordDescriptor() {
    }

    /** Decoded record. */
    public record LunRecord(int id, String name, long sizeBytes, int diskGroupId, int lockDomain,
                            long createdMillis, long modifiedMillis, int cloneSource, int cloneSourceBits,
                            int cloneCopyBits, long[] runStarts, RaidLevel[] runLevels, int foreignGroup) {
        /** A record without a foreign group. */
        public LunRecord(int id, String name, long sizeBytes, int diskGroupId, int lockDomain,
                         long createdMillis, long modifiedMillis, int cloneSource, int cloneSourceBits,
                         int cloneCopyBits, long[] runStarts, RaidLevel[] runLevels) {
            this(id, name, sizeBytes, diskGroupId, lockDomain, createdMillis, modifiedMillis, cloneSource,
                    cloneSourceBits, cloneCopyBits, runStarts, runLevels, -1);
        }

        public LunRecord withSize(long s, long now) {
            return new LunRecord(id, name, s, diskGroupId, lockDomain, createdMillis, now, cloneSource,
                    cloneSourceBits, cloneCopyBits, runStarts, runLevels, foreignGroup);
        }

        public LunRecord withRuns(long[] starts, RaidLevel[] levels, long now) {
            return new LunRecord(id, name, sizeBytes, diskGroupId, lockDomain, createdMillis, now, cloneSource,
                    cloneSourceBits, cloneCopyBits, starts, levels, foreignGroup);
        }

        public LunRecord withLockDomain(int d, long now) {
            return new LunRecord(id, name, sizeBytes, diskGroupId, d, createdMillis, now, cloneSource,
                    cloneSourceBits, cloneCopyBits, runStarts, runLevels, foreignGroup);
        }

        public List<LunInfo.RaidRun> runs() {
            List<LunInfo.RaidRun> l = new ArrayList<>();
            for (int i = 0; i < runStarts.length; i++) {
                l.add(new LunInfo.RaidRun(runStarts[i], runLevels[i]));
            }
            return l;
        }
    }

    public static String key(int id) {
        return String.format("%08x", id);
    }

    public static byte[] encode(LunRecord r) {
        byte[] name = r.name().getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(56 + name.length + 4 + 9 * r.runStarts().length + 4).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(VERSION).putInt(r.id()).putLong(r.sizeBytes()).putInt(r.diskGroupId()).putInt(r.lockDomain())
                .putLong(r.createdMillis()).putLong(r.modifiedMillis()).putInt(r.cloneSource())
                .putInt(r.cloneSourceBits()).putInt(r.cloneCopyBits()).putInt(name.length).put(name);
        b.putInt(r.runStarts().length);
        for (int i = 0; i < r.runStarts().length; i++) {
            b.putLong(r.runStarts()[i]).put((byte) r.runLevels()[i].ordinal());
        }
        b.putInt(r.foreignGroup());
        return b.array();
    }

    public static LunRecord decode(byte[] v) {
        ByteBuffer b = ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN);
        int version = b.getInt();
        if (version != VERSION && version != VERSION_1) {
            throw new IllegalStateException("unknown LUN record version " + version);
        }
        int id = b.getInt();
        long size = b.getLong();
        int group = b.getInt();
        int domain = b.getInt();
        long created = b.getLong();
        long modified = b.getLong();
        int cs = b.getInt();
        int csb = b.getInt();
        int ccb = b.getInt();
        byte[] name = new byte[b.getInt()];
        b.get(name);
        int runs = b.getInt();
        long[] starts = new long[runs];
        RaidLevel[] levels = new RaidLevel[runs];
        for (int i = 0; i < runs; i++) {
            starts[i] = b.getLong();
            levels[i] = RaidLevel.values()[b.get()];
        }
        int foreign = version == VERSION_1 ? -1 : b.getInt();
        return new LunRecord(id, new String(name, StandardCharsets.UTF_8), size, group, domain, created, modified,
                cs, csb, ccb, starts, levels, foreign);
    }

    public static byte[] encodeInt(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    public static int decodeInt(byte[] v) {
        return ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN).getInt();
    }
}
