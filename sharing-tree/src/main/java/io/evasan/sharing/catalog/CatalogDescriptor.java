package io.evasan.sharing.catalog;

/**
 * Layout of the sharing-tree catalog blob (stored atomically through
 * {@link io.evasan.sharing.spi.SegmentMaps#storeCatalog}). Little endian.
 *
 * <pre>
 * header
 *   0                   4                   8                  12
 *  +-------------------+-------------------+-------------------+
 *  | magic 'EVST'      | version (2)       | tree count        |
 *  +-------------------+-------------------+-------------------+
 * per tree (TREE_HEADER_LENGTH = 24 bytes), then its disks oldest first
 *   0         4    5         8                   16                  24
 *  +---------+----+---------+-------------------+-------------------+
 *  | disks   | op | pad     | op arg A (u64)    | op arg B (u64)    |
 *  +---------+----+---------+-------------------+-------------------+
 * per disk (DISK_LENGTH = 28 bytes; 24 in version 1, without M)
 *   0                   8    9    10   11   12        16                  24        28
 *  +-------------------+----+----+----+----+---------+-------------------+---------+
 *  | disk id (u64)     |kind|pol |mode|flg | segments| creation tag (u64)| M (u32) |
 *  +-------------------+----+----+----+----+---------+-------------------+---------+
 * M: a snapclone's own quiesce threshold (Fig. 15d), 0 = the configured one.
 * invalidated disks: count (u32), then DISK_LENGTH records (same layout)
 * trailer: CRC32 (u32) of every byte before it
 * </pre>
 *
 * op: 0 none, 1 delete (A = disk), 2 rollback (A = lun, B = snapshot), 3 invalidate (A = disk):
 * an operation that was
 * running when the catalog was stored and is redone (idempotently) on open.
 * flg: bit 0 BGCOPY paused, bit 1 BGCOPY stalled for space.
 *
 * <p>Versions: 2 (written now) and 1 (read); version 2 adds M to the disk record and says the stored share bits
 * are exactly seed 004's (a disk's Sp is its predecessor's Ss, clear on the oldest disk, except after a
 * copying snapclone, Fig. 13e). A version-1 catalog was written by code that set Sp on every allocated
 * segment of a new snapshot; its bits are upgraded at open (Recovery) and the catalog stored as version 2.
 */
public final class CatalogDescriptor {
    public static final int MAGIC = 0x54535645; // "EVST" little endian
    public static final int VERSION = 2;
    /** Oldest version still read (its share bits are upgraded at open). */
    public static final int VERSION_INEXACT_SP = 1;
    public static final int HEADER_LENGTH = 12;
    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 4;
    public static final int TREE_COUNT_OFFSET = 8;

    public static final int TREE_HEADER_LENGTH = 24;
    public static final int TREE_DISKS_OFFSET = 0;
    public static final int TREE_OP_OFFSET = 4;
    public static final int TREE_ARG_A_OFFSET = 8;
    public static final int TREE_ARG_B_OFFSET = 16;

    public static final int DISK_LENGTH = 28;
    /** Disk record length of a version-1 catalog. */
    public static final int DISK_LENGTH_V1 = 24;
    public static final int DISK_ID_OFFSET = 0;
    public static final int DISK_KIND_OFFSET = 8;
    public static final int DISK_POLICY_OFFSET = 9;
    public static final int DISK_MODE_OFFSET = 10;
    public static final int DISK_FLAGS_OFFSET = 11;
    public static final int DISK_SEGMENTS_OFFSET = 12;
    /** Caller's idempotency tag of a snapshot/snapclone (0 = none). */
    public static final int DISK_TAG_OFFSET = 16;
    /** A snapclone's quiesce threshold M (u32, 0 = configured); version 2 on. */
    public static final int DISK_QUIESCE_M_OFFSET = 24;

    public static final int FLAG_PAUSED = 1;
    public static final int FLAG_STALLED = 2;

    public static final int OP_NONE = 0;
    public static final int OP_DELETE = 1;
    public static final int OP_ROLLBACK = 2;
    public static final int OP_INVALIDATE = 3;

    public static final int TRAILER_LENGTH = 4;

    private CatalogDescriptor() {
    }

    /** Offset of tree {@code t}'s disk {@code d} record given the tree's header offset. */
    public static int diskOffset(int treeHeaderOffset, int d) {
        return diskOffset(treeHeaderOffset, d, DISK_LENGTH);
    }

    public static int treeLength(int disks) {
        return treeLength(disks, DISK_LENGTH);
    }

    /** As {@link #diskOffset(int, int)} for records of {@code diskLength} bytes (the version's). */
    public static int diskOffset(int treeHeaderOffset, int d, int diskLength) {
        return treeHeaderOffset + TREE_HEADER_LENGTH + d * diskLength;
    }

    public static int treeLength(int disks, int diskLength) {
        return TREE_HEADER_LENGTH + disks * diskLength;
    }
}
