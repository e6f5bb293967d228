package io.evasan.nsc.backup.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.lun.LunRecord;
import io.evasan.nsc.lun.StorageSense;
import io.evasan.scsi.lu.LbaStatusSink;
import io.evasan.scsi.lu.LogicalUnit;
import io.evasan.scsi.lu.LuException;
import io.evasan.scsi.sense.SenseCodes;
import io.evasan.sharing.SharingTrees;

import java.nio.ByteBuffer;

/**
 * Seed 003's backup LUN: the host's read-only view of the active backup snapshot (the log LUN of
 * the LUN table, presented like any LUN).
 *
 * <p>Invariants: reads return exactly the snapshot's content (the primary as it was when the
 * initiate command's marker left the cache); every write is refused (write protected, DATA PROTECT
 * 07/27/00); without an active snapshot media access answers NOT READY 02/04/00, except exactly once
 * after a log overflow, when it answers the vendor LOG OVERFLOW 09/81/22. Capacity is the primary's
 * while a snapshot is active (the target is told when it changes), else the last one shown.
 */
public final class BackupLogicalUnit implements LogicalUnit {
    private final SnapshotBackupEngineImpl engine;
    private final SharingTrees trees;
    private final LunRecord record;
    private final byte[] naa;
    private final int physicalBlockExponent;
    private volatile long blocks;

    BackupLogicalUnit(SnapshotBackupEngineImpl engine, SharingTrees trees, LunRecord record, String poolIdentity,
                      int physicalBlockExponent) {
        this.physicalBlockExponent = physicalBlockExponent;
        this.engine = engine;
        this.trees = trees;
        this.record = record;
        this.naa = record.naa(poolIdentity);
        this.blocks = record.blocks();
    }

    public LunRecord record() {
        return record;
    }

    /** Shows {@code n} blocks; returns whether that changed the capacity. */
    boolean presentSize(long n) {
        boolean changed = blocks != n;
        blocks = n;
        return changed;
    }

    @Override
    public String name() {
        return record.name();
    }

    @Override
    public long blockCount() {
        return blocks;
    }

    @Override
    public int physicalBlockExponent() {
        return physicalBlockExponent;
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
    public String productId() {
        return "BACKUP LUN";
    }

    @Override
    public boolean thinProvisioned() {
        return false;
    }

    @Override
    public int readiness() {
        return engine.readiness();
    }

    @Override
    public boolean writeProtected() {
        return true;
    }

    @Override
    public void read(long lba, int nblocks, ByteBuffer dst) throws LuException {
        SnapshotBackupEngineImpl.Active a = engine.activeSnapshot();
        if (a == null) {
            throw LuException.check(engine.consumeOverflow());
        }
        long disk = engine.diskOf(a);
        long off = lba * BLOCK_SIZE;
        try {
            // seed 003 claim 5: a sector the log holds is read from the log, any other from the
            // snapshot (the primary's data as it was, the sector not having been written since)
            LogSpace log = a.log;
            int i = 0;
            while (i < nblocks) {
                long slot = log == null ? -1 : log.slotOf(lba + i);
                int j = i + 1;
                if (slot >= 0) {
                    while (j < nblocks && log.slotOf(lba + j) == slot + (j - i)) {
                        j++;
                    }
                } else {
                    while (j < nblocks && (log == null || log.slotOf(lba + j) < 0)) {
                        j++;
                    }
                }
                ByteBuffer piece = dst.duplicate();
                piece.limit(piece.position() + (j - i) * BLOCK_SIZE);
                if (slot >= 0) {
                    trees.read(log.disk, slot * BLOCK_SIZE, piece);
                } else {
                    trees.read(disk, off + (long) i * BLOCK_SIZE, piece);   // straight into the host's buffer
                }
                dst.position(dst.position() + (j - i) * BLOCK_SIZE);
                i = j;
            }
        } catch (StorageException e) {
            if (e.code() == ErrorCode.SNAPSHOT_INVALIDATED) {
                throw LuException.check(engine.invalidated(a), lba, "backup snapshot lost its space");
            }
            if (e.code() == ErrorCode.NOT_FOUND && engine.activeSnapshot() != a) {
                throw LuException.check(engine.consumeOverflow(), lba, "snapshot backup ended");
            }
            throw StorageSense.toLu(e, lba);
        }
    }

    @Override
    public void write(long lba, int nblocks, ByteBuffer src, boolean fua) throws LuException {
        throw LuException.check(SenseCodes.WRITE_PROTECTED, lba, "the backup LUN is read-only");
    }

    @Override
    public void unmap(long lba, long nblocks) throws LuException {
        throw LuException.check(SenseCodes.WRITE_PROTECTED, lba, "the backup LUN is read-only");
    }

    @Override
    public void lbaStatus(long lba, long maxBlocks, LbaStatusSink sink) throws LuException {
        long n = blocks - lba;
        if (maxBlocks > 0) {
            n = Math.min(n, maxBlocks);
        }
        if (n > 0) {
            sink.extent(lba, n, LbaStatusSink.MAPPED);
        }
    }

    @Override
    public void flush(long lba, long nblocks) {
        // read-only: nothing to make stable
    }

    @Override
    public String toString() {
        return "BackupLogicalUnit[" + record + "]";
    }
}
