package io.evasan.sharing.catalog;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

import static io.evasan.sharing.catalog.CatalogDescriptor.*;

/**
 * Decoded catalog: trees (chains, oldest first) and invalidated disks. Encoding is in
 * {@link CatalogDescriptor}'s layout. Invariant: {@code decode(encode(c))} equals {@code c}; a blob
 * with a bad magic, version, length or CRC is rejected with CORRUPT_METADATA.
 */
public final class Catalog {
    /** One disk record. */
    public record DiskRec(long id, int kind, int policy, int mode, int flags, int segments, long tag, int quiesceM) {
        public DiskRec(long id, int kind, int policy, int mode, int flags, int segments, long tag) {
            this(id, kind, policy, mode, flags, segments, tag, 0);
        }
    }

    /** One tree: chain oldest first, plus a pending structural operation. */
    public record TreeRec(List<DiskRec> chain, int op, long argA, long argB) {
    }

    public final List<TreeRec> trees = new ArrayList<>();
    public final List<DiskRec> invalid = new ArrayList<>();
    /** Version the blob was decoded from ({@link CatalogDescriptor#VERSION} for a new catalog); encode always writes the current one. */
    public int version = VERSION;

    public byte[] encode() {
        int len = HEADER_LENGTH + 4 + invalid.size() * DISK_LENGTH + TRAILER_LENGTH;
        for (TreeRec t : trees) {
            len += treeLength(t.chain().size());
        }
        ByteBuffer b = ByteBuffer.allocate(len).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC_OFFSET, MAGIC).putInt(VERSION_OFFSET, VERSION).putInt(TREE_COUNT_OFFSET, trees.size());
        int at = HEADER_LENGTH;
        for (TreeRec t : trees) {
            b.putInt(at + TREE_DISKS_OFFSET, t.chain().size());
            b.put(at + TREE_OP_OFFSET, (byte) t.op());
            b.putLong(at + TREE_ARG_A_OFFSET, t.argA());
            b.putLong(at + TREE_ARG_B_OFFSET, t.argB());
            for (int d = 0; d < t.chain().size(); d++) {
                putDisk(b, diskOffset(at, d), t.chain().get(d));
            }
            at += treeLength(t.chain().size());
        }
        b.putInt(at, invalid.size());
        at += 4;
        for (DiskRec r : invalid) {
            putDisk(b, at, r);
            at += DISK_LENGTH;
        }
        CRC32 crc = new CRC32();
        crc.update(b.array(), 0, at);
        b.putInt(at, (int) crc.getValue());
        return b.array();
    }

    public static Catalog decode(byte[] blob) {
        Catalog c = new Catalog();
        if (blob == null) {
            return c;
        }
        try {
            ByteBuffer b = ByteBuffer.wrap(blob).order(ByteOrder.LITTLE_ENDIAN);
            if (blob.length < HEADER_LENGTH + 4 + TRAILER_LENGTH || b.getInt(MAGIC_OFFSET) != MAGIC
                    || (b.getInt(VERSION_OFFSET) != VERSION && b.getInt(VERSION_OFFSET) != VERSION_INEXACT_SP)) {
                throw corrupt("bad header");
            }
            c.version = b.getInt(VERSION_OFFSET);
            int diskLen = c.version == VERSION_INEXACT_SP ? DISK_LENGTH_V1 : DISK_LENGTH;
            CRC32 crc = new CRC32();
            crc.update(blob, 0, blob.length - TRAILER_LENGTH);
            if ((int) crc.getValue() != b.getInt(blob.length - TRAILER_LENGTH)) {
                throw corrupt("checksum mismatch");
            }
            int trees = b.getInt(TREE_COUNT_OFFSET);
            int at = HEADER_LENGTH;
            for (int t = 0; t < trees; t++) {
                int n = b.getInt(at + TREE_DISKS_OFFSET);
                List<DiskRec> chain = new ArrayList<>(n);
                for (int d = 0; d < n; d++) {
                    chain.add(getDisk(b, diskOffset(at, d, diskLen), diskLen));
                }
                c.trees.add(new TreeRec(chain, b.get(at + TREE_OP_OFFSET), b.getLong(at + TREE_ARG_A_OFFSET),
                        b.getLong(at + TREE_ARG_B_OFFSET)));
                at += treeLength(n, diskLen);
            }
            int inv = b.getInt(at);
            at += 4;
            for (int i = 0; i < inv; i++) {
                c.invalid.add(getDisk(b, at, diskLen));
                at += diskLen;
            }
            if (at + TRAILER_LENGTH != blob.length) {
                throw corrupt("length mismatch");
            }
            return c;
        } catch (IndexOutOfBoundsException e) {
            throw corrupt("truncated");
        }
    }

    private static StorageException corrupt(String why) {
        return new StorageException(ErrorCode.CORRUPT_METADATA, "sharing-tree catalog: " + why);
    }

    private static void putDisk(ByteBuffer b, int at, DiskRec r) {
        b.putLong(at + DISK_ID_OFFSET, r.id());
        b.put(at + DISK_KIND_OFFSET, (byte) r.kind());
        b.put(at + DISK_POLICY_OFFSET, (byte) r.policy());
        b.put(at + DISK_MODE_OFFSET, (byte) r.mode());
        b.put(at + DISK_FLAGS_OFFSET, (byte) r.flags());
        b.putInt(at + DISK_SEGMENTS_OFFSET, r.segments());
        b.putLong(at + DISK_TAG_OFFSET, r.tag());
        b.putInt(at + DISK_QUIESCE_M_OFFSET, r.quiesceM());
    }

    private static DiskRec getDisk(ByteBuffer b, int at, int diskLen) {
        return new DiskRec(b.getLong(at + DISK_ID_OFFSET), b.get(at + DISK_KIND_OFFSET), b.get(at + DISK_POLICY_OFFSET),
                b.get(at + DISK_MODE_OFFSET), b.get(at + DISK_FLAGS_OFFSET), b.getInt(at + DISK_SEGMENTS_OFFSET),
                b.getLong(at + DISK_TAG_OFFSET), diskLen > DISK_QUIESCE_M_OFFSET ? b.getInt(at + DISK_QUIESCE_M_OFFSET) : 0);
    }
}
