package io.evasan.nsc.cell.drill;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;

/**
 * The self-describing 4 KiB block a drill's verifier writes to its scratch LUN: it names the run (seed), the block
 * (LBA in 4 KiB blocks) and the write (sequence), carries a seeded filler so two writes never look alike, and ends
 * in a CRC-32C over everything before it. Big-endian.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                  MAGIC "EVDV" (45 56 44 56)                   |  0
 *  +-------------------------------+-------------------------------+
 *  |          VERSION (1)          |          RESERVED (0)         |  4
 *  +-------------------------------+-------------------------------+
 *  |                          SEED (64)                            |  8
 *  +---------------------------------------------------------------+
 *  |                     LBA (64, 4 KiB blocks)                    | 16
 *  +---------------------------------------------------------------+
 *  |                       SEQUENCE (64)                           | 24
 *  +---------------------------------------------------------------+
 *  |   FILLER (4060 bytes: SplittableRandom(SEED ^ LBA*G ^ SEQ*H))  | 32
 *  +---------------------------------------------------------------+
 *  |                  CRC-32C of bytes 0..4091                     | 4092
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * Invariant: {@link #decode} accepts exactly what {@link #encode} produces; any other 4 KiB (a flipped bit, another
 * version, a block never written: zeros) is refused with CORRUPT_METADATA.
 */
public final class PatternBlockDescriptor {
    public static final int LENGTH = 4096;
    public static final int MAGIC = 0x45564456;   // "EVDV"
    public static final int VERSION = 1;
    static final int FILLER_OFFSET = 32;
    static final int CRC_OFFSET = LENGTH - 4;
    private static final long G = 0x9E3779B97F4A7C15L;
    private static final long H = 0xC2B2AE3D27D4EB4FL;

    /** What a valid block says about itself. */
    public record Block(long seed, long lba, long sequence) {
    }

    private PatternBlockDescriptor() {
    }

    public static byte[] encode(long seed, long lba, long sequence) {
        ByteBuffer b = ByteBuffer.allocate(LENGTH).order(ByteOrder.BIG_ENDIAN);
        b.putInt(MAGIC).putShort((short) VERSION).putShort((short) 0).putLong(seed).putLong(lba).putLong(sequence);
        SplittableRandom r = new SplittableRandom(seed ^ lba * G ^ sequence * H);
        while (b.position() + 8 <= CRC_OFFSET) {
            b.putLong(r.nextLong());
        }
        while (b.position() < CRC_OFFSET) {
            b.put((byte) r.nextInt());
        }
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, CRC_OFFSET);
        b.putInt((int) crc.getValue());
        return b.array();
    }

    /** The block's own description; {@code at} names where it was read, for the error. */
    public static Block decode(byte[] b, long at) {
        if (b == null || b.length != LENGTH) {
            throw corrupt(at, "length " + (b == null ? "null" : b.length));
        }
        ByteBuffer in = ByteBuffer.wrap(b).order(ByteOrder.BIG_ENDIAN);
        CRC32C crc = new CRC32C();
        crc.update(b, 0, CRC_OFFSET);
        if (in.getInt(CRC_OFFSET) != (int) crc.getValue()) {
            throw corrupt(at, "CRC");
        }
        if (in.getInt(0) != MAGIC || in.getShort(4) != VERSION || in.getShort(6) != 0) {
            throw corrupt(at, "magic or version");
        }
        Block blk = new Block(in.getLong(8), in.getLong(16), in.getLong(24));
        if (!java.util.Arrays.equals(b, encode(blk.seed(), blk.lba(), blk.sequence()))) {
            throw corrupt(at, "filler");
        }
        return blk;
    }

    private static StorageException corrupt(long at, String what) {
        return new StorageException(ErrorCode.CORRUPT_METADATA, "verifier block " + at + " is not a pattern block ("
                + what + ")");
    }
}
