package io.evasan.scsi.lu.impl;

import io.evasan.scsi.lu.LbaStatusSink;
import io.evasan.scsi.lu.LogicalUnit;
import io.evasan.scsi.lu.LuException;
import io.evasan.scsi.lu.Naa;
import io.evasan.scsi.sense.SenseCodes;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A sparse, thin-provisioned RAM disk LUN. Data lives in 1 MiB chunks (2048 blocks) allocated on
 * first write; each chunk carries a per-block "mapped" bitmap so GET LBA STATUS and UNMAP are
 * exact to the block, and its data array only once a non-zero block is written (writing zeros
 * with WRITE SAME maps blocks without data). A 1 GiB LUN costs a 1024-entry reference array
 * until written.
 *
 * <p>Invariants: unwritten and unmapped blocks read as zeros (LBPRZ); a chunk is released when
 * its last mapped block is unmapped; each chunk's bytes and bitmap change under the chunk's
 * monitor, so concurrent I/O to different chunks never contends.
 */
public final class MemoryLogicalUnit implements LogicalUnit {
    public static final int CHUNK_BLOCKS = 2048;
    private static final int CHUNK_SHIFT = 11;

    private final String name;
    private final long blockCount;
    private final byte[] naa;
    private final String serial;
    private final AtomicReferenceArray<Chunk> chunks;
    private volatile int readiness;
    private volatile boolean writeProtected;
    private volatile int oneShot;
    private volatile int physicalBlockExponent = 3;

    private static final class Chunk {
        /** Null while every mapped block of the chunk is zero. */
        byte[] data;
        final long[] mapped = new long[CHUNK_BLOCKS / 64];
        int mappedCount;
    }

    public MemoryLogicalUnit(String name, long blockCount) {
        if (blockCount <= 0 || blockCount > (long) Integer.MAX_VALUE * CHUNK_BLOCKS) {
            throw new IllegalArgumentException("blockCount " + blockCount);
        }
        this.name = name;
        this.blockCount = blockCount;
        this.naa = Naa.fromName(name);
        this.serial = String.format("EVS%016X", io.evasan.scsi.cdb.CdbDescriptor.u64(naa, 8));
        this.chunks = new AtomicReferenceArray<>((int) ((blockCount + CHUNK_BLOCKS - 1) >>> CHUNK_SHIFT));
    }

    /** Capacity in bytes for convenience: {@code new MemoryLogicalUnit("x", 1L << 30 >> 9)}. */
    public static MemoryLogicalUnit ofBytes(String name, long bytes) {
        return new MemoryLogicalUnit(name, bytes / BLOCK_SIZE);
    }

    @Override public String name() { return name; }
    @Override public long blockCount() { return blockCount; }
    @Override public byte[] naaIdentifier() { return naa.clone(); }
    @Override public String serialNumber() { return serial; }
    @Override public boolean thinProvisioned() { return true; }

    @Override
    public int readiness() {
        int o = oneShot;
        if (o != 0) {
            oneShot = 0;
            return o;
        }
        return readiness;
    }

    @Override public boolean writeProtected() { return writeProtected; }

    /** Sets the NOT READY reason (0 = ready). */
    public void setReadiness(int senseCode) { this.readiness = senseCode; }

    /** Reports {@code senseCode} once on the next readiness check, then the steady state. */
    public void setOneShotCondition(int senseCode) { this.oneShot = senseCode; }

    public void setWriteProtected(boolean wp) { this.writeProtected = wp; }

    @Override public int physicalBlockExponent() { return physicalBlockExponent; }

    /**
     * Sets the LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT reported by READ CAPACITY(16)
     * (default 3 = 4 KiB physical blocks; 0 = 512-byte native). Call before presenting the LU
     * (a change while initiators are logged in is not announced with a unit attention).
     */
    public void setPhysicalBlockExponent(int exponent) {
        if (exponent < 0 || exponent > 15) {
            throw new IllegalArgumentException("exponent " + exponent);
        }
        this.physicalBlockExponent = exponent;
    }

    /** Number of allocated 1 MiB chunks (memory actually used). */
    public int allocatedChunks() {
        int n = 0;
        for (int i = 0; i < chunks.length(); i++) {
            if (chunks.get(i) != null) {
                n++;
            }
        }
        return n;
    }

    private void check(long lba, long blocks) throws LuException {
        if (lba < 0 || blocks < 0 || lba + blocks > blockCount || lba + blocks < lba) {
            throw LuException.check(SenseCodes.LBA_OUT_OF_RANGE, lba, "beyond " + blockCount);
        }
    }

    /** Reads copy from memory. */
    @Override
    public boolean fastReads() {
        return true;
    }

    @Override
    public void read(long lba, int blocks, ByteBuffer dst) throws LuException {
        check(lba, blocks);
        while (blocks > 0) {
            int ci = (int) (lba >>> CHUNK_SHIFT);
            int first = (int) (lba & (CHUNK_BLOCKS - 1));
            int n = Math.min(blocks, CHUNK_BLOCKS - first);
            Chunk c = chunks.get(ci);
            int bytes = n * BLOCK_SIZE;
            if (c == null) {
                zero(dst, bytes);
            } else {
                synchronized (c) {
                    if (c.data == null) {
                        zero(dst, bytes);
                    } else {
                        dst.put(c.data, first * BLOCK_SIZE, bytes);
                    }
                }
            }
            lba += n;
            blocks -= n;
        }
    }

    private static void zero(ByteBuffer dst, int bytes) {
        for (int i = 0; i < bytes; i += 8) {
            dst.putLong(0L);
        }
    }

    @Override
    public void write(long lba, int blocks, ByteBuffer src, boolean fua) throws LuException {
        check(lba, blocks);
        while (blocks > 0) {
            int ci = (int) (lba >>> CHUNK_SHIFT);
            int first = (int) (lba & (CHUNK_BLOCKS - 1));
            int n = Math.min(blocks, CHUNK_BLOCKS - first);
            for (;;) {
                Chunk c = installed(ci);
                synchronized (c) {
                    if (chunks.get(ci) != c) {
                        continue; // released by a concurrent unmap
                    }
                    if (c.data == null) {
                        c.data = new byte[CHUNK_BLOCKS * BLOCK_SIZE];
                    }
                    src.get(c.data, first * BLOCK_SIZE, n * BLOCK_SIZE);
                    for (int b = first; b < first + n; b++) {
                        if ((c.mapped[b >>> 6] & 1L << b) == 0) {
                            c.mapped[b >>> 6] |= 1L << b;
                            c.mappedCount++;
                        }
                    }
                    break;
                }
            }
            lba += n;
            blocks -= n;
        }
    }

    /** The chunk at ci, installing an empty one if absent. */
    private Chunk installed(int ci) {
        for (;;) {
            Chunk c = chunks.get(ci);
            if (c != null) {
                return c;
            }
            Chunk fresh = new Chunk();
            if (chunks.compareAndSet(ci, null, fresh)) {
                return fresh;
            }
        }
    }

    @Override
    public void unmap(long lba, long blocks) throws LuException {
        check(lba, blocks);
        while (blocks > 0) {
            int ci = (int) (lba >>> CHUNK_SHIFT);
            int first = (int) (lba & (CHUNK_BLOCKS - 1));
            int n = (int) Math.min(blocks, CHUNK_BLOCKS - first);
            Chunk c = chunks.get(ci);
            if (c != null) {
                synchronized (c) {
                    if (c.data != null) {
                        java.util.Arrays.fill(c.data, first * BLOCK_SIZE, (first + n) * BLOCK_SIZE, (byte) 0);
                    }
                    for (int b = first; b < first + n; b++) {
                        if ((c.mapped[b >>> 6] & 1L << b) != 0) {
                            c.mapped[b >>> 6] &= ~(1L << b);
                            c.mappedCount--;
                        }
                    }
                    if (c.mappedCount == 0) {
                        chunks.compareAndSet(ci, c, null);
                    }
                }
            }
            lba += n;
            blocks -= n;
        }
    }

    @Override
    public boolean writeZeros(long lba, long blocks, boolean fua) throws LuException {
        check(lba, blocks);
        while (blocks > 0) {
            int ci = (int) (lba >>> CHUNK_SHIFT);
            int first = (int) (lba & (CHUNK_BLOCKS - 1));
            int n = (int) Math.min(blocks, CHUNK_BLOCKS - first);
            for (;;) {
                Chunk c = installed(ci);
                synchronized (c) {
                    if (chunks.get(ci) != c) {
                        continue; // released by a concurrent unmap
                    }
                    if (c.data != null) {
                        java.util.Arrays.fill(c.data, first * BLOCK_SIZE, (first + n) * BLOCK_SIZE, (byte) 0);
                    }
                    for (int b = first; b < first + n; b++) {
                        if ((c.mapped[b >>> 6] & 1L << b) == 0) {
                            c.mapped[b >>> 6] |= 1L << b;
                            c.mappedCount++;
                        }
                    }
                    break;
                }
            }
            lba += n;
            blocks -= n;
        }
        return true;
    }

    /** Number of chunks holding a data array (RAM actually used for data). */
    public int dataChunks() {
        int n = 0;
        for (int i = 0; i < chunks.length(); i++) {
            Chunk c = chunks.get(i);
            if (c != null && c.data != null) {
                n++;
            }
        }
        return n;
    }

    @Override
    public void lbaStatus(long lba, long maxBlocks, LbaStatusSink sink) throws LuException {
        check(lba, 0);
        long end = Math.min(blockCount, lba + maxBlocks);
        long runStart = lba;
        int runState = -1;
        long p = lba;
        while (p < end) {
            int ci = (int) (p >>> CHUNK_SHIFT);
            Chunk c = chunks.get(ci);
            long chunkEnd = Math.min(end, ((long) ci + 1) << CHUNK_SHIFT);
            if (c == null) {
                if (runState != LbaStatusSink.DEALLOCATED) {
                    if (runState >= 0 && !sink.extent(runStart, p - runStart, runState)) {
                        return;
                    }
                    runStart = p;
                    runState = LbaStatusSink.DEALLOCATED;
                }
                p = chunkEnd;
                continue;
            }
            synchronized (c) {
                for (; p < chunkEnd; p++) {
                    int b = (int) (p & (CHUNK_BLOCKS - 1));
                    int s = (c.mapped[b >>> 6] & 1L << b) != 0 ? LbaStatusSink.MAPPED : LbaStatusSink.DEALLOCATED;
                    if (s != runState) {
                        if (runState >= 0 && !sink.extent(runStart, p - runStart, runState)) {
                            return;
                        }
                        runStart = p;
                        runState = s;
                    }
                }
            }
        }
        if (runState >= 0) {
            sink.extent(runStart, end - runStart, runState);
        }
    }

    @Override
    public void flush(long lba, long blocks) {
        // RAM is this LU's stable storage: nothing to flush.
    }
}
