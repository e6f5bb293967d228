package io.evasan.mgmt.impl;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Layout of one stored history point, the value of a slot of {@link PerfHistory}'s Chronicle Map. Every
 * value has the same size ({@link #SIZE}), so the map stores them as constant-size entries.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                        magic 'EVPH'                           |   0
 *  +-------------------------------+-------------------------------+
 *  |          version (1)          |  kind (1 = I/O, 2 = capacity) |   4
 *  +-------------------------------+-------------------------------+
 *  |                 startMillis (i64, epoch ms)                   |   8
 *  +---------------------------------------------------------------+
 *  |          I/O: read commands   | capacity: used bytes  (i64)   |  16
 *  +---------------------------------------------------------------+
 *  |          I/O: write commands  | capacity: capacity bytes (i64)|  24
 *  +---------------------------------------------------------------+
 *  |          I/O: bytes read      | capacity: provisioned (i64)   |  32
 *  +---------------------------------------------------------------+
 *  |          I/O: bytes written   | capacity: 0           (i64)   |  40
 *  +---------------------------------------------------------------+
 *  |  I/O: 17 latency bucket counts (u32 each, saturating at       |  48
 *  |       2^32-1; ScsiStats.LATENCY_BUCKETS then overflow)        |
 *  |  capacity: 0                                                  |
 *  +---------------------------------------------------------------+
 *  |         CRC-32C of every byte before it (u32)                 | 116
 *  +---------------------------------------------------------------+
 *  little endian, 120 bytes
 * </pre>
 * The magic/version check and the CRC-32C trailer are {@link CrcRecord}'s.
 */
public final class PerfPointDescriptor {
    public static final int MAGIC = 0x48505645; // "EVPH" little endian
    public static final int VERSION = 1;
    public static final int KIND_IO = 1;
    public static final int KIND_CAPACITY = 2;
    static final int HEADER = 48;
    public static final int SIZE = HEADER + PerfPoint.BUCKETS * 4 + CrcRecord.TRAILER;
    private static final String WHAT = "performance history point";

    private PerfPointDescriptor() {
    }

    public static byte[] encode(PerfPoint p) {
        ByteBuffer b = header(KIND_IO, p.startMillis()).putLong(p.reads()).putLong(p.writes())
                .putLong(p.readBytes()).putLong(p.writeBytes());
        for (long c : p.buckets()) {
            b.putInt((int) Math.min(c, 0xFFFF_FFFFL));
        }
        return CrcRecord.seal(b);
    }

    public static byte[] encode(CapacityPoint p) {
        ByteBuffer b = header(KIND_CAPACITY, p.startMillis()).putLong(p.usedBytes()).putLong(p.capacityBytes())
                .putLong(p.provisionedBytes()).putLong(0);
        b.position(SIZE - CrcRecord.TRAILER);
        return CrcRecord.seal(b);
    }

    private static ByteBuffer header(int kind, long start) {
        return ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN).putInt(MAGIC).putShort((short) VERSION)
                .putShort((short) kind).putLong(start);
    }

    /** The kind of a stored point. @throws io.evasan.error.StorageException CORRUPT_METADATA for a malformed one */
    public static int kind(byte[] r) {
        ByteBuffer b = check(r);
        return b.getShort(6) & 0xFFFF;
    }

    /** @throws io.evasan.error.StorageException CORRUPT_METADATA for a malformed point or one of another kind */
    public static PerfPoint decodeIo(byte[] r) {
        ByteBuffer b = checkKind(r, KIND_IO);
        long[] buckets = new long[PerfPoint.BUCKETS];
        for (int i = 0; i < buckets.length; i++) {
            buckets[i] = b.getInt(HEADER + 4 * i) & 0xFFFF_FFFFL;
        }
        long[] c = counts(b);
        return new PerfPoint(b.getLong(8), c[0], c[1], c[2], c[3], buckets);
    }

    /** @throws io.evasan.error.StorageException CORRUPT_METADATA for a malformed point or one of another kind */
    public static CapacityPoint decodeCapacity(byte[] r) {
        ByteBuffer b = checkKind(r, KIND_CAPACITY);
        long[] c = counts(b);
        if (c[1] < c[0] || c[2] < 0 || c[3] != 0) {
            throw CrcRecord.corrupt(WHAT, "capacity fields out of range");
        }
        for (int i = HEADER; i < SIZE - CrcRecord.TRAILER; i++) {
            if (r[i] != 0) {
                throw CrcRecord.corrupt(WHAT, "capacity point with latency buckets");
            }
        }
        return new CapacityPoint(b.getLong(8), c[0], c[1], c[2]);
    }

    private static long[] counts(ByteBuffer b) {
        long[] c = {b.getLong(16), b.getLong(24), b.getLong(32), b.getLong(40)};
        for (long v : c) {
            if (v < 0) {
                throw CrcRecord.corrupt(WHAT, "negative count");
            }
        }
        return c;
    }

    private static ByteBuffer checkKind(byte[] r, int kind) {
        ByteBuffer b = check(r);
        int k = b.getShort(6) & 0xFFFF;
        if (k != kind) {
            throw CrcRecord.corrupt(WHAT, "kind " + k + " where " + kind + " was expected");
        }
        return b;
    }

    private static ByteBuffer check(byte[] r) {
        ByteBuffer b = CrcRecord.open(r, HEADER, MAGIC, VERSION, WHAT);
        if (r.length != SIZE) {
            throw CrcRecord.corrupt(WHAT, "length " + r.length + " is not " + SIZE);
        }
        CrcRecord.checkCrc(r, WHAT);
        return b;
    }
}
