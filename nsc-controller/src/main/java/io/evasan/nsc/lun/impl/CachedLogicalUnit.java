package io.evasan.nsc.lun.impl;

import io.evasan.error.StorageException;
import io.evasan.nsc.cache.CachedItem;
import io.evasan.nsc.cache.WriteCache;
import io.evasan.nsc.lun.LunRecord;
import io.evasan.nsc.lun.StorageSense;
import io.evasan.scsi.lu.LbaStatusSink;
import io.evasan.scsi.lu.LogicalUnit;
import io.evasan.scsi.lu.LuException;
import io.evasan.scsi.sense.SenseCodes;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A primary LUN as the SCSI target sees it: every read and write goes through the controller's
 * write-back cache (reads see cached data; FUA and SYNCHRONIZE CACHE force the data to the sharing
 * tree before completing).
 *
 * <p>Invariants: I/O runs only while the LU is neither {@linkplain #setBusy busy} (a seed 003 copy
 * is writing it: BUSY status) nor {@linkplain #markGone gone} (deleted: LOGICAL UNIT NOT SUPPORTED);
 * both switches wait for I/O in flight, so after {@code setBusy(true)} returns no host write can
 * still enter the cache. Each write enters the cache FIFO of the initiator that sent it (seed 000: the
 * cache processes each client's data sequentially; the key is the I_T nexus's
 * {@linkplain io.evasan.scsi.ItNexus#initiatorHandle() initiator handle}, interned once per session,
 * so every session of one initiator shares one FIFO across all its LUNs, and writes without an
 * initiator use handle 0); one initiator's writes are destaged in acknowledgement order.
 * UNMAP frees whole segments in the sharing tree (partial segments read zeros, LBPRZ) after every
 * marker requested and every write acknowledged before it has reached the tree, so snapshots and
 * ordering are kept; GET LBA STATUS reports per segment whether the tree holds space. WRITE SAME with
 * zeros (without UNMAP) writes zeros through the cache (the blocks stay mapped).
 *
 * <p>Space before acknowledgement: before a write enters the cache, the tree allocates (or CFW-copies)
 * every segment the write touches that the LUN's disk does not yet hold privately
 * ({@link TreeDestageTarget#prepareWrite}); when its disk group has no room the write answers CHECK
 * CONDITION 07/27/07 SPACE ALLOCATION FAILED and nothing of it is cached, so acknowledged data
 * always has a home (the allocation is a durable map change, in place again after a restart; an
 * ON_DEMAND snapshot whose CFW finds no space is invalidated instead of failing the host write).
 * A write split into several cache pieces may leave earlier pieces written when a later one fails
 * (as a host sees from any failed multi-block write).
 *
 * <p>Host I/O is metered once, by the SCSI target that calls this LU
 * ({@link io.evasan.scsi.target.ScsiStats}, registered by the controller when it creates the LU), not here.
 */
public final class CachedLogicalUnit implements LogicalUnit {
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(1 << 20).asReadOnlyBuffer();

    private final WriteCache cache;
    private final TreeDestageTarget tree;
    private volatile LunRecord record;
    private final byte[] naa;
    private final int maxWriteBytes;
    private final int physicalBlockExponent;
    private final ReentrantReadWriteLock gate = new ReentrantReadWriteLock();
    private volatile boolean busy;
    private volatile boolean gone;

    /**
     * @param maxWriteBytes largest single cache write (the cache's {@code maxWriteBytes()}); longer
     *                      SCSI writes are split into pieces of at most this size, in order
     * @param physicalBlockExponent LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT reported to hosts (0..15)
     */
    public CachedLogicalUnit(WriteCache cache, TreeDestageTarget tree, LunRecord record, String poolIdentity,
                             int maxWriteBytes, int physicalBlockExponent) {
        if (physicalBlockExponent < 0 || physicalBlockExponent > 15) {
            throw new IllegalArgumentException("physical block exponent 0..15: " + physicalBlockExponent);
        }
        this.cache = cache;
        this.tree = tree;
        this.record = record;
        this.naa = record.naa(poolIdentity);
        this.maxWriteBytes = Math.max(512, maxWriteBytes & ~511);
        this.physicalBlockExponent = physicalBlockExponent;
    }

    public LunRecord record() {
        return record;
    }

    public int lunId() {
        return record.id();
    }

    /** While busy, media commands answer BUSY. Waits for the I/O in flight before returning. */
    public void setBusy(boolean on) {
        gate.writeLock().lock();
        try {
            busy = on;
        } finally {
            gate.writeLock().unlock();
        }
    }

    public boolean isBusy() {
        return busy;
    }

    /**
     * Rolls the LUN back to an older disk of its tree: hosts get BUSY meanwhile; markers requested and
     * writes acknowledged before the call reach the tree first, then the tree's rollback runs.
     */
    public void rollback(long snapshotDisk) {
        setBusy(true);
        try {
            awaitOlderMarkers();
            cache.synchronize(record.id(), 0, 0);
            tree.rollback(record.id(), snapshotDisk);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageException(io.evasan.error.ErrorCode.BUSY, "interrupted before the rollback");
        } finally {
            setBusy(false);
        }
    }

    /**
     * Changes the LUN's capacity to {@code next}'s size (same id and uid): hosts get BUSY meanwhile;
     * markers requested and writes acknowledged before the call reach the tree first, then
     * {@code change} runs (the caller's tree and table work) and, if it returned, {@code next} takes
     * effect. If {@code change} throws, the LU keeps its record.
     */
    public void resize(LunRecord next, Runnable change) {
        if (next.id() != record.id() || next.uid() != record.uid()) {
            throw new IllegalArgumentException("resize must keep the LUN's id and uid: " + next);
        }
        setBusy(true);
        try {
            awaitOlderMarkers();
            cache.synchronize(record.id(), 0, 0);
            change.run();
            record = next;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageException(io.evasan.error.ErrorCode.BUSY, "interrupted before the resize");
        } finally {
            setBusy(false);
        }
    }

    /** The LUN is being deleted: refuse all I/O from now on; waits for the I/O in flight. */
    public void markGone() {
        gate.writeLock().lock();
        try {
            gone = true;
        } finally {
            gate.writeLock().unlock();
        }
    }

    private void enter() throws LuException {
        if (gone) {
            throw LuException.check(SenseCodes.LOGICAL_UNIT_NOT_SUPPORTED);
        }
        gate.readLock().lock();
        if (busy || gone) {
            gate.readLock().unlock();
            if (gone) {
                throw LuException.check(SenseCodes.LOGICAL_UNIT_NOT_SUPPORTED);
            }
            throw LuException.busy("LUN " + record.name() + " is the destination of a copy in progress");
        }
    }

    private void exit() {
        gate.readLock().unlock();
    }

    @Override
    public String name() {
        return record.name();
    }

    @Override
    public long blockCount() {
        return record.blocks();
    }

    @Override
    public byte[] naaIdentifier() {
        return naa;
    }

    @Override
    public String serialNumber() {
        return record.serialNumber();
    }

    @Override
    public boolean thinProvisioned() {
        return true;
    }

    @Override
    public int physicalBlockExponent() {
        return physicalBlockExponent;
    }

    /**
     * Reads take the cache's lock and the tree's segment read lock and then read cached bytes or the
     * drives' files (positional reads served by the page cache): no queueing behind other commands.
     */
    @Override
    public boolean fastReads() {
        return true;
    }

    @Override
    public void read(long lba, int blocks, ByteBuffer dst) throws LuException {
        enter();
        int limit = dst.limit();
        try {
            dst.limit(dst.position() + blocks * BLOCK_SIZE);
            cache.read(record.id(), lba * BLOCK_SIZE, dst);
        } catch (StorageException e) {
            throw StorageSense.toLu(e, lba);
        } finally {
            dst.limit(limit);
            exit();
        }
    }

    /** A write without a known initiator (handle 0). */
    @Override
    public void write(long lba, int blocks, ByteBuffer src, boolean fua) throws LuException {
        write(0, lba, blocks, src, fua);
    }

    @Override
    public void write(int initiator, long lba, int blocks, ByteBuffer src, boolean fua) throws LuException {
        enter();
        int limit = src.limit();
        try {
            long off = lba * BLOCK_SIZE;
            int left = blocks * BLOCK_SIZE;
            while (left > 0) {
                int n = Math.min(left, maxWriteBytes);
                src.limit(src.position() + n);
                tree.prepareWrite(record.id(), off, n);   // space before the ack: 07/27/07 here, nothing cached
                cache.write(initiator, record.id(), off, src, fua);
                off += n;
                left -= n;
            }
        } catch (StorageException e) {
            throw StorageSense.toLu(e, lba);
        } finally {
            src.limit(limit);
            exit();
        }
    }

    @Override
    public boolean writeZeros(long lba, long blocks, boolean fua) throws LuException {
        return writeZeros(0, lba, blocks, fua);
    }

    @Override
    public boolean writeZeros(int initiator, long lba, long blocks, boolean fua) throws LuException {
        enter();
        try {
            zeros(initiator, lba, blocks, fua);
            return true;
        } finally {
            exit();
        }
    }

    private void zeros(int initiator, long lba, long blocks, boolean fua) throws LuException {
        try {
            long off = lba * BLOCK_SIZE;
            long left = blocks * BLOCK_SIZE;
            int piece = Math.min(ZEROS.capacity(), maxWriteBytes);
            while (left > 0) {
                int n = (int) Math.min(left, piece);
                ByteBuffer z = ZEROS.duplicate();
                z.limit(n);
                tree.prepareWrite(record.id(), off, n);
                cache.write(initiator, record.id(), off, z, fua);
                off += n;
                left -= n;
            }
        } catch (StorageException e) {
            throw StorageSense.toLu(e, lba);
        }
    }

    @Override
    public void unmap(long lba, long blocks) throws LuException {
        enter();
        try {
            long off = lba * BLOCK_SIZE;
            long len = blocks * BLOCK_SIZE;
            awaitOlderMarkers();
            cache.synchronize(record.id(), off, len);   // writes acknowledged before the UNMAP reach the tree first
            tree.unmap(record.id(), off, len);
        } catch (StorageException e) {
            throw StorageSense.toLu(e, lba);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw LuException.check(SenseCodes.COMMAND_ABORTED, lba, "interrupted");
        } finally {
            exit();
        }
    }

    /**
     * Waits until every snapshot marker on this LUN that is in the cache now has left it, so that an
     * UNMAP (which bypasses the cache) never reaches the tree before a snapshot requested earlier.
     */
    void awaitOlderMarkers() throws InterruptedException {
        long newest = -1;
        for (CachedItem it : cache.pendingItems()) {
            if (it.marker() && it.request().covers(record.id())) {
                newest = Math.max(newest, it.seq());
            }
        }
        while (newest >= 0) {
            boolean pending = false;
            for (CachedItem it : cache.pendingItems()) {
                if (it.marker() && it.seq() <= newest && it.request().covers(record.id())) {
                    pending = true;
                    break;
                }
            }
            if (!pending) {
                return;
            }
            Thread.sleep(1);
        }
    }

    @Override
    public void lbaStatus(long lba, long maxBlocks, LbaStatusSink sink) throws LuException {
        enter();
        try {
            long end = maxBlocks > 0 ? Math.min(record.blocks(), lba + maxBlocks) : record.blocks();
            if (end <= lba) {
                return;
            }
            // cached writes will map their segments: let them reach the tree before answering
            cache.synchronize(record.id(), lba * BLOCK_SIZE, (end - lba) * BLOCK_SIZE);
            long segBlocks = tree.segmentBytes() / BLOCK_SIZE;
            long start = lba;
            int seg = (int) (lba / segBlocks);
            boolean state = tree.mapped(record.id(), seg);
            long b = Math.min(end, (seg + 1L) * segBlocks);
            while (b < end) {
                seg++;
                boolean m = tree.mapped(record.id(), seg);
                if (m != state) {
                    if (!sink.extent(start, b - start, state ? LbaStatusSink.MAPPED : LbaStatusSink.DEALLOCATED)) {
                        return;
                    }
                    start = b;
                    state = m;
                }
                b = Math.min(end, (seg + 1L) * segBlocks);
            }
            sink.extent(start, end - start, state ? LbaStatusSink.MAPPED : LbaStatusSink.DEALLOCATED);
        } catch (StorageException e) {
            throw StorageSense.toLu(e, lba);
        } finally {
            exit();
        }
    }

    @Override
    public void flush(long lba, long blocks) throws LuException {
        enter();
        try {
            cache.synchronize(record.id(), lba * BLOCK_SIZE, blocks * BLOCK_SIZE);
        } catch (StorageException e) {
            throw StorageSense.toLu(e, lba);
        } finally {
            exit();
        }
    }

    /**
     * SYNCHRONIZE CACHE without holding the caller's thread: the future completes when every write
     * acknowledged before the call in the range is destaged and the LUN flushed, or fails with the
     * LuException of the cache's failure (03/03/00 WRITE FAULT when an acknowledged write of the LUN
     * was lost or its destage keeps failing, see {@link WriteCache#synchronizeAsync}).
     */
    @Override
    public CompletableFuture<Void> flushAsync(long lba, long blocks) {
        try {
            enter();
        } catch (LuException e) {
            return CompletableFuture.failedFuture(e);
        }
        try {
            return translate(cache.synchronizeAsync(record.id(), lba * BLOCK_SIZE, blocks * BLOCK_SIZE), lba);
        } catch (StorageException e) {
            return CompletableFuture.failedFuture(StorageSense.toLu(e, lba));
        } finally {
            exit();
        }
    }

    /**
     * A FUA write: the data enters the cache as {@link #write} does (acknowledged there, and an error
     * such as 07/27/07 is thrown before anything is cached); the future completes once it is destaged
     * and flushed, as {@link #flushAsync} of its range.
     */
    @Override
    public CompletableFuture<Void> writeFuaAsync(long lba, int blocks, ByteBuffer src) throws LuException {
        return writeFuaAsync(0, lba, blocks, src);
    }

    @Override
    public CompletableFuture<Void> writeFuaAsync(int initiator, long lba, int blocks, ByteBuffer src)
            throws LuException {
        write(initiator, lba, blocks, src, false);
        return flushAsync(lba, blocks);
    }

    private static CompletableFuture<Void> translate(CompletableFuture<Void> f, long lba) {
        if (f.isDone() && !f.isCompletedExceptionally()) {
            return f;
        }
        CompletableFuture<Void> out = new CompletableFuture<>();
        f.whenComplete((v, x) -> {
            if (x == null) {
                out.complete(null);
                return;
            }
            Throwable c = x instanceof CompletionException && x.getCause() != null ? x.getCause() : x;
            if (c instanceof StorageException se) {
                out.completeExceptionally(StorageSense.toLu(se, lba));
            } else {
                out.completeExceptionally(c);
            }
        });
        return out;
    }

    @Override
    public String toString() {
        return "CachedLogicalUnit[" + record + "]";
    }
}
