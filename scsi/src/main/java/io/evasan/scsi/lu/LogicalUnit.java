package io.evasan.scsi.lu;

import java.nio.ByteBuffer;

/**
 * One logical unit as the SCSI target executes commands against it (block size 512).
 *
 * <p>Invariants the target relies on: {@link #read} of a never-written or unmapped block returns
 * zeros when {@link #thinProvisioned()} (LBPRZ=1); a {@link #write} that returns has its data
 * visible to every later read (and stable when {@code fua}); failures are reported only as
 * {@link LuException}; the target has already checked bounds, masking, reservations and
 * {@link #readiness()} before calling, and calls I/O methods from its worker threads only.
 * Identity ({@link #naaIdentifier()}, {@link #serialNumber()}) is stable for the LU's life.
 */
public interface LogicalUnit {
    int BLOCK_SIZE = 512;

    /** Unique name (used as the metrics tag and in logs). */
    String name();

    long blockCount();

    /** 16-byte NAA 6 (IEEE Registered Extended) identifier, see {@link Naa}. */
    byte[] naaIdentifier();

    String serialNumber();

    default String vendorId() {
        return "EVASAN";
    }

    default String productId() {
        return "VIRTUAL DISK";
    }

    default String productRevision() {
        return "0100";
    }

    boolean thinProvisioned();

    /**
     * LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT of READ CAPACITY(16) (SBC-3 5.16.2), 0..15,
     * lowest aligned LBA 0. Default 3: 4 KiB physical blocks (the allocation unit hosts should
     * align to); a 512-byte-native backend may return 0.
     */
    default int physicalBlockExponent() {
        return 3;
    }

    /**
     * {@link io.evasan.scsi.sense.SenseCodes#NO_SENSE} when media access is possible, else the
     * sense to return (NOT READY 02/04/xx, MEDIUM NOT PRESENT 02/3A/00, a vendor code...). A
     * backend may return a one-shot code (e.g. a log overflow) and then a steady NOT READY.
     */
    default int readiness() {
        return 0;
    }

    /** True when writes must be refused with DATA PROTECT / WRITE PROTECTED (07/27/00). */
    default boolean writeProtected() {
        return false;
    }

    /**
     * True when {@link #read} never waits for anything slower than memory, the page cache or a short
     * lock (no network, no device queue): the target may then run a small read on the transport's
     * thread instead of handing it to a worker (see {@link io.evasan.scsi.ScsiTask#inlineAllowed()}).
     */
    default boolean fastReads() {
        return false;
    }

    /** Reads {@code blocks} blocks into dst's position..; advances dst's position. */
    void read(long lba, int blocks, ByteBuffer dst) throws LuException;

    /** Writes {@code blocks} blocks from src's position..; advances src's position. */
    void write(long lba, int blocks, ByteBuffer src, boolean fua) throws LuException;

    /**
     * {@link #write} on behalf of the initiator with handle {@code initiator}
     * ({@link io.evasan.scsi.ItNexus#initiatorHandle()}; 0 unknown): the target calls this one, so a
     * backend that orders or favours writes per initiator (a write-back cache's per-initiator FIFO)
     * knows whose write it is. Default: {@link #write}.
     */
    default void write(int initiator, long lba, int blocks, ByteBuffer src, boolean fua) throws LuException {
        write(lba, blocks, src, fua);
    }

    /**
     * Writes zeros to the range (WRITE SAME with an all-zero block) if the backend can do so
     * without the data; returns false to make the target write zero blocks itself. Blocks written
     * this way are mapped (GET LBA STATUS), unlike {@link #unmap}.
     */
    default boolean writeZeros(long lba, long blocks, boolean fua) throws LuException {
        return false;
    }

    /** {@link #writeZeros} on behalf of an initiator (see {@link #write(int, long, int, ByteBuffer, boolean)}). */
    default boolean writeZeros(int initiator, long lba, long blocks, boolean fua) throws LuException {
        return writeZeros(lba, blocks, fua);
    }

    /** Deallocates the range; later reads return zeros. Only called when thin provisioned. */
    void unmap(long lba, long blocks) throws LuException;

    /** Reports provisioning extents starting exactly at {@code lba}. */
    void lbaStatus(long lba, long maxBlocks, LbaStatusSink sink) throws LuException;

    /** Makes the range (blocks == 0: the whole LU) stable (SYNCHRONIZE CACHE, FUA). */
    void flush(long lba, long blocks) throws LuException;

    /**
     * {@link #flush} without holding the caller's thread while the data reaches stable storage: the
     * future completes when the range is stable, or exceptionally with an {@link LuException} (any
     * other exception is answered INTERNAL TARGET FAILURE). The target completes SYNCHRONIZE CACHE
     * when it completes, so a LU whose backend is stuck never occupies a worker other LUs need.
     * Default: the synchronous {@link #flush} (an already completed future).
     */
    default java.util.concurrent.CompletableFuture<Void> flushAsync(long lba, long blocks) {
        try {
            flush(lba, blocks);
            return java.util.concurrent.CompletableFuture.completedFuture(null);
        } catch (LuException e) {
            return java.util.concurrent.CompletableFuture.failedFuture(e);
        }
    }

    /**
     * A WRITE with FUA whose stability wait does not hold the caller's thread: the data is taken from
     * {@code src} (position advanced) and visible to reads before this returns, or this throws and
     * nothing was written; the future completes when the blocks are stable (exceptionally as for
     * {@link #flushAsync}). Default: the synchronous {@link #write} with {@code fua}.
     */
    default java.util.concurrent.CompletableFuture<Void> writeFuaAsync(long lba, int blocks, ByteBuffer src)
            throws LuException {
        write(lba, blocks, src, true);
        return java.util.concurrent.CompletableFuture.completedFuture(null);
    }

    /** {@link #writeFuaAsync} on behalf of an initiator (see {@link #write(int, long, int, ByteBuffer, boolean)}). */
    default java.util.concurrent.CompletableFuture<Void> writeFuaAsync(int initiator, long lba, int blocks,
                                                                       ByteBuffer src) throws LuException {
        return writeFuaAsync(lba, blocks, src);
    }
}
