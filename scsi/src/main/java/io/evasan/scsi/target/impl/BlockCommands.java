package io.evasan.scsi.target.impl;

import io.evasan.scsi.ScsiTask;
import io.evasan.scsi.cdb.BlockCdbDescriptor;
import io.evasan.scsi.cdb.OpCodes;
import io.evasan.scsi.lu.LogicalUnit;
import io.evasan.scsi.lu.LuException;
import io.evasan.scsi.sense.SenseCodes;

import java.nio.ByteBuffer;

import static io.evasan.scsi.cdb.CdbDescriptor.u16;
import static io.evasan.scsi.cdb.CdbDescriptor.u32;
import static io.evasan.scsi.cdb.CdbDescriptor.u64;
import static io.evasan.scsi.target.impl.Scratch.SCRATCH;
import static io.evasan.scsi.target.impl.TaskReplies.badCdb;
import static io.evasan.scsi.target.impl.TaskReplies.badParam;
import static io.evasan.scsi.target.impl.TaskReplies.check;
import static io.evasan.scsi.target.impl.TaskReplies.checkInfo;
import static io.evasan.scsi.target.impl.TaskReplies.dataOut;
import static io.evasan.scsi.target.impl.TaskReplies.exactDataOut;
import static io.evasan.scsi.target.impl.TaskReplies.good;
import static io.evasan.scsi.target.impl.TaskReplies.goodConsumed;
import static io.evasan.scsi.target.impl.TaskReplies.noProtect;
import static io.evasan.scsi.target.impl.TaskReplies.paramList;
import static io.evasan.scsi.target.impl.TaskReplies.range;
import static io.evasan.scsi.target.impl.TaskReplies.ready;
import static io.evasan.scsi.target.impl.TaskReplies.writable;

/**
 * The block commands of SBC-3 / SBC-4: READ, WRITE, WRITE AND VERIFY, VERIFY, WRITE ATOMIC, WRITE SAME,
 * UNMAP, COMPARE AND WRITE, ORWRITE, PRE-FETCH and SYNCHRONIZE CACHE, with the limits the Block Limits
 * VPD page ({@link VpdPages}) reports.
 *
 * <p>Invariants: every check (CDB fields, limits, readiness, write protection, LBA range, Data-Out
 * length) is made before the first change to the medium, so an error answer changes nothing (a
 * backend failure reports the part it could not do). Medium access holds the LU's {@code atomic}
 * lock: shared for reads, writes, WRITE SAME and UNMAP; exclusive for COMPARE AND WRITE, ORWRITE and
 * WRITE ATOMIC, which are therefore atomic to every other command of the LU.
 */
final class BlockCommands {
    static final int MAX_TRANSFER_BLOCKS = 65536;
    static final int OPTIMAL_TRANSFER_BLOCKS = 2048;
    static final int MAX_COMPARE_AND_WRITE_BLOCKS = 255;
    /** 1 Mi blocks (512 MiB): libiscsi Inquiry.BlockLimits treats larger finite limits as insane. */
    static final long MAX_UNMAP_LBA_COUNT = 0x100000L;
    static final int MAX_UNMAP_DESCRIPTORS = 256;
    static final long MAX_WRITE_SAME_BLOCKS = 0x400000L;
    /** MAXIMUM ATOMIC TRANSFER LENGTH (Block Limits VPD, SBC-4): 1 MiB; no alignment/granularity. */
    static final int MAX_ATOMIC_TRANSFER_BLOCKS = 2048;

    void read(TaskEntry e, Scratch s) throws Done, LuException {
        byte[] cdb = e.task.cdb();
        LuContext lc = e.lu;
        noProtect(e);
        long lba = BlockCdbDescriptor.lba(cdb);
        long n = BlockCdbDescriptor.transferLength(cdb);
        if (n > MAX_TRANSFER_BLOCKS) {
            throw badCdb(e, BlockCdbDescriptor.lengthOffset(cdb[0] & 0xFF), -1);
        }
        ready(e);
        range(e, lba, n);
        long start = System.nanoTime();
        ScsiTask t = e.task;
        long spdtl = n * LogicalUnit.BLOCK_SIZE;
        long edtl = t.expectedDataTransferLength();
        ByteBuffer in = t.dataIn();
        long room = in == null ? 0 : Math.min(edtl, in.capacity());
        long xfer = Math.min(spdtl, room);
        int full = (int) (xfer / LogicalUnit.BLOCK_SIZE);
        int part = (int) (xfer % LogicalUnit.BLOCK_SIZE);
        if (in != null) {
            in.clear();
            // shared: COMPARE AND WRITE, ORWRITE and WRITE ATOMIC (exclusive) are atomic to readers
            lc.atomic.readLock().lock();
            try {
                if (full > 0) {
                    lc.lu.read(lba, full, in);
                }
                if (part > 0) {
                    s.aBuf.clear();
                    lc.lu.read(lba + full, 1, s.aBuf);
                    in.put(s.a, 0, part);
                }
            } finally {
                lc.atomic.readLock().unlock();
            }
            in.flip();
        }
        good(e);
        if (spdtl <= edtl) {
            t.residual(edtl - xfer, false);
        } else {
            t.residual(spdtl - edtl, true);
        }
        lc.stats.recordRead(xfer, System.nanoTime() - start);
    }

    void write(TaskEntry e, Scratch s, boolean verify) throws Done, LuException {
        byte[] cdb = e.task.cdb();
        LuContext lc = e.lu;
        noProtect(e);
        int op = cdb[0] & 0xFF;
        if (verify && BlockCdbDescriptor.bytchk(cdb) > 1) {
            throw badCdb(e, 1, 2);
        }
        long lba = BlockCdbDescriptor.lba(cdb);
        long n = BlockCdbDescriptor.transferLength(cdb);
        if (n > MAX_TRANSFER_BLOCKS) {
            throw badCdb(e, BlockCdbDescriptor.lengthOffset(op), -1);
        }
        ready(e);
        writable(e);
        range(e, lba, n);
        long bytes = n * LogicalUnit.BLOCK_SIZE;
        long edtl = e.task.expectedDataTransferLength();
        long overflow = 0;
        if (edtl < bytes && edtl % LogicalUnit.BLOCK_SIZE == 0) {
            // iSCSI EDTL below the SCSI transfer length (RFC 7143 11.4.5.2, SAM-5 5.4.3 overflow): the
            // whole blocks the EDTL covers are written, GOOD with an overflow residual for the rest.
            // A partial block cannot be written: that case stays 05/0E/03 in dataOut().
            overflow = bytes - edtl;
            n = edtl / LogicalUnit.BLOCK_SIZE;
            bytes = edtl;
        }
        ByteBuffer src = dataOut(e, bytes);
        boolean fua = verify || BlockCdbDescriptor.fua(cdb) || !lc.wce;
        long start = System.nanoTime();
        java.util.concurrent.CompletableFuture<Void> stable = null;
        if (n > 0) {
            int pos = src.position();
            lc.atomic.readLock().lock();
            try {
                if (fua && !verify && overflow == 0) {
                    stable = lc.lu.writeFuaAsync(e.nexus.initiatorHandle(), lba, (int) n, src);
                } else {
                    lc.lu.write(e.nexus.initiatorHandle(), lba, (int) n, src, fua);
                }
            } finally {
                lc.atomic.readLock().unlock();
                src.position(pos);
            }
            if (stable != null && !stable.isDone()) {
                e.pending = stable;   // the write is in; answered when it is stable, without holding this worker
                e.pendingUsed = bytes;
                e.pendingStart = start;
                return;
            }
            if (stable != null) {
                CommandExecutor.joinLu(stable);
            }
            if (verify) {
                compareMedium(e, s, lba, n, src, false);
            }
        }
        lc.stats.recordWrite(bytes, System.nanoTime() - start);
        if (overflow > 0) {
            good(e);
            ByteBuffer in = e.task.dataIn();
            if (in != null) {
                in.clear().limit(0);
            }
            e.task.residual(overflow, true);
            return;
        }
        goodConsumed(e, bytes);
    }

    /**
     * WRITE ATOMIC(16) (SBC-4 5.48, 4.29): all the blocks or none, never interleaved with another
     * write or seen half-written by a read (exclusive LU lock). No alignment or granularity limits
     * (Block Limits VPD ATOMIC ALIGNMENT = ATOMIC TRANSFER LENGTH GRANULARITY = 0) and no atomic
     * boundaries (MAXIMUM ATOMIC BOUNDARY SIZE = 0, so a non-zero ATOMIC BOUNDARY is an invalid field).
     * A Data-Out shorter than the transfer length is 05/0E/03 with nothing written.
     */
    void writeAtomic(TaskEntry e) throws Done, LuException {
        byte[] cdb = e.task.cdb();
        LuContext lc = e.lu;
        noProtect(e);
        if (u16(cdb, BlockCdbDescriptor.ATOMIC_BOUNDARY_OFFSET) != 0) {
            throw badCdb(e, BlockCdbDescriptor.ATOMIC_BOUNDARY_OFFSET, -1);
        }
        long lba = BlockCdbDescriptor.lba(cdb);
        long n = BlockCdbDescriptor.transferLength(cdb);
        ready(e);
        writable(e);
        range(e, lba, n);
        if (n > MAX_ATOMIC_TRANSFER_BLOCKS) {
            throw badCdb(e, BlockCdbDescriptor.ATOMIC_LENGTH_OFFSET, -1);
        }
        long bytes = n * LogicalUnit.BLOCK_SIZE;
        ByteBuffer src = dataOut(e, bytes);
        long start = System.nanoTime();
        if (n > 0) {
            int pos = src.position();
            lc.atomic.writeLock().lock();
            try {
                lc.lu.write(e.nexus.initiatorHandle(), lba, (int) n, src, BlockCdbDescriptor.fua(cdb) || !lc.wce);
            } finally {
                lc.atomic.writeLock().unlock();
                src.position(pos);
            }
        }
        lc.stats.recordWrite(bytes, System.nanoTime() - start);
        goodConsumed(e, bytes);
    }

    /** Reads under the LU's shared lock (never sees half of an exclusive-lock write). */
    private static void readShared(LuContext lc, long lba, int blocks, ByteBuffer dst) throws LuException {
        lc.atomic.readLock().lock();
        try {
            lc.lu.read(lba, blocks, dst);
        } finally {
            lc.atomic.readLock().unlock();
        }
    }

    /**
     * Compares the medium at [lba, lba+n) with the Data-Out (or, when {@code oneBlock}, with its
     * first block repeated). MISCOMPARE with the byte offset of the first difference.
     */
    private void compareMedium(TaskEntry e, Scratch s, long lba, long n, ByteBuffer src, boolean oneBlock)
            throws Done, LuException {
        int pos = src.position();
        int chunk = SCRATCH / LogicalUnit.BLOCK_SIZE;
        long done = 0;
        while (done < n) {
            int k = (int) Math.min(chunk, n - done);
            s.aBuf.clear();
            readShared(e.lu, lba + done, k, s.aBuf);
            int len = k * LogicalUnit.BLOCK_SIZE;
            for (int i = 0; i < len; i++) {
                int srcIndex = oneBlock ? pos + (i % LogicalUnit.BLOCK_SIZE)
                        : pos + (int) (done * LogicalUnit.BLOCK_SIZE) + i;
                if (s.a[i] != src.get(srcIndex)) {
                    long offset = oneBlock ? done * LogicalUnit.BLOCK_SIZE + i : done * LogicalUnit.BLOCK_SIZE + i;
                    throw checkInfo(e, SenseCodes.MISCOMPARE_DURING_VERIFY, offset);
                }
            }
            done += k;
        }
    }

    void verify(TaskEntry e, Scratch s) throws Done, LuException {
        byte[] cdb = e.task.cdb();
        noProtect(e);
        int bytchk = BlockCdbDescriptor.bytchk(cdb);
        if (bytchk == 2) {
            throw badCdb(e, 1, 2);
        }
        long lba = BlockCdbDescriptor.lba(cdb);
        long n = BlockCdbDescriptor.transferLength(cdb);
        if (n > MAX_TRANSFER_BLOCKS) {
            throw badCdb(e, BlockCdbDescriptor.lengthOffset(cdb[0] & 0xFF), -1);
        }
        ready(e);
        range(e, lba, n);
        if (bytchk == 0) {
            // medium verification: every block must be readable
            long done = 0;
            int chunk = SCRATCH / LogicalUnit.BLOCK_SIZE;
            while (done < n) {
                int k = (int) Math.min(chunk, n - done);
                s.aBuf.clear();
                readShared(e.lu, lba + done, k, s.aBuf);
                done += k;
            }
            goodConsumed(e, 0);
            return;
        }
        long needed = bytchk == 3 ? (n > 0 ? LogicalUnit.BLOCK_SIZE : 0) : n * LogicalUnit.BLOCK_SIZE;
        ByteBuffer src = dataOut(e, needed);
        if (n > 0) {
            compareMedium(e, s, lba, n, src, bytchk == 3);
        }
        goodConsumed(e, needed);
    }

    void writeSame(TaskEntry e, Scratch s) throws Done, LuException {
        byte[] cdb = e.task.cdb();
        LuContext lc = e.lu;
        int op = cdb[0] & 0xFF;
        int flags = cdb[1] & 0xFF;
        if ((flags & BlockCdbDescriptor.PROTECT_MASK) != 0) {
            throw badCdb(e, 1, 7);
        }
        if ((flags & BlockCdbDescriptor.ANCHOR) != 0) {
            throw badCdb(e, 1, 4); // ANC_SUP=0
        }
        boolean unmap = (flags & BlockCdbDescriptor.UNMAP) != 0;
        boolean ndob = op == OpCodes.WRITE_SAME_16 && (flags & BlockCdbDescriptor.NDOB) != 0;
        long lba = BlockCdbDescriptor.lba(cdb);
        long n = BlockCdbDescriptor.transferLength(cdb);
        int lenOff = BlockCdbDescriptor.lengthOffset(op);
        if (n > MAX_WRITE_SAME_BLOCKS) {
            throw badCdb(e, lenOff, -1);
        }
        ready(e);
        writable(e);
        range(e, lba, n);
        if (n == 0) {
            n = lc.lu.blockCount() - lba; // WSNZ=0: NUMBER OF LOGICAL BLOCKS 0 means "to the last LBA"
            if (n > MAX_WRITE_SAME_BLOCKS) {
                throw badCdb(e, lenOff, -1);
            }
        }
        byte[] block = s.b;
        long used = 0;
        if (ndob) {
            exactDataOut(e, 0, lenOff);
            java.util.Arrays.fill(block, 0, LogicalUnit.BLOCK_SIZE, (byte) 0);
        } else {
            ByteBuffer src = exactDataOut(e, LogicalUnit.BLOCK_SIZE, lenOff);
            int pos = src.position();
            src.get(block, 0, LogicalUnit.BLOCK_SIZE);
            src.position(pos);
            used = LogicalUnit.BLOCK_SIZE;
        }
        boolean zero = true;
        for (int i = 0; i < LogicalUnit.BLOCK_SIZE && zero; i++) {
            zero = block[i] == 0;
        }
        long start = System.nanoTime();
        lc.atomic.readLock().lock();
        try {
            boolean done = n == 0; // "to the end" starting at the capacity: nothing to write
            if (!done && unmap && lc.lu.thinProvisioned()) {
                // SBC-3 5.48/5.50 (SBC-4 table "ANCHOR bit, UNMAP bit and ANC_SUP bit relationships"):
                // UNMAP=1, ANCHOR=0 is an unmap operation whatever the Data-Out block holds; a thin
                // LU deallocates, and deallocated LBAs read as zeros (LBPRZ=1).
                lc.lu.unmap(lba, n);
                done = true;
            }
            if (!done && zero) {
                done = lc.lu.writeZeros(e.nexus.initiatorHandle(), lba, n, !lc.wce);
            }
            if (!done) {
                int per = SCRATCH / LogicalUnit.BLOCK_SIZE;
                int fill = (int) Math.min(per, n);
                for (int i = 0; i < fill; i++) {
                    System.arraycopy(block, 0, s.a, i * LogicalUnit.BLOCK_SIZE, LogicalUnit.BLOCK_SIZE);
                }
                boolean fua = !lc.wce;
                long written = 0;
                while (written < n) {
                    int k = (int) Math.min(fill, n - written);
                    s.aBuf.clear();
                    lc.lu.write(e.nexus.initiatorHandle(), lba + written, k, s.aBuf, fua);
                    written += k;
                }
            }
        } finally {
            lc.atomic.readLock().unlock();
        }
        lc.stats.recordWrite(n * LogicalUnit.BLOCK_SIZE, System.nanoTime() - start);
        goodConsumed(e, used);
    }

    void unmap(TaskEntry e, Scratch s) throws Done, LuException {
        byte[] cdb = e.task.cdb();
        LuContext lc = e.lu;
        if (!lc.lu.thinProvisioned()) {
            throw check(e, SenseCodes.INVALID_COMMAND_OPERATION_CODE); // LBPU=0
        }
        if ((cdb[1] & 0x01) != 0) {
            throw badCdb(e, 1, 0); // ANCHOR, ANC_SUP=0
        }
        int paramLen = u16(cdb, 7);
        ready(e);
        writable(e);
        if (paramLen == 0) {
            goodConsumed(e, 0);
            return;
        }
        int have = paramList(e, paramLen, s.b);
        if (paramLen < 8 || have < 8) {
            throw check(e, SenseCodes.PARAMETER_LIST_LENGTH_ERROR);
        }
        byte[] p = s.b;
        int bdl = u16(p, 2);
        int count = Math.min(bdl, have - 8) / 16;
        if (count > MAX_UNMAP_DESCRIPTORS) {
            throw badParam(e, 2);
        }
        long cap = lc.lu.blockCount();
        long total = 0;
        for (int i = 0; i < count; i++) {
            int off = 8 + 16 * i;
            long lba = u64(p, off);
            long n = u32(p, off + 8);
            total += n;
            if (total > MAX_UNMAP_LBA_COUNT) {
                throw badParam(e, off + 8);
            }
            if (Long.compareUnsigned(lba, cap) > 0 || n > cap - lba) {
                throw checkInfo(e, SenseCodes.LBA_OUT_OF_RANGE, lba);
            }
        }
        lc.atomic.readLock().lock();
        try {
            for (int i = 0; i < count; i++) {
                int off = 8 + 16 * i;
                long n = u32(p, off + 8);
                if (n > 0) {
                    lc.lu.unmap(u64(p, off), n);
                }
            }
        } finally {
            lc.atomic.readLock().unlock();
        }
        goodConsumed(e, have);
    }

    void compareAndWrite(TaskEntry e, Scratch s) throws Done, LuException {
        byte[] cdb = e.task.cdb();
        LuContext lc = e.lu;
        noProtect(e);
        long lba = BlockCdbDescriptor.lba(cdb);
        int n = (int) BlockCdbDescriptor.transferLength(cdb);
        if (n > MAX_COMPARE_AND_WRITE_BLOCKS) {
            throw badCdb(e, 13, -1);
        }
        ready(e);
        writable(e);
        range(e, lba, n);
        if (n == 0) {
            exactDataOut(e, 0, 13);
            goodConsumed(e, 0);
            return;
        }
        int bytes = n * LogicalUnit.BLOCK_SIZE;
        ByteBuffer src = exactDataOut(e, 2L * bytes, 13);
        int pos = src.position();
        long start = System.nanoTime();
        lc.atomic.writeLock().lock();
        try {
            s.aBuf.clear();
            lc.lu.read(lba, n, s.aBuf);
            for (int i = 0; i < bytes; i++) {
                if (s.a[i] != src.get(pos + i)) {
                    throw checkInfo(e, SenseCodes.MISCOMPARE_DURING_VERIFY, i);
                }
            }
            src.position(pos + bytes);
            lc.lu.write(e.nexus.initiatorHandle(), lba, n, src, BlockCdbDescriptor.fua(cdb) || !lc.wce);
        } finally {
            src.position(pos);
            lc.atomic.writeLock().unlock();
        }
        lc.stats.recordWrite(bytes, System.nanoTime() - start);
        goodConsumed(e, 2L * bytes);
    }

    /** ORWRITE(16) with BMOP 0 (SBC-3 5.9): medium := medium OR Data-Out, atomically per LU. */
    void orWrite(TaskEntry e, Scratch s) throws Done, LuException {
        byte[] cdb = e.task.cdb();
        LuContext lc = e.lu;
        noProtect(e);
        if ((cdb[14] & 0xE0) != 0) {
            throw badCdb(e, 14, 7); // BMOP other than 0 not supported
        }
        long lba = BlockCdbDescriptor.lba(cdb);
        long n = BlockCdbDescriptor.transferLength(cdb);
        if (n > SCRATCH / LogicalUnit.BLOCK_SIZE) {
            throw badCdb(e, 10, -1);
        }
        ready(e);
        writable(e);
        range(e, lba, n);
        int bytes = (int) n * LogicalUnit.BLOCK_SIZE;
        ByteBuffer src = dataOut(e, bytes);
        if (n > 0) {
            int pos = src.position();
            long start = System.nanoTime();
            lc.atomic.writeLock().lock();
            try {
                s.aBuf.clear();
                lc.lu.read(lba, (int) n, s.aBuf);
                for (int i = 0; i < bytes; i++) {
                    s.a[i] |= src.get(pos + i);
                }
                s.aBuf.clear();
                lc.lu.write(e.nexus.initiatorHandle(), lba, (int) n, s.aBuf, BlockCdbDescriptor.fua(cdb) || !lc.wce);
            } finally {
                lc.atomic.writeLock().unlock();
            }
            lc.stats.recordWrite(bytes, System.nanoTime() - start);
        }
        goodConsumed(e, bytes);
    }

    /** PRE-FETCH(10)/(16): range-checked; nothing to fetch ahead. */
    void preFetch(TaskEntry e) throws Done {
        byte[] cdb = e.task.cdb();
        ready(e);
        long lba = BlockCdbDescriptor.lba(cdb);
        long n = BlockCdbDescriptor.transferLength(cdb);
        range(e, lba, n);
        goodConsumed(e, 0);
    }

    /** SYNCHRONIZE CACHE(10)/(16): the LU flushes the range. */
    void synchronizeCache(TaskEntry e) throws Done, LuException {
        byte[] cdb = e.task.cdb();
        ready(e);
        long lba = BlockCdbDescriptor.lba(cdb);
        long n = BlockCdbDescriptor.transferLength(cdb);
        range(e, lba, n);
        java.util.concurrent.CompletableFuture<Void> f = e.lu.lu.flushAsync(lba, n);
        if (f.isDone()) {
            CommandExecutor.joinLu(f);
            goodConsumed(e, 0);
        } else {
            e.pending = f;   // answered when the LU is stable, without holding this worker
            e.pendingUsed = 0;
            e.pendingStart = -1;
        }
    }
}
