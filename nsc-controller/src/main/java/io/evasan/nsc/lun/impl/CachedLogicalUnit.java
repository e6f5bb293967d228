package io.evasan.nsc.lun.impl;

import io.evasan.error.StorageException;
import io.evasan.nsc.cache.WriteCache;
import io.evasan.nsc.lun.LunRecord;
import io.evasan.nsc.lun.StorageSense;
import io.evasan.scsi.lu.LbaStatusSink;
import io.evasan.scsi.lu.LogicalUnit;
import io.evasan.scsi.lu.LuException;
import io.evasan.scsi.sense.SenseCodes;

import java.nio.ByteBuffer;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A primary LUN as the SCSI target sees it: every read and write goes through the controller's
 * write-back cache (reads see cached data; FUA and SYNCHRONIZE CACHE force the data to the sharing
 * tree before completing).
 *
 * <p>Invariants: I/O runs only while the LU is neither {@linkplain #setBusy busy} (a seed 003 copy
 * is writing it: BUSY status) nor {@linkplain #markGone gone} (deleted: LOGICAL UNIT NOT SUPPORTED);
 * both switches wait for I/O in flight, so after {@code setBusy(true)} returns no host write can
 * still enter the cache. All writes of this LU use one cache FIFO (initiator id = LUN id: the scsi
 * {@link LogicalUnit} API does not carry the nexus), so they are destaged in acknowledgement order.
 * UNMAP and WRITE SAME with zeros write zeros through the cache (reads return zeros afterwards, LBPRZ)
 * — the sharing tree has no deallocation call yet, so unmapped space stays allocated, and GET LBA
 * STATUS reports every block mapped.
 */
public final class CachedLogicalUnit implements LogicalUnit {
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(1 << 20).asReadOnlyBuffer();

    private final WriteCache cache;
    private final LunRecord record;
    private final byte[] naa;
    private final int maxWriteBytes;
    private final ReentrantReadWriteLock gate = new ReentrantReadWriteLock();
    private volatile boolean busy;
    private volatile boolean gone;

    /**
     * @param maxWriteBytes largest single cache write (the cache's {@code maxWriteBytes()}); longer
     *                      SCSI writes are split into pieces of at most this size, in order
     */
    public CachedLogicalUnit(WriteCache cache, LunRecord record, String poolIdentity, int maxWriteBytes) {
        this.cache = cache;
        this.record = record;
        this.naa = record.naa(poolIdentity);
        this.maxWriteBytes = Math.max(512, maxWriteBytes & ~511);
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

    @Override
    public void write(long lba, int blocks, ByteBuffer src, boolean fua) throws LuException {
        enter();
        int limit = src.limit();
        try {
            long off = lba * BLOCK_SIZE;
            int left = blocks * BLOCK_SIZE;
            while (left > 0) {
                int n = Math.min(left, maxWriteBytes);
                src.limit(src.position() + n);
                cache.write(record.id(), record.id(), off, src, fua);
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
        enter();
        try {
            zeros(lba, blocks, fua);
            return true;
        } finally {
            exit();
        }
    }

    private void zeros(long lba, long blocks, boolean fua) throws LuException {
        try {
            long off = lba * BLOCK_SIZE;
            long left = blocks * BLOCK_SIZE;
            int piece = Math.min(ZEROS.capacity(), maxWriteBytes);
            while (left > 0) {
                int n = (int) Math.min(left, piece);
                ByteBuffer z = ZEROS.duplicate();
                z.limit(n);
                cache.write(record.id(), record.id(), off, z, fua);
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
            zeros(lba, blocks, false);
        } finally {
            exit();
        }
    }

    @Override
    public void lbaStatus(long lba, long maxBlocks, LbaStatusSink sink) throws LuException {
        enter();
        try {
            long n = record.blocks() - lba;
            if (maxBlocks > 0) {
                n = Math.min(n, maxBlocks);
            }
            if (n > 0) {
                sink.extent(lba, n, LbaStatusSink.MAPPED);
            }
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

    @Override
    public String toString() {
        return "CachedLogicalUnit[" + record + "]";
    }
}
