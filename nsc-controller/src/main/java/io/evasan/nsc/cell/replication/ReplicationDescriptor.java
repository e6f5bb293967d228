package io.evasan.nsc.cell.replication;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.api.CellRecord;
import io.evasan.nsc.cell.CellRecordDescriptor;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The two messages of record replication between the controllers of a cell, big-endian: a batch of committed
 * records (owner → partner) and the partner's acknowledgement (partner → owner).
 *
 * <pre>
 *  BATCH
 *  0        2         3         4                  8
 *  +--------+---------+---------+------------------+
 *  | "RB"   | version | flags   | count (u32)      |
 *  |        | (1)     | (0)     |                  |
 *  +--------+---------+---------+------------------+
 *  | count x ( length (u32) | one record as CellRecordDescriptor lays it out, with its own CRC32C ) |
 *  +-------------------------------------------------------------------------------------------------+
 *
 *  ACK
 *  0        2         3         4                                   12            16
 *  +--------+---------+---------+-----------------------------------+-------------+
 *  | "RA"   | version | status  | applied (u64): the last sequence   | crc32c over |
 *  |        | (1)     | 0 OK    | number the partner has applied,    | bytes 0..11 |
 *  |        |         | 1 DIVERGED | all before it applied too       |             |
 *  +--------+---------+---------+-----------------------------------+-------------+
 * </pre>
 *
 * <p>Invariants: a batch's records are in ascending sequence order without gaps (the sender builds them from its
 * retained queue); decoding refuses anything {@link #encodeBatch} / {@link #encodeAck} did not produce — a flipped
 * bit, a torn or padded message, non-zero flags, an unknown status — with {@code CORRUPT_METADATA}.
 */
public final class ReplicationDescriptor {
    public static final int BATCH_MAGIC = 0x5242;   // "RB"
    public static final int ACK_MAGIC = 0x5241;     // "RA"
    public static final int VERSION = 1;
    public static final int BATCH_HEADER = 8;
    public static final int ACK_LENGTH = 16;

    /** The partner's answer to a batch. */
    public enum Status { OK, DIVERGED }

    /** An acknowledgement: every record up to {@code applied} is applied by the partner. */
    public record Ack(Status status, long applied) {
    }

    private ReplicationDescriptor() {
    }

    /** A batch of already encoded records (each as {@link CellRecordDescriptor#encode} made it). */
    public static byte[] encodeBatch(List<byte[]> records) {
        int size = BATCH_HEADER;
        for (byte[] r : records) {
            size += 4 + r.length;
        }
        ByteBuffer b = ByteBuffer.allocate(size);
        b.putShort((short) BATCH_MAGIC).put((byte) VERSION).put((byte) 0).putInt(records.size());
        for (byte[] r : records) {
            b.putInt(r.length).put(r);
        }
        return b.array();
    }

    /** The records of a batch, decoded and checked. */
    public static List<CellRecord.Committed> decodeBatch(byte[] bytes) {
        if (bytes.length < BATCH_HEADER) {
            throw corrupt("replication batch of " + bytes.length + " bytes is shorter than its header");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        if ((b.getShort() & 0xFFFF) != BATCH_MAGIC) {
            throw corrupt("bad replication batch magic");
        }
        int version = b.get() & 0xFF;
        if (version != VERSION) {
            throw corrupt("unknown replication batch version " + version);
        }
        int flags = b.get() & 0xFF;
        if (flags != 0) {
            throw corrupt("replication batch flags " + flags + " (none are defined)");
        }
        long count = b.getInt() & 0xFFFFFFFFL;
        List<CellRecord.Committed> out = new ArrayList<>();
        for (long i = 0; i < count; i++) {
            if (b.remaining() < 4) {
                throw corrupt("replication batch ends inside record " + i + " of " + count);
            }
            long length = b.getInt() & 0xFFFFFFFFL;
            if (length > b.remaining()) {
                throw corrupt("replication batch record " + i + " of " + length + " bytes overruns the batch");
            }
            byte[] r = new byte[(int) length];
            b.get(r);
            CellRecord.Committed c = CellRecordDescriptor.decode(r);
            if (!out.isEmpty() && c.seq() != out.get(out.size() - 1).seq() + 1) {
                throw corrupt("replication batch record " + c.seq() + " follows " + out.get(out.size() - 1).seq());
            }
            out.add(c);
        }
        if (b.hasRemaining()) {
            throw corrupt("replication batch has " + b.remaining() + " bytes after its " + count + " records");
        }
        return out;
    }

    public static byte[] encodeAck(Ack ack) {
        ByteBuffer b = ByteBuffer.allocate(ACK_LENGTH);
        b.putShort((short) ACK_MAGIC).put((byte) VERSION).put((byte) ack.status().ordinal()).putLong(ack.applied());
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, 12);
        b.putInt((int) crc.getValue());
        return b.array();
    }

    public static Ack decodeAck(byte[] bytes) {
        if (bytes.length != ACK_LENGTH) {
            throw corrupt("replication ack of " + bytes.length + " bytes, not " + ACK_LENGTH);
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, 12);
        if ((int) crc.getValue() != b.getInt(12)) {
            throw corrupt("replication ack CRC32C mismatch");
        }
        if ((b.getShort(0) & 0xFFFF) != ACK_MAGIC || (b.get(2) & 0xFF) != VERSION) {
            throw corrupt("bad replication ack magic or version");
        }
        int status = b.get(3) & 0xFF;
        if (status >= Status.values().length) {
            throw corrupt("unknown replication ack status " + status);
        }
        return new Ack(Status.values()[status], b.getLong(4));
    }

    private static StorageException corrupt(String message) {
        return new StorageException(ErrorCode.CORRUPT_METADATA, message);
    }
}
