package io.evasan.mapping.pldmc;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static io.evasan.mapping.pldmc.PldmcLogDescriptor.*;

/**
 * Builder of one PLDMC log record (an atomic set of ops, see {@link PldmcLogDescriptor}).
 * Reusable: {@link #reset} before each transaction. Not thread-safe.
 */
public final class Txn {
    private ByteBuffer buf = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
    private int count;
    private int type = TYPE_TXN;

    public Txn() {
        reset();
    }

    public Txn reset() {
        buf.clear();
        buf.position(REC_OPS_OFFSET);
        count = 0;
        type = TYPE_TXN;
        return this;
    }

    public int opCount() {
        return count;
    }

    /** Bytes the record will take. */
    public int sizeBytes() {
        return buf.position() + REC_TRAILER;
    }

    private void room(int n) {
        if (buf.remaining() < n + REC_TRAILER) {
            ByteBuffer b = ByteBuffer.allocate(Math.max(buf.capacity() * 2, buf.position() + n + 64))
                    .order(ByteOrder.LITTLE_ENDIAN);
            buf.flip();
            b.put(buf);
            buf = b;
        }
        count++;
    }

    public Txn set(int disk, int segment, int entry) {
        room(13);
        buf.put(OP_SET).putInt(disk).putInt(segment).putInt(entry);
        return this;
    }

    public Txn rsdAdd(int group, int slot, long rsdId) {
        room(17);
        buf.put(OP_RSD_ADD).putInt(group).putInt(slot).putLong(rsdId);
        return this;
    }

    public Txn rsdFree(int group, int slot) {
        room(9);
        buf.put(OP_RSD_FREE).putInt(group).putInt(slot);
        return this;
    }

    public Txn clone(int src, int dst, int srcBits, int dstBits) {
        room(17);
        buf.put(OP_CLONE).putInt(src).putInt(dst).putInt(srcBits).putInt(dstBits);
        return this;
    }

    public Txn drop(int disk) {
        room(5);
        buf.put(OP_DROP).putInt(disk);
        return this;
    }

    public Txn truncate(int disk, int fromSegment) {
        room(9);
        buf.put(OP_TRUNCATE).putInt(disk).putInt(fromSegment);
        return this;
    }

    public Txn created(int disk) {
        room(5);
        buf.put(OP_CREATED).putInt(disk);
        return this;
    }

    /** Marks this (empty) record as written after a force: every record before it is durable. */
    public Txn forced() {
        type = TYPE_FORCED;
        return this;
    }

    /**
     * Marks this TXN as appended in fsync mode (every record before it is durable); a FORCED or
     * checkpoint-end record keeps its type.
     */
    public Txn sync() {
        if (type == TYPE_TXN) {
            type = TYPE_SYNC_TXN;
        }
        return this;
    }

    /** Marks this record as the end of a checkpoint. */
    public Txn checkpointEnd() {
        type = TYPE_CKPT_END;
        return this;
    }

    /** Seals the record with {@code seq} and returns a view of its bytes (valid until reset). */
    public ByteBuffer seal(long seq) {
        int len = buf.position() + REC_TRAILER;
        buf.putInt(REC_LENGTH_OFFSET, len).putInt(REC_TYPE_OFFSET, type).putLong(REC_SEQ_OFFSET, seq)
                .putInt(REC_COUNT_OFFSET, count);
        buf.putInt(len - REC_TRAILER, crc(buf, 0, len - REC_TRAILER));
        ByteBuffer view = buf.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        view.position(0).limit(len);
        return view;
    }

    /** Decodes the ops of a valid record at {@code pos} into {@code v}. */
    public static void replay(ByteBuffer file, int pos, OpVisitor v) {
        ByteBuffer b = file.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int n = b.getInt(pos + REC_COUNT_OFFSET);
        b.position(pos + REC_OPS_OFFSET);
        for (int i = 0; i < n; i++) {
            byte op = b.get();
            switch (op) {
                case OP_SET -> v.set(b.getInt(), b.getInt(), b.getInt());
                case OP_RSD_ADD -> v.rsdAdd(b.getInt(), b.getInt(), b.getLong());
                case OP_RSD_FREE -> v.rsdFree(b.getInt(), b.getInt());
                case OP_CLONE -> v.clone(b.getInt(), b.getInt(), b.getInt(), b.getInt());
                case OP_DROP -> v.drop(b.getInt());
                case OP_TRUNCATE -> v.truncate(b.getInt(), b.getInt());
                case OP_CREATED -> v.created(b.getInt());
                default -> throw new IllegalStateException("unknown PLDMC op " + op + " in a record with a valid CRC");
            }
        }
    }

    /** Receiver of decoded ops, applied in log order. */
    public interface OpVisitor {
        void set(int disk, int segment, int entry);

        void rsdAdd(int group, int slot, long rsdId);

        void rsdFree(int group, int slot);

        void clone(int src, int dst, int srcBits, int dstBits);

        void drop(int disk);

        void truncate(int disk, int fromSegment);

        void created(int disk);
    }
}
