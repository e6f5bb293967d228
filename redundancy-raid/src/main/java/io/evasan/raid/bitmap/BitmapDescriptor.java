package io.evasan.raid.bitmap;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.UUID;
import java.util.zip.CRC32C;

/**
 * On-disk layout of a disk group's write-intent bitmap: the file {@code <pool dir>/group-<id>.bitmap}
 * ({@link #fileName}), one header sector followed by the bits, rewritten whole in place at every
 * change. Bit {@code i} says "chunk {@code i} may have a write in flight": chunk {@code i} is every
 * RStore whose RSD id is congruent to {@code i} modulo the bit count ({@link #bitOf}), i.e. one bit
 * per {@link #CHUNK_ROWS} rows (8 MiB of virtual space).
 *
 * <pre>
 *  +------------------------------------------------------------------+ 0
 *  | header sector (512 B, below)                                     |
 *  +------------------------------------------------------------------+ 512
 *  | bits: bit i at byte 512 + i / 8, bit (i % 8) counted from the    |
 *  | least significant; bit count a power of two, 4096..2^24          |
 *  +------------------------------------------------------------------+ 512 + bits / 8
 *
 *  header (little-endian):
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+   0
 *  |                     magic "EVB1" (0x31425645)                 |
 *  +-------------------------------+-------------------------------+   4
 *  |         version (1)           |        reserved (zero)        |
 *  +-------------------------------+-------------------------------+   8
 *  |              sequence number (8 B, +1 per rewrite)            |
 *  +---------------------------------------------------------------+  16
 *  |                 pool UUID (16 B: msb, then lsb)               |
 *  +---------------------------------------------------------------+  32
 *  |                        disk group id                          |
 *  +---------------------------------------------------------------+  36
 *  |                  rows per chunk (CHUNK_ROWS = 32)             |
 *  +---------------------------------------------------------------+  40
 *  |                      bit count (2^k)                          |
 *  +---------------------------------------------------------------+  44
 *  |                   set bits (population count)                 |
 *  +---------------------------------------------------------------+  48
 *  |                       reserved (zero)                         |
 *  +---------------------------------------------------------------+ 508
 *  |    CRC32C of header bytes 0..507 followed by the bit bytes    |
 *  +---------------------------------------------------------------+ 512
 * </pre>
 *
 * <p>Invariant: an image is accepted only if magic, version, pool, group, rows per chunk, bit
 * count, population count and CRC all check; a torn rewrite (any sector of it not written) fails
 * the CRC or the population count, and the caller then treats every chunk as marked. The sequence
 * number orders rewrites (the loader reports it; a rewrite never reuses one).
 */
public final class BitmapDescriptor {
    public static final int MAGIC = 0x31425645; // "EVB1"
    public static final int VERSION = 1;
    public static final int HEADER_BYTES = 512;
    /**
     * Rows (64 KiB per column) covered by one bit: all 32 rows of an RStore, 8 MiB of virtual
     * space. Linux md picks chunks of 64 MiB and more for big arrays; an RStore is this layer's
     * unit of allocation, so a bit is named by the RSD id alone and costs 32 row resyncs.
     */
    public static final int CHUNK_ROWS = 32;
    public static final int MIN_BITS = 4096;
    public static final int MAX_BITS = 1 << 24;
    /** Default bit count: 2^17 chunks = 1 TiB of RStores before two RStores share a bit (16 KiB of bits). */
    public static final int DEFAULT_BITS = 1 << 17;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 4;
    public static final int SEQUENCE_OFFSET = 8;
    public static final int POOL_OFFSET = 16;
    public static final int GROUP_OFFSET = 32;
    public static final int CHUNK_ROWS_OFFSET = 36;
    public static final int BITS_OFFSET = 40;
    public static final int POPULATION_OFFSET = 44;
    public static final int CRC_OFFSET = 508;

    /** A decoded image: its sequence number and its bits (64 per word, bit i in word i / 64). */
    public record Image(long sequence, int bits, long[] words) {
        public boolean isSet(long rsdId) {
            int i = bitOf(rsdId, bits);
            return (words[i >>> 6] & (1L << i)) != 0;
        }

        public int population() {
            int n = 0;
            for (long w : words) {
                n += Long.bitCount(w);
            }
            return n;
        }
    }

    private BitmapDescriptor() {
    }

    public static String fileName(int groupId) {
        return "group-" + groupId + ".bitmap";
    }

    /** Bytes of an image with {@code bits} bits. */
    public static int imageBytes(int bits) {
        return HEADER_BYTES + bits / 8;
    }

    /** The bit of RSD {@code rsdId} in a bitmap of {@code bits} bits (a power of two). */
    public static int bitOf(long rsdId, int bits) {
        return (int) (rsdId & (bits - 1));
    }

    /** Checks a bit count; INVALID_ARGUMENT naming it otherwise. */
    public static void checkBits(int bits) {
        if (bits < MIN_BITS || bits > MAX_BITS || Integer.bitCount(bits) != 1) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "write-intent bitmap bit count " + bits
                    + " is not a power of two in " + MIN_BITS + ".." + MAX_BITS);
        }
    }

    /** Writes the image of {@code words} into {@code b} (positions 0..imageBytes(bits), little-endian), sealed. */
    public static void encode(ByteBuffer b, long sequence, UUID pool, int group, int bits, long[] words) {
        checkBits(bits);
        if (words.length != bits / 64) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "write-intent bitmap words: " + words.length
                    + " words for " + bits + " bits (needs " + bits / 64 + ")");
        }
        b.order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < HEADER_BYTES; i += 8) {
            b.putLong(i, 0);
        }
        b.putInt(MAGIC_OFFSET, MAGIC);
        b.putShort(VERSION_OFFSET, (short) VERSION);
        b.putLong(SEQUENCE_OFFSET, sequence);
        b.putLong(POOL_OFFSET, pool.getMostSignificantBits());
        b.putLong(POOL_OFFSET + 8, pool.getLeastSignificantBits());
        b.putInt(GROUP_OFFSET, group);
        b.putInt(CHUNK_ROWS_OFFSET, CHUNK_ROWS);
        b.putInt(BITS_OFFSET, bits);
        int pop = 0;
        for (int w = 0; w < words.length; w++) {
            b.putLong(HEADER_BYTES + 8 * w, words[w]);
            pop += Long.bitCount(words[w]);
        }
        b.putInt(POPULATION_OFFSET, pop);
        b.putInt(CRC_OFFSET, crc(b, bits));
    }

    /** CRC32C of header bytes 0..507 and the bit bytes. */
    public static int crc(ByteBuffer b, int bits) {
        CRC32C c = new CRC32C();
        ByteBuffer d = b.duplicate();
        d.limit(CRC_OFFSET).position(0);
        c.update(d);
        d.limit(imageBytes(bits)).position(HEADER_BYTES);
        c.update(d);
        return (int) c.getValue();
    }

    /**
     * Decodes the image in {@code b} (bytes 0..limit) for pool {@code pool}, group {@code group}.
     * CORRUPT_METADATA naming the field that does not check (the caller falls back to a full resync).
     */
    public static Image decode(ByteBuffer b, UUID pool, int group) {
        b.order(ByteOrder.LITTLE_ENDIAN);
        if (b.limit() < HEADER_BYTES) {
            throw bad("file length " + b.limit() + " is shorter than the " + HEADER_BYTES + "-byte header");
        }
        int magic = b.getInt(MAGIC_OFFSET);
        if (magic != MAGIC) {
            throw bad("magic 0x" + Integer.toHexString(magic) + " is not \"EVB1\"");
        }
        int version = b.getShort(VERSION_OFFSET) & 0xFFFF;
        if (version != VERSION) {
            throw bad("version " + version + " is not " + VERSION);
        }
        int bits = b.getInt(BITS_OFFSET);
        if (bits < MIN_BITS || bits > MAX_BITS || Integer.bitCount(bits) != 1) {
            throw bad("bit count " + bits + " is not a power of two in " + MIN_BITS + ".." + MAX_BITS);
        }
        if (b.limit() < imageBytes(bits)) {
            throw bad("file length " + b.limit() + " is shorter than the " + imageBytes(bits) + " bytes of " + bits
                    + " bits");
        }
        int crc = b.getInt(CRC_OFFSET);
        if (crc != crc(b, bits)) {
            throw bad("CRC32C mismatch (torn or damaged rewrite)");
        }
        UUID p = new UUID(b.getLong(POOL_OFFSET), b.getLong(POOL_OFFSET + 8));
        if (!p.equals(pool)) {
            throw bad("pool UUID " + p + " is not this pool's " + pool);
        }
        int g = b.getInt(GROUP_OFFSET);
        if (g != group) {
            throw bad("disk group id " + g + " is not " + group);
        }
        int rows = b.getInt(CHUNK_ROWS_OFFSET);
        if (rows != CHUNK_ROWS) {
            throw bad("rows per chunk " + rows + " is not " + CHUNK_ROWS);
        }
        long[] words = new long[bits / 64];
        int pop = 0;
        for (int w = 0; w < words.length; w++) {
            words[w] = b.getLong(HEADER_BYTES + 8 * w);
            pop += Long.bitCount(words[w]);
        }
        int recorded = b.getInt(POPULATION_OFFSET);
        if (recorded != pop) {
            throw bad("population count " + recorded + " disagrees with the " + pop + " bits set");
        }
        return new Image(b.getLong(SEQUENCE_OFFSET), bits, words);
    }

    private static StorageException bad(String what) {
        return new StorageException(ErrorCode.CORRUPT_METADATA, "write-intent bitmap: " + what);
    }
}
