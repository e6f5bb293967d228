package io.evasan.scsi.target.impl;

import io.evasan.scsi.ScsiStatus;
import io.evasan.scsi.ScsiTask;
import io.evasan.scsi.cdb.BlockCdbDescriptor;
import io.evasan.scsi.cdb.ExtendedCopyDescriptor;
import io.evasan.scsi.cdb.OpCodes;
import io.evasan.scsi.lu.LogicalUnit;
import io.evasan.scsi.lu.LuException;
import io.evasan.scsi.sense.SenseCodes;
import io.evasan.scsi.sense.SenseDataDescriptor;
import io.evasan.scsi.target.VendorCommandHandler;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static io.evasan.scsi.cdb.CdbDescriptor.put16;
import static io.evasan.scsi.cdb.CdbDescriptor.put32;
import static io.evasan.scsi.cdb.CdbDescriptor.put64;
import static io.evasan.scsi.cdb.CdbDescriptor.u16;
import static io.evasan.scsi.cdb.CdbDescriptor.u32;
import static io.evasan.scsi.cdb.CdbDescriptor.u64;
import static io.evasan.scsi.cdb.CdbDescriptor.u8;

/**
 * Executes one CDB against an LU context (SPC-4 / SBC-3 semantics), filling status, sense,
 * Data-In and residual of the task. Runs on target worker threads; per-thread scratch buffers
 * are preallocated (no allocation per read/write).
 *
 * <p>Invariant: every error path is decided before the first change to the LU (except backend
 * failures, which the backend reports for the part it could not do).
 */
final class CommandExecutor {
    static final int MAX_TRANSFER_BLOCKS = 65536;
    static final int OPTIMAL_TRANSFER_BLOCKS = 2048;
    static final int MAX_COMPARE_AND_WRITE_BLOCKS = 255;
    /** 1 Mi blocks (512 MiB): libiscsi Inquiry.BlockLimits treats larger finite limits as insane. */
    static final long MAX_UNMAP_LBA_COUNT = 0x100000L;
    static final int MAX_UNMAP_DESCRIPTORS = 256;
    static final long MAX_WRITE_SAME_BLOCKS = 0x400000L;
    /** MAXIMUM ATOMIC TRANSFER LENGTH (Block Limits VPD, SBC-4): 1 MiB; no alignment/granularity. */
    static final int MAX_ATOMIC_TRANSFER_BLOCKS = 2048;
    /** Copy manager limits (RECEIVE COPY RESULTS OPERATING PARAMETERS, SPC-4 6.18.4). */
    static final int MAX_COPY_TARGET_DESCRIPTORS = 8;
    static final int MAX_COPY_SEGMENT_DESCRIPTORS = 64;
    static final int MAX_COPY_DESCRIPTOR_LIST_LENGTH = 2048;
    static final long MAX_COPY_SEGMENT_BYTES = 65535L * LogicalUnit.BLOCK_SIZE;
    static final int SCRATCH = 1 << 20;

    private final DiskTarget target;

    private static final class Scratch {
        final byte[] a = new byte[SCRATCH];
        final byte[] b = new byte[SCRATCH];
        final ByteBuffer aBuf = ByteBuffer.wrap(a);
        final ByteBuffer bBuf = ByteBuffer.wrap(b);
        final ByteBuffer vendor = ByteBuffer.allocate(64 * 1024);
    }

    private static final ThreadLocal<Scratch> SCRATCHES = ThreadLocal.withInitial(Scratch::new);

    /** Thrown internally to end a command with a status already set. */
    private static final class Done extends Exception {
        private static final long serialVersionUID = 1L;
        static final Done INSTANCE = new Done();

        private Done() {
            super(null, null, false, false);
        }
    }

    CommandExecutor(DiskTarget target) {
        this.target = target;
    }

    // ------------------------------------------------------------------ status helpers

    void fail(TaskEntry e, int code) {
        DiskTarget.setCheck(e.task, e.lu, code, false, 0, SenseDataDescriptor.NO_FIELD, false, -1);
        noData(e);
    }

    private static Done check(TaskEntry e, int code) {
        DiskTarget.setCheck(e.task, e.lu, code, false, 0, SenseDataDescriptor.NO_FIELD, false, -1);
        noData(e);
        return Done.INSTANCE;
    }

    private static Done checkInfo(TaskEntry e, int code, long info) {
        DiskTarget.setCheck(e.task, e.lu, code, true, info, SenseDataDescriptor.NO_FIELD, false, -1);
        noData(e);
        return Done.INSTANCE;
    }

    /** INVALID FIELD IN CDB with a field pointer (and bit pointer, or -1). */
    private static Done badCdb(TaskEntry e, int field, int bit) {
        DiskTarget.setCheck(e.task, e.lu, SenseCodes.INVALID_FIELD_IN_CDB, false, 0, field, true, bit);
        noData(e);
        return Done.INSTANCE;
    }

    private static Done badParam(TaskEntry e, int field) {
        DiskTarget.setCheck(e.task, e.lu, SenseCodes.INVALID_FIELD_IN_PARAMETER_LIST, false, 0, field, false, -1);
        noData(e);
        return Done.INSTANCE;
    }

    private static Done conflict(TaskEntry e) {
        e.task.status(ScsiStatus.RESERVATION_CONFLICT);
        e.task.senseLength(0);
        noData(e);
        return Done.INSTANCE;
    }

    private static Done fromLu(TaskEntry e, LuException x) {
        if (x.status() != ScsiStatus.CHECK_CONDITION) {
            e.task.status(x.status());
            e.task.senseLength(0);
            noData(e);
            return Done.INSTANCE;
        }
        DiskTarget.setCheck(e.task, e.lu, x.senseCode(), x.information() >= 0, x.information(),
                SenseDataDescriptor.NO_FIELD, false, -1);
        noData(e);
        return Done.INSTANCE;
    }

    private static void noData(TaskEntry e) {
        ByteBuffer in = e.task.dataIn();
        if (in != null) {
            in.clear().limit(0);
        }
        long edtl = e.task.expectedDataTransferLength();
        e.task.residual(edtl, false);
    }

    private static void good(TaskEntry e) {
        e.task.status(ScsiStatus.GOOD);
        e.task.senseLength(0);
    }

    /** GOOD with no data; residual for a data-out command that consumed {@code used} bytes. */
    private static void goodConsumed(TaskEntry e, long used) {
        good(e);
        ByteBuffer in = e.task.dataIn();
        if (in != null) {
            in.clear().limit(0);
        }
        long edtl = e.task.expectedDataTransferLength();
        e.task.residual(Math.max(0, edtl - used), false);
    }

    /** GOOD with Data-In: min(produced, allocLen) bytes of src, cut to the expected length. */
    private static void respond(TaskEntry e, byte[] src, int produced, long allocLen) {
        good(e);
        long n = Math.min(produced, allocLen);
        long edtl = e.task.expectedDataTransferLength();
        ByteBuffer in = e.task.dataIn();
        long cap = in == null ? 0 : Math.min(edtl, in.capacity());
        long xfer = Math.min(n, cap);
        if (in != null) {
            in.clear();
            in.put(src, 0, (int) xfer);
            in.flip();
        }
        if (n <= edtl) {
            e.task.residual(edtl - xfer, false);
        } else {
            e.task.residual(n - edtl, true);
        }
    }

    /** Waits for a completed future; its LuException is rethrown, anything else is a RuntimeException. */
    private static void joinLu(java.util.concurrent.CompletableFuture<Void> f) throws LuException {
        try {
            f.join();
        } catch (java.util.concurrent.CompletionException | java.util.concurrent.CancellationException x) {
            Throwable c = x.getCause();
            if (c instanceof LuException lx) {
                throw lx;
            }
            throw new IllegalStateException("LU failed: " + c, c);
        }
    }

    /**
     * Sets the answer of a command whose {@link TaskEntry#pending} future completed: GOOD (with the
     * consumed bytes' residual) or the LU's failure ({@code failure}: an LuException, else INTERNAL
     * TARGET FAILURE).
     */
    void completePending(TaskEntry e, Throwable failure, long used, long start) {
        Throwable c = failure;
        while (c instanceof java.util.concurrent.CompletionException && c.getCause() != null) {
            c = c.getCause();
        }
        if (start >= 0) {
            e.lu.stats.recordWrite(used, System.nanoTime() - start);
        }
        if (c == null) {
            goodConsumed(e, used);
        } else if (c instanceof LuException lx) {
            fromLu(e, lx);
        } else {
            fail(e, SenseCodes.INTERNAL_TARGET_FAILURE);
        }
    }

    // ------------------------------------------------------------------ dispatch

    void execute(TaskEntry e) {
        try {
            dispatch(e);
        } catch (Done d) {
            // status already set
        } catch (LuException x) {
            fromLu(e, x);
        }
    }

    private void dispatch(TaskEntry e) throws Done, LuException {
        ScsiTask t = e.task;
        byte[] cdb = t.cdb();
        int op = cdb[0] & 0xFF;
        Scratch s = SCRATCHES.get();
        if (e.lu == null) {
            unpresented(e, s);
            return;
        }
        LuContext lc = e.lu;
        VendorCommandHandler vh = target.vendor[op];
        boolean implemented = CommandTable.implemented(op);
        int access = vh != null ? (vh.writesMedium(cdb) ? CommandTable.ACCESS_WRITE : CommandTable.ACCESS_READ)
                : CommandTable.access(cdb);
        if (access != CommandTable.ACCESS_ANY) {
            int ua = e.nexus.pollUa(lc);
            if (ua != 0) {
                throw check(e, ua);
            }
        }
        if (!implemented && vh == null) {
            throw check(e, SenseCodes.INVALID_COMMAND_OPERATION_CODE);
        }
        int cdbLen = vh != null ? 6 : CommandTable.cdbLength(op);
        if (t.cdbLength() < cdbLen) {
            throw badCdb(e, 0, -1);
        }
        if (implemented && (cdb[cdbLen - 1] & 0x04) != 0) {
            throw badCdb(e, cdbLen - 1, 2); // NACA=1: ACA not supported
        }
        // reservations
        if (access != CommandTable.ACCESS_ANY && op != OpCodes.RELEASE_6) {
            Nexus holder;
            synchronized (lc.pr) {
                holder = lc.spc2Holder;
            }
            if (holder != null && holder != e.nexus) {
                throw conflict(e);
            }
            if (access != CommandTable.ACCESS_RESERVATION && lc.pr.conflicts(e.nexus, access)) {
                throw conflict(e);
            }
        }
        if (vh != null) {
            vendorCommand(e, vh, s);
            return;
        }
        switch (op) {
            case OpCodes.TEST_UNIT_READY:
                ready(e);
                goodConsumed(e, 0);
                return;
            case OpCodes.REQUEST_SENSE:
                requestSense(e, s);
                return;
            case OpCodes.INQUIRY:
                inquiry(e, s, false);
                return;
            case OpCodes.REPORT_LUNS:
                reportLuns(e, s);
                return;
            case OpCodes.READ_CAPACITY_10:
                ready(e);
                readCapacity10(e, s);
                return;
            case OpCodes.SERVICE_ACTION_IN_16:
                serviceActionIn(e, s);
                return;
            case OpCodes.MAINTENANCE_IN:
                if ((cdb[1] & 0x1F) != OpCodes.SA_REPORT_SUPPORTED_OPCODES) {
                    throw badCdb(e, 1, 4);
                }
                reportSupportedOpcodes(e, s);
                return;
            case OpCodes.MODE_SENSE_6:
            case OpCodes.MODE_SENSE_10:
                modeSense(e, s, op == OpCodes.MODE_SENSE_10);
                return;
            case OpCodes.MODE_SELECT_6:
            case OpCodes.MODE_SELECT_10:
                modeSelect(e, s, op == OpCodes.MODE_SELECT_10);
                return;
            case OpCodes.START_STOP_UNIT:
                startStop(e);
                return;
            case OpCodes.RESERVE_6:
                reserve6(e);
                return;
            case OpCodes.RELEASE_6:
                synchronized (lc.pr) {
                    if (lc.spc2Holder == e.nexus) {
                        lc.spc2Holder = null;
                    }
                }
                goodConsumed(e, 0);
                return;
            case OpCodes.PERSISTENT_RESERVE_IN:
                persistentReserveIn(e, s);
                return;
            case OpCodes.PERSISTENT_RESERVE_OUT:
                persistentReserveOut(e, s);
                return;
            case OpCodes.READ_6: case OpCodes.READ_10: case OpCodes.READ_12: case OpCodes.READ_16:
                read(e, s);
                return;
            case OpCodes.WRITE_6: case OpCodes.WRITE_10: case OpCodes.WRITE_12: case OpCodes.WRITE_16:
                write(e, s, false);
                return;
            case OpCodes.WRITE_AND_VERIFY_10: case OpCodes.WRITE_AND_VERIFY_12: case OpCodes.WRITE_AND_VERIFY_16:
                write(e, s, true);
                return;
            case OpCodes.VERIFY_10: case OpCodes.VERIFY_12: case OpCodes.VERIFY_16:
                verify(e, s);
                return;
            case OpCodes.PRE_FETCH_10: case OpCodes.PRE_FETCH_16: {
                ready(e);
                long lba = BlockCdbDescriptor.lba(cdb);
                long n = BlockCdbDescriptor.transferLength(cdb);
                range(e, lba, n);
                goodConsumed(e, 0);
                return;
            }
            case OpCodes.SYNCHRONIZE_CACHE_10: case OpCodes.SYNCHRONIZE_CACHE_16: {
                ready(e);
                long lba = BlockCdbDescriptor.lba(cdb);
                long n = BlockCdbDescriptor.transferLength(cdb);
                range(e, lba, n);
                java.util.concurrent.CompletableFuture<Void> f = e.lu.lu.flushAsync(lba, n);
                if (f.isDone()) {
                    joinLu(f);
                    goodConsumed(e, 0);
                } else {
                    e.pending = f;   // answered when the LU is stable, without holding this worker
                    e.pendingUsed = 0;
                    e.pendingStart = -1;
                }
                return;
            }
            case OpCodes.WRITE_SAME_10: case OpCodes.WRITE_SAME_16:
                writeSame(e, s);
                return;
            case OpCodes.UNMAP:
                unmap(e, s);
                return;
            case OpCodes.COMPARE_AND_WRITE:
                compareAndWrite(e, s);
                return;
            case OpCodes.ORWRITE_16:
                orWrite(e, s);
                return;
            case OpCodes.WRITE_ATOMIC_16:
                writeAtomic(e);
                return;
            case OpCodes.READ_DEFECT_DATA_10: case OpCodes.READ_DEFECT_DATA_12:
                readDefectData(e, s, op == OpCodes.READ_DEFECT_DATA_12);
                return;
            case OpCodes.PREVENT_ALLOW_MEDIUM_REMOVAL:
                preventAllow(e);
                return;
            case OpCodes.EXTENDED_COPY:
                extendedCopy(e, s);
                return;
            case OpCodes.RECEIVE_COPY_RESULTS:
                receiveCopyResults(e, s);
                return;
            default:
                throw check(e, SenseCodes.INVALID_COMMAND_OPERATION_CODE);
        }
    }

    // ------------------------------------------------------------------ checks

    private static void ready(TaskEntry e) throws Done {
        int r = e.lu.lu.readiness();
        if (r != SenseCodes.NO_SENSE) {
            throw check(e, r);
        }
    }

    private static void writable(TaskEntry e) throws Done {
        if (e.lu.lu.writeProtected()) {
            throw check(e, SenseCodes.WRITE_PROTECTED);
        }
        if (e.lu.swp) {
            throw check(e, SenseCodes.SOFTWARE_WRITE_PROTECTED);
        }
    }

    /** LBA OUT OF RANGE unless [lba, lba+n) lies inside the LU (unsigned arithmetic). */
    private static void range(TaskEntry e, long lba, long n) throws Done {
        long cap = e.lu.lu.blockCount();
        if (Long.compareUnsigned(lba, cap) > 0 || Long.compareUnsigned(n, cap - lba) > 0) {
            throw checkInfo(e, SenseCodes.LBA_OUT_OF_RANGE, lba);
        }
    }

    private static void noProtect(TaskEntry e) throws Done {
        if (BlockCdbDescriptor.protect(e.task.cdb()) != 0) {
            throw badCdb(e, 1, 7);
        }
    }

    /**
     * Checks the Data-Out against the SCSI transfer length: GOOD path returns the source buffer
     * positioned at the data; EDTL (or the data supplied) shorter than needed is INVALID FIELD IN
     * COMMAND INFORMATION UNIT with an overflow residual (FCP-4 option b: nothing written).
     */
    private static ByteBuffer dataOut(TaskEntry e, long needed) throws Done {
        ScsiTask t = e.task;
        ByteBuffer src = t.dataOut();
        long edtl = t.expectedDataTransferLength();
        long have = src == null ? 0 : Math.min(edtl, src.remaining());
        if (have < needed) {
            DiskTarget.setCheck(t, e.lu, SenseCodes.INVALID_FIELD_IN_COMMAND_INFORMATION_UNIT, false, 0,
                    SenseDataDescriptor.NO_FIELD, false, -1);
            ByteBuffer in = t.dataIn();
            if (in != null) {
                in.clear().limit(0);
            }
            t.residual(needed - Math.min(edtl, needed), edtl < needed);
            if (edtl >= needed) {
                t.residual(edtl, false);
            }
            throw Done.INSTANCE;
        }
        return src;
    }

    /**
     * As {@link #dataOut}, and an expected transfer length above {@code needed} is INVALID FIELD IN
     * CDB (WRITE SAME and COMPARE AND WRITE take exactly their Data-Out; nothing is written).
     */
    private static ByteBuffer exactDataOut(TaskEntry e, long needed, int lengthField) throws Done {
        ByteBuffer src = dataOut(e, needed);
        if (e.task.expectedDataTransferLength() > needed) {
            throw badCdb(e, lengthField, -1);
        }
        return src;
    }

    /** Copies up to {@code max} bytes of a parameter list into dst; returns the count. */
    private static int paramList(TaskEntry e, long paramLen, byte[] dst) {
        ByteBuffer src = e.task.dataOut();
        long edtl = e.task.expectedDataTransferLength();
        int n = (int) Math.min(Math.min(paramLen, dst.length), src == null ? 0 : Math.min(edtl, src.remaining()));
        if (n > 0) {
            int pos = src.position();
            src.get(dst, 0, n);
            src.position(pos);
        }
        return n;
    }

    // ------------------------------------------------------------------ block I/O

    private void read(TaskEntry e, Scratch s) throws Done, LuException {
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

    private void write(TaskEntry e, Scratch s, boolean verify) throws Done, LuException {
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
                    stable = lc.lu.writeFuaAsync(lba, (int) n, src);
                } else {
                    lc.lu.write(lba, (int) n, src, fua);
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
                joinLu(stable);
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
    private void writeAtomic(TaskEntry e) throws Done, LuException {
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
                lc.lu.write(lba, (int) n, src, BlockCdbDescriptor.fua(cdb) || !lc.wce);
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

    private void verify(TaskEntry e, Scratch s) throws Done, LuException {
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

    private void writeSame(TaskEntry e, Scratch s) throws Done, LuException {
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
                done = lc.lu.writeZeros(lba, n, !lc.wce);
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
                    lc.lu.write(lba + written, k, s.aBuf, fua);
                    written += k;
                }
            }
        } finally {
            lc.atomic.readLock().unlock();
        }
        lc.stats.recordWrite(n * LogicalUnit.BLOCK_SIZE, System.nanoTime() - start);
        goodConsumed(e, used);
    }

    private void unmap(TaskEntry e, Scratch s) throws Done, LuException {
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

    private void compareAndWrite(TaskEntry e, Scratch s) throws Done, LuException {
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
            lc.lu.write(lba, n, src, BlockCdbDescriptor.fua(cdb) || !lc.wce);
        } finally {
            src.position(pos);
            lc.atomic.writeLock().unlock();
        }
        lc.stats.recordWrite(bytes, System.nanoTime() - start);
        goodConsumed(e, 2L * bytes);
    }

    /** ORWRITE(16) with BMOP 0 (SBC-3 5.9): medium := medium OR Data-Out, atomically per LU. */
    private void orWrite(TaskEntry e, Scratch s) throws Done, LuException {
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
                lc.lu.write(lba, (int) n, s.aBuf, BlockCdbDescriptor.fua(cdb) || !lc.wce);
            } finally {
                lc.atomic.writeLock().unlock();
            }
            lc.stats.recordWrite(bytes, System.nanoTime() - start);
        }
        goodConsumed(e, bytes);
    }

    // ------------------------------------------------------------------ information commands

    private void unpresented(TaskEntry e, Scratch s) {
        byte[] cdb = e.task.cdb();
        int op = cdb[0] & 0xFF;
        try {
            switch (op) {
                case OpCodes.INQUIRY:
                    inquiry(e, s, true);
                    return;
                case OpCodes.REPORT_LUNS:
                    reportLuns(e, s);
                    return;
                case OpCodes.REQUEST_SENSE: {
                    boolean desc = (cdb[1] & 1) != 0;
                    int n = SenseDataDescriptor.build(s.a, desc, SenseCodes.LOGICAL_UNIT_NOT_SUPPORTED, false, 0,
                            SenseDataDescriptor.NO_FIELD, false, -1);
                    respond(e, s.a, n, u8(cdb, 4));
                    return;
                }
                default:
                    throw check(e, SenseCodes.LOGICAL_UNIT_NOT_SUPPORTED);
            }
        } catch (Done d) {
            // status set
        }
    }

    private void requestSense(TaskEntry e, Scratch s) throws Done {
        byte[] cdb = e.task.cdb();
        boolean desc = (cdb[1] & 1) != 0;
        int code = e.nexus.pollUa(e.lu);
        if (code == 0) {
            code = e.lu.lu.readiness();
        }
        int n = SenseDataDescriptor.build(s.a, desc, code, false, 0, SenseDataDescriptor.NO_FIELD, false, -1);
        respond(e, s.a, n, u8(cdb, 4));
    }

    private static void ascii(byte[] out, int off, int len, String v) {
        byte[] b = v.getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < len; i++) {
            out[off + i] = i < b.length ? b[i] : (byte) ' ';
        }
    }

    private void inquiry(TaskEntry e, Scratch s, boolean unpresented) throws Done {
        byte[] cdb = e.task.cdb();
        boolean evpd = (cdb[1] & 0x01) != 0;
        int page = u8(cdb, 2);
        int alloc = u16(cdb, 3);
        if ((cdb[1] & 0xFE) != 0) {
            throw badCdb(e, 1, -1);
        }
        if (!evpd && page != 0) {
            throw badCdb(e, 2, -1);
        }
        byte[] o = s.a;
        if (!evpd) {
            int len = 74;
            java.util.Arrays.fill(o, 0, len, (byte) 0);
            o[0] = (byte) (unpresented ? 0x7F : 0x00);
            o[2] = 0x06;                 // SPC-4
            o[3] = 0x12;                 // HISUP, response data format 2
            o[4] = (byte) (len - 5);
            o[5] = (byte) (unpresented ? 0 : 0x08); // 3PC: EXTENDED COPY supported
            o[7] = 0x02;                 // CMDQUE
            LogicalUnit lu = unpresented ? null : e.lu.lu;
            ascii(o, 8, 8, lu == null ? "EVASAN" : lu.vendorId());
            ascii(o, 16, 16, lu == null ? "NO LUN" : lu.productId());
            ascii(o, 32, 4, lu == null ? "0100" : lu.productRevision());
            ascii(o, 36, 20, "");
            put16(o, 58, 0x00A0);        // SAM-5
            put16(o, 60, 0x0460);        // SPC-4
            put16(o, 62, 0x04C0);        // SBC-3
            put16(o, 64, 0x0960);        // iSCSI
            respond(e, o, len, alloc);
            return;
        }
        if (unpresented) {
            throw check(e, SenseCodes.LOGICAL_UNIT_NOT_SUPPORTED);
        }
        LogicalUnit lu = e.lu.lu;
        java.util.Arrays.fill(o, 0, 256, (byte) 0);
        o[1] = (byte) page;
        int len;
        switch (page) {
            case 0x00: {
                int[] pages = {0x00, 0x80, 0x83, 0x8F, 0xB0, 0xB1, 0xB2};
                for (int i = 0; i < pages.length; i++) {
                    o[4 + i] = (byte) pages[i];
                }
                len = 4 + pages.length;
                break;
            }
            case 0x80: {
                byte[] sn = lu.serialNumber().getBytes(StandardCharsets.US_ASCII);
                System.arraycopy(sn, 0, o, 4, sn.length);
                len = 4 + sn.length;
                break;
            }
            case 0x83:
                len = deviceIdentification(e, o);
                break;
            case 0x8F: {
                // Third-party Copy: one Supported Commands descriptor (83h: 00h; 84h: 00h, 03h)
                int d = 4;
                put16(o, d, 0x0001);
                int list = d + 5;
                o[list] = (byte) OpCodes.EXTENDED_COPY;
                o[list + 1] = 1;
                o[list + 2] = (byte) ExtendedCopyDescriptor.SA_EXTENDED_COPY_LID1;
                o[list + 3] = (byte) OpCodes.RECEIVE_COPY_RESULTS;
                o[list + 4] = 2;
                o[list + 5] = (byte) ExtendedCopyDescriptor.SA_COPY_STATUS;
                o[list + 6] = (byte) ExtendedCopyDescriptor.SA_OPERATING_PARAMETERS;
                o[d + 4] = 7;                                  // commands supported list length
                int descLen = (1 + 7 + 3) & ~3;               // padded: 4 + 8 = 12 bytes in all
                put16(o, d + 2, descLen);
                len = d + 4 + descLen;
                break;
            }
            case 0xB0: {
                len = 64;
                o[4] = 0x00;                                  // WSNZ=0: WRITE SAME 0 blocks = to the end
                o[5] = (byte) MAX_COMPARE_AND_WRITE_BLOCKS;
                put16(o, 6, 1);                               // optimal transfer length granularity
                put32(o, 8, MAX_TRANSFER_BLOCKS);
                put32(o, 12, OPTIMAL_TRANSFER_BLOCKS);
                put32(o, 16, MAX_TRANSFER_BLOCKS);            // max prefetch length
                if (lu.thinProvisioned()) {
                    put32(o, 20, MAX_UNMAP_LBA_COUNT);
                    put32(o, 24, MAX_UNMAP_DESCRIPTORS);
                    put32(o, 28, 1);                          // optimal unmap granularity
                }
                put64(o, 36, MAX_WRITE_SAME_BLOCKS);
                put32(o, 44, MAX_ATOMIC_TRANSFER_BLOCKS);    // maximum atomic transfer length
                // 48 atomic alignment 0, 52 atomic transfer length granularity 0,
                // 56 max atomic transfer length with atomic boundary 0, 60 max atomic boundary size 0
                break;
            }
            case 0xB1:
                len = 64;
                put16(o, 4, 1);                               // non-rotating medium
                break;
            case 0xB2:
                len = 8;
                if (lu.thinProvisioned()) {
                    o[5] = (byte) (0x80 | 0x40 | 0x20 | 0x04); // LBPU LBPWS LBPWS10 LBPRZ
                    o[6] = 0x02;                              // thin provisioned
                }
                break;
            default:
                throw badCdb(e, 2, -1);
        }
        put16(o, 2, len - 4);
        respond(e, o, len, alloc);
    }

    private static int deviceIdentification(TaskEntry e, byte[] o) {
        LogicalUnit lu = e.lu.lu;
        int p = 4;
        // NAA (LU association)
        o[p] = 0x01;
        o[p + 1] = 0x03;
        o[p + 3] = 16;
        System.arraycopy(lu.naaIdentifier(), 0, o, p + 4, 16);
        p += 20;
        // T10 vendor id + serial (LU association)
        byte[] t10 = (String.format("%-8s", lu.vendorId()) + lu.serialNumber()).getBytes(StandardCharsets.US_ASCII);
        o[p] = 0x02;
        o[p + 1] = 0x01;
        o[p + 3] = (byte) t10.length;
        System.arraycopy(t10, 0, o, p + 4, t10.length);
        p += 4 + t10.length;
        Nexus nx = e.nexus;
        int proto = nx.targetPortName().contains(",t,0x") || nx.targetPortName().startsWith("iqn.") ? 0x50 : 0x00;
        // relative target port (target port association, PIV=1)
        o[p] = (byte) (proto | 0x01);
        o[p + 1] = (byte) (0x80 | 0x10 | 0x04);
        o[p + 3] = 4;
        put16(o, p + 6, nx.relativeTargetPortId());
        p += 8;
        // SCSI name string of the target port (UTF-8, null terminated, multiple of 4)
        byte[] name = nx.targetPortName().getBytes(StandardCharsets.UTF_8);
        int nlen = Math.min(252, (name.length + 4) & ~3);
        o[p] = (byte) (proto | 0x03);
        o[p + 1] = (byte) (0x80 | 0x10 | 0x08);
        o[p + 3] = (byte) nlen;
        java.util.Arrays.fill(o, p + 4, p + 4 + nlen, (byte) 0);
        System.arraycopy(name, 0, o, p + 4, Math.min(name.length, nlen - 1));
        p += 4 + nlen;
        return p;
    }

    private void reportLuns(TaskEntry e, Scratch s) throws Done {
        byte[] cdb = e.task.cdb();
        int select = u8(cdb, 2);
        long alloc = u32(cdb, 6);
        if (select > 2) {
            throw badCdb(e, 2, -1);
        }
        e.nexus.clearLunsChanged();
        int[] luns = select == 1 ? new int[0] : target.masking.visibleLuns(e.nexus.initiatorName());
        byte[] o = s.a;
        int n = Math.min(luns.length, (SCRATCH - 8) / 8);
        java.util.Arrays.fill(o, 0, 8 + 8 * n, (byte) 0);
        put32(o, 0, 8L * n);
        for (int i = 0; i < n; i++) {
            int lun = luns[i];
            int off = 8 + 8 * i;
            if (lun < 256) {
                o[off + 1] = (byte) lun;
            } else {
                o[off] = (byte) (0x40 | (lun >>> 8 & 0x3F));
                o[off + 1] = (byte) lun;
            }
        }
        respond(e, o, 8 + 8 * n, alloc);
    }

    private void readCapacity10(TaskEntry e, Scratch s) {
        long last = e.lu.lu.blockCount() - 1;
        byte[] o = s.a;
        put32(o, 0, last > 0xFFFFFFFFL ? 0xFFFFFFFFL : last);
        put32(o, 4, LogicalUnit.BLOCK_SIZE);
        respond(e, o, 8, 8);
    }

    private void serviceActionIn(TaskEntry e, Scratch s) throws Done, LuException {
        byte[] cdb = e.task.cdb();
        int sa = cdb[1] & 0x1F;
        long alloc = u32(cdb, 10);
        LogicalUnit lu = e.lu.lu;
        byte[] o = s.a;
        if (sa == OpCodes.SA_READ_CAPACITY_16) {
            ready(e);
            java.util.Arrays.fill(o, 0, 32, (byte) 0);
            put64(o, 0, lu.blockCount() - 1);
            put32(o, 8, LogicalUnit.BLOCK_SIZE);
            o[13] = (byte) (lu.physicalBlockExponent() & 0x0F); // LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT
            if (lu.thinProvisioned()) {
                o[14] = (byte) 0xC0; // LBPME, LBPRZ; LOWEST ALIGNED LBA 0
            }
            respond(e, o, 32, alloc);
            return;
        }
        if (sa == OpCodes.SA_GET_LBA_STATUS) {
            ready(e);
            long lba = u64(cdb, 2);
            if (Long.compareUnsigned(lba, lu.blockCount()) >= 0) {
                throw checkInfo(e, SenseCodes.LBA_OUT_OF_RANGE, lba);
            }
            int max = (int) Math.max(1, Math.min(1024, (Math.min(alloc, SCRATCH) - 8) / 16));
            int[] count = {0};
            lu.lbaStatus(lba, lu.blockCount() - lba, (start, blocks, status) -> {
                while (blocks > 0 && count[0] < max) {
                    long k = Math.min(blocks, 0xFFFFFFFFL);
                    int off = 8 + 16 * count[0];
                    java.util.Arrays.fill(o, off, off + 16, (byte) 0);
                    put64(o, off, start);
                    put32(o, off + 8, k);
                    o[off + 12] = (byte) status;
                    count[0]++;
                    start += k;
                    blocks -= k;
                }
                return count[0] < max;
            });
            int len = 8 + 16 * count[0];
            put32(o, 0, len - 4);
            put32(o, 4, 0);
            respond(e, o, len, alloc);
            return;
        }
        throw badCdb(e, 1, 4);
    }

    private void reportSupportedOpcodes(TaskEntry e, Scratch s) throws Done {
        byte[] cdb = e.task.cdb();
        boolean rctd = (cdb[2] & 0x80) != 0;
        int options = cdb[2] & 0x07;
        int reqOp = u8(cdb, 3);
        int reqSa = u16(cdb, 4);
        long alloc = u32(cdb, 6);
        byte[] o = s.a;
        if (options == 0) {
            int p = 4;
            int dlen = 8 + (rctd ? 12 : 0);
            for (CommandTable.Command c : CommandTable.COMMANDS) {
                p = allCommandsDescriptor(o, p, c.opcode, c.serviceAction, c.cdbLength(), rctd);
            }
            for (int op = 0; op < 256; op++) {
                if (target.vendor[op] != null) {
                    int len = DiskTarget.isVendorOpcode(op) && op >= 0xC0 ? 16 : Math.max(6, groupLen(op));
                    p = allCommandsDescriptor(o, p, op, CommandTable.NO_SA, len, rctd);
                }
            }
            put32(o, 0, p - 4);
            respond(e, o, p, alloc);
            return;
        }
        if (options > 3) {
            throw badCdb(e, 2, 2);
        }
        boolean hasSa = CommandTable.hasServiceActions(reqOp);
        if (options == 1 && hasSa) {
            throw badCdb(e, 3, -1);
        }
        if (options == 2 && !hasSa) {
            throw badCdb(e, 3, -1);
        }
        CommandTable.Command c = CommandTable.find(reqOp, hasSa ? reqSa : CommandTable.NO_SA);
        if (c != null && hasSa && c.serviceAction != reqSa) {
            c = null;
        }
        java.util.Arrays.fill(o, 0, 64, (byte) 0);
        int p;
        if (c == null && target.vendor[reqOp] == null) {
            o[1] = 0x01; // not supported
            p = 4;
        } else {
            byte[] usage;
            if (c != null) {
                usage = c.usage;
            } else {
                int len = reqOp >= 0xC0 ? 16 : Math.max(6, groupLen(reqOp));
                usage = new byte[len];
                usage[0] = (byte) reqOp;
                for (int i = 1; i < len - 1; i++) {
                    usage[i] = (byte) 0xFF;
                }
            }
            o[1] = (byte) ((rctd ? 0x80 : 0) | 0x03);
            put16(o, 2, usage.length);
            System.arraycopy(usage, 0, o, 4, usage.length);
            if (hasSa && c != null) {
                o[5] = (byte) (o[5] & 0xE0 | c.serviceAction); // the SA field carries the queried SA
            }
            p = 4 + usage.length;
            if (rctd) {
                p = timeouts(o, p);
            }
        }
        respond(e, o, p, alloc);
    }

    private static int groupLen(int op) {
        int l = io.evasan.scsi.cdb.CdbDescriptor.groupLength(op);
        return l < 0 ? 16 : l;
    }

    private static int allCommandsDescriptor(byte[] o, int p, int op, int sa, int cdbLen, boolean rctd) {
        java.util.Arrays.fill(o, p, p + 20, (byte) 0);
        o[p] = (byte) op;
        if (sa != CommandTable.NO_SA) {
            put16(o, p + 2, sa);
            o[p + 5] = 0x01; // SERVACTV
        }
        if (rctd) {
            o[p + 5] |= 0x02; // CTDP
        }
        put16(o, p + 6, cdbLen);
        p += 8;
        if (rctd) {
            p = timeouts(o, p);
        }
        return p;
    }

    private static int timeouts(byte[] o, int p) {
        java.util.Arrays.fill(o, p, p + 12, (byte) 0);
        put16(o, p, 0x0A);
        put32(o, p + 4, 1);   // nominal: 1 s
        put32(o, p + 8, 30);  // recommended: 30 s
        return p + 12;
    }

    // ------------------------------------------------------------------ mode pages

    private static final int PAGE_CACHING = 0x08;
    private static final int PAGE_CONTROL = 0x0A;
    private static final int PAGE_INFO_EXCEPTIONS = 0x1C;
    private static final int PAGE_ALL = 0x3F;

    /** Writes one page for the page control value; returns its length. */
    private static int page(LuContext lc, int code, int pc, byte[] o, int p) {
        switch (code) {
            case PAGE_CACHING:
                java.util.Arrays.fill(o, p, p + 20, (byte) 0);
                o[p] = PAGE_CACHING;
                o[p + 1] = 0x12;
                if (pc == 1) {
                    o[p + 2] = 0x04;                       // WCE changeable
                } else {
                    o[p + 2] = (byte) ((pc == 0 ? lc.wce : true) ? 0x04 : 0);
                }
                return 20;
            case PAGE_CONTROL:
                java.util.Arrays.fill(o, p, p + 12, (byte) 0);
                o[p] = PAGE_CONTROL;
                o[p + 1] = 0x0A;
                if (pc == 1) {
                    o[p + 2] = 0x04;                       // D_SENSE changeable
                    o[p + 4] = 0x08;                       // SWP changeable
                } else {
                    boolean cur = pc == 0;
                    o[p + 2] = (byte) (cur && lc.dsense ? 0x04 : 0);
                    o[p + 3] = 0x10;                       // queue algorithm modifier 1: unrestricted
                    o[p + 4] = (byte) (cur && lc.swp ? 0x08 : 0);
                    o[p + 5] = 0x40;                       // TAS
                    put16(o, p + 8, 0xFFFF);               // busy timeout: unlimited
                }
                return 12;
            case PAGE_INFO_EXCEPTIONS:
                java.util.Arrays.fill(o, p, p + 12, (byte) 0);
                o[p] = PAGE_INFO_EXCEPTIONS;
                o[p + 1] = 0x0A;
                if (pc != 1) {
                    o[p + 2] = 0x08;                       // DEXCPT: no informational exceptions
                }
                return 12;
            default:
                return 0;
        }
    }

    private void modeSense(TaskEntry e, Scratch s, boolean ten) throws Done {
        byte[] cdb = e.task.cdb();
        LuContext lc = e.lu;
        boolean dbd = (cdb[1] & 0x08) != 0;
        boolean llbaa = ten && (cdb[1] & 0x10) != 0;
        int pc = (cdb[2] & 0xC0) >>> 6;
        int code = cdb[2] & 0x3F;
        int sub = u8(cdb, 3);
        long alloc = ten ? u16(cdb, 7) : u8(cdb, 4);
        if (pc == 3) {
            throw check(e, SenseCodes.SAVING_PARAMETERS_NOT_SUPPORTED);
        }
        if (sub != 0 && !(code == PAGE_ALL && sub == 0xFF)) {
            throw badCdb(e, 3, -1);
        }
        if (code != PAGE_ALL && code != PAGE_CACHING && code != PAGE_CONTROL && code != PAGE_INFO_EXCEPTIONS) {
            throw badCdb(e, 2, 5);
        }
        byte[] o = s.a;
        int hdr = ten ? 8 : 4;
        java.util.Arrays.fill(o, 0, hdr, (byte) 0);
        int p = hdr;
        LogicalUnit lu = lc.lu;
        boolean wp = lu.writeProtected() || lc.swp;
        int bdLen = dbd ? 0 : (llbaa ? 16 : 8);
        if (!dbd) {
            java.util.Arrays.fill(o, p, p + bdLen, (byte) 0);
            if (llbaa) {
                put64(o, p, lu.blockCount());
                put32(o, p + 12, LogicalUnit.BLOCK_SIZE);
            } else {
                put32(o, p, Math.min(lu.blockCount(), 0xFFFFFFFFL));
                put24(o, p + 5, LogicalUnit.BLOCK_SIZE);
            }
            p += bdLen;
        }
        if (code == PAGE_ALL) {
            p += page(lc, PAGE_CACHING, pc, o, p);
            p += page(lc, PAGE_CONTROL, pc, o, p);
            p += page(lc, PAGE_INFO_EXCEPTIONS, pc, o, p);
        } else {
            p += page(lc, code, pc, o, p);
        }
        int devSpecific = (wp ? 0x80 : 0) | 0x10; // WP, DPOFUA
        if (ten) {
            put16(o, 0, p - 2);
            o[3] = (byte) devSpecific;
            o[4] = (byte) (llbaa && !dbd ? 1 : 0);
            put16(o, 6, bdLen);
        } else {
            o[0] = (byte) (p - 1);
            o[2] = (byte) devSpecific;
            o[3] = (byte) bdLen;
        }
        respond(e, o, p, alloc);
    }

    private static void put24(byte[] b, int off, int v) {
        io.evasan.scsi.cdb.CdbDescriptor.put24(b, off, v);
    }

    private void modeSelect(TaskEntry e, Scratch s, boolean ten) throws Done {
        byte[] cdb = e.task.cdb();
        LuContext lc = e.lu;
        if ((cdb[1] & 0x01) != 0) {
            throw badCdb(e, 1, 0); // SP: saved pages not supported
        }
        int paramLen = ten ? u16(cdb, 7) : u8(cdb, 4);
        if (paramLen == 0) {
            goodConsumed(e, 0);
            return;
        }
        byte[] p = s.b;
        int have = paramList(e, paramLen, p);
        int hdr = ten ? 8 : 4;
        if (have < hdr || have < paramLen) {
            throw check(e, SenseCodes.PARAMETER_LIST_LENGTH_ERROR);
        }
        int bdLen = ten ? u16(p, 6) : u8(p, 3);
        boolean longLba = ten && (p[4] & 1) != 0;
        int pos = hdr;
        if (bdLen != 0) {
            int one = longLba ? 16 : 8;
            if (bdLen != one || hdr + bdLen > have) {
                throw badParam(e, ten ? 6 : 3);
            }
            long blkLen = longLba ? u32(p, pos + 12) : io.evasan.scsi.cdb.CdbDescriptor.u24(p, pos + 5);
            if (blkLen != LogicalUnit.BLOCK_SIZE) {
                throw badParam(e, pos + (longLba ? 12 : 5));
            }
            pos += bdLen;
        }
        boolean wce = lc.wce;
        boolean dsense = lc.dsense;
        boolean swp = lc.swp;
        byte[] cur = s.a;
        byte[] chg = new byte[32];
        while (pos < have) {
            if (pos + 2 > have) {
                throw check(e, SenseCodes.PARAMETER_LIST_LENGTH_ERROR);
            }
            int code = p[pos] & 0x3F;
            if ((p[pos] & 0x40) != 0) {
                throw badParam(e, pos); // SPF: no subpages
            }
            int plen = page(lc, code, 0, cur, 0);
            if (plen == 0) {
                throw badParam(e, pos);
            }
            if ((p[pos + 1] & 0xFF) != plen - 2) {
                throw badParam(e, pos + 1);
            }
            if (pos + plen > have) {
                throw check(e, SenseCodes.PARAMETER_LIST_LENGTH_ERROR);
            }
            page(lc, code, 1, chg, 0);
            for (int i = 2; i < plen; i++) {
                int diff = (p[pos + i] ^ cur[i]) & 0xFF & ~(chg[i] & 0xFF);
                if (diff != 0) {
                    throw badParam(e, pos + i);
                }
            }
            if (code == PAGE_CACHING) {
                wce = (p[pos + 2] & 0x04) != 0;
            } else if (code == PAGE_CONTROL) {
                dsense = (p[pos + 2] & 0x04) != 0;
                swp = (p[pos + 4] & 0x08) != 0;
            }
            pos += plen;
        }
        boolean changed = wce != lc.wce || dsense != lc.dsense || swp != lc.swp;
        lc.wce = wce;
        lc.dsense = dsense;
        lc.swp = swp;
        if (changed) {
            for (Nexus nx : target.nexuses) {
                if (nx != e.nexus) {
                    nx.addUa(lc, SenseCodes.MODE_PARAMETERS_CHANGED);
                }
            }
        }
        goodConsumed(e, have);
    }

    // ------------------------------------------------------------------ misc

    private void startStop(TaskEntry e) throws Done {
        byte[] cdb = e.task.cdb();
        int pc = (cdb[4] & 0xF0) >>> 4;
        if (pc != 0 && pc != 1 && pc != 2 && pc != 3 && pc != 5 && pc != 7 && pc != 0xA && pc != 0xB) {
            throw badCdb(e, 4, 7);
        }
        // A virtual, non-removable disk: START/STOP and LOEJ do not change readiness.
        goodConsumed(e, 0);
    }

    /**
     * PREVENT ALLOW MEDIUM REMOVAL (SBC-3 5.13): the LU has no removable medium (RMB=0), so
     * PREVENT 00b (allow) and 01b (prevent) are accepted and change nothing; 10b/11b (obsolete
     * MMC persistent prevent) are an invalid field.
     */
    private void preventAllow(TaskEntry e) throws Done {
        byte[] cdb = e.task.cdb();
        int prevent = cdb[4] & 0x03;
        if (prevent > 1) {
            throw badCdb(e, 4, 1);
        }
        ready(e);
        goodConsumed(e, 0);
    }

    /**
     * READ DEFECT DATA(10)/(12) (SBC-3 5.18/5.19): a virtual disk has no defects. The header
     * answers PLISTV/GLISTV for the lists asked for, the requested address format (short block,
     * long block, bytes from index, physical sector) and a defect list length of 0; other formats
     * are an invalid field.
     */
    private void readDefectData(TaskEntry e, Scratch s, boolean twelve) throws Done {
        byte[] cdb = e.task.cdb();
        int flags = twelve ? u8(cdb, 1) : u8(cdb, 2);
        int format = flags & 0x07;
        if (format == 1 || format == 2 || format > 5) {
            throw badCdb(e, twelve ? 1 : 2, 2);
        }
        long alloc = twelve ? u32(cdb, 6) : u16(cdb, 7);
        ready(e);
        byte[] o = s.a;
        int len = twelve ? 8 : 4;
        java.util.Arrays.fill(o, 0, len, (byte) 0);
        o[1] = (byte) (flags & 0x1F); // PLISTV(4) GLISTV(3) = REQ_PLIST/REQ_GLIST; format echoed
        respond(e, o, len, alloc);
    }

    // ------------------------------------------------------------------ EXTENDED COPY (LID1)

    /**
     * EXTENDED COPY(LID1) (SPC-4 6.4) as a synchronous copy manager for block-to-block segments
     * (02h) between LUs this initiator sees, named by identification target descriptors (E4h, NAA or
     * T10 designator, LU association). The whole list is validated before the first block moves:
     * header and lengths (05/1A/00), limits (05/26/06, 05/26/08), descriptor types (05/26/07,
     * 05/26/09), fields (05/26/00), then every segment's targets (COPY ABORTED 08/04 bad index,
     * 0D/02 unknown LU), ranges (COPY ABORTED 00/00) and write protection (07/27/xx).
     * LIST ID USAGE 00b holds the result for RECEIVE COPY RESULTS. Reservations are checked on the
     * LU the command was sent to only.
     */
    private void extendedCopy(TaskEntry e, Scratch s) throws Done, LuException {
        byte[] cdb = e.task.cdb();
        if ((cdb[1] & 0x1F) != ExtendedCopyDescriptor.SA_EXTENDED_COPY_LID1) {
            throw badCdb(e, 1, 4);
        }
        long paramLen = u32(cdb, ExtendedCopyDescriptor.PARAM_LENGTH_OFFSET);
        ready(e);
        if (paramLen == 0) {
            goodConsumed(e, 0); // SPC-4: no copy, not an error
            return;
        }
        byte[] p = s.b;
        int have = paramList(e, paramLen, p);
        if (paramLen < ExtendedCopyDescriptor.HEADER || have < Math.min(paramLen, p.length)) {
            throw check(e, SenseCodes.PARAMETER_LIST_LENGTH_ERROR);
        }
        int listId = u8(p, 0);
        int usage = (p[1] >>> 3) & 3;
        if (usage == 1 || (usage == ExtendedCopyDescriptor.LIST_ID_USAGE_NONE && listId != 0)) {
            throw badParam(e, usage == 1 ? 1 : 0);
        }
        int tdl = u16(p, ExtendedCopyDescriptor.TARGET_LIST_LENGTH_OFFSET);
        long sdl = u32(p, ExtendedCopyDescriptor.SEGMENT_LIST_LENGTH_OFFSET);
        long inl = u32(p, ExtendedCopyDescriptor.INLINE_LENGTH_OFFSET);
        if (ExtendedCopyDescriptor.HEADER + tdl + sdl + inl > paramLen || tdl + sdl > MAX_COPY_DESCRIPTOR_LIST_LENGTH) {
            throw check(e, SenseCodes.PARAMETER_LIST_LENGTH_ERROR);
        }
        if (inl != 0) {
            throw badParam(e, ExtendedCopyDescriptor.INLINE_LENGTH_OFFSET); // MAXIMUM INLINE DATA LENGTH 0
        }
        int nTargets = tdl / ExtendedCopyDescriptor.TARGET_DESCRIPTOR_LENGTH;
        if (nTargets > MAX_COPY_TARGET_DESCRIPTORS) {
            throw check(e, SenseCodes.TOO_MANY_TARGET_DESCRIPTORS);
        }
        if (tdl % ExtendedCopyDescriptor.TARGET_DESCRIPTOR_LENGTH != 0) {
            throw badParam(e, ExtendedCopyDescriptor.TARGET_LIST_LENGTH_OFFSET);
        }
        LuContext[] targets = new LuContext[nTargets];
        for (int i = 0; i < nTargets; i++) {
            int off = ExtendedCopyDescriptor.HEADER + i * ExtendedCopyDescriptor.TARGET_DESCRIPTOR_LENGTH;
            if (u8(p, off) != ExtendedCopyDescriptor.TARGET_IDENTIFICATION) {
                throw check(e, SenseCodes.UNSUPPORTED_TARGET_DESCRIPTOR_TYPE_CODE);
            }
            // SPC-4 6.4.5.x: for E4h the LU ID TYPE field is ignored and the NUL bit is obsolete
            if ((u8(p, off + 1) & 0x1F) != 0) {
                throw badParam(e, off + 1); // PERIPHERAL DEVICE TYPE: only block devices (00h)
            }
            if (io.evasan.scsi.cdb.CdbDescriptor.u24(p, off + ExtendedCopyDescriptor.BLOCK_LENGTH_OFFSET)
                    != LogicalUnit.BLOCK_SIZE) {
                throw badParam(e, off + ExtendedCopyDescriptor.BLOCK_LENGTH_OFFSET);
            }
            targets[i] = copyTarget(e, p, off);
        }
        int segStart = ExtendedCopyDescriptor.HEADER + tdl;
        int segEnd = (int) (segStart + sdl);
        int nSegments = 0;
        for (int off = segStart; off < segEnd; ) {
            if (off + ExtendedCopyDescriptor.SEGMENT_HEADER > segEnd) {
                throw check(e, SenseCodes.PARAMETER_LIST_LENGTH_ERROR);
            }
            if (++nSegments > MAX_COPY_SEGMENT_DESCRIPTORS) {
                throw check(e, SenseCodes.TOO_MANY_SEGMENT_DESCRIPTORS);
            }
            if (u8(p, off) != ExtendedCopyDescriptor.SEGMENT_BLOCK_TO_BLOCK) {
                throw check(e, SenseCodes.UNSUPPORTED_SEGMENT_DESCRIPTOR_TYPE_CODE);
            }
            int dlen = ExtendedCopyDescriptor.SEGMENT_HEADER + u16(p, off + 2);
            if (dlen != ExtendedCopyDescriptor.SEGMENT_BLOCK_TO_BLOCK_LENGTH) {
                throw badParam(e, off + 2);
            }
            if (off + dlen > segEnd) {
                throw check(e, SenseCodes.PARAMETER_LIST_LENGTH_ERROR);
            }
            off += dlen;
        }
        // every segment's targets, ranges and protection before the first block moves
        for (int i = 0; i < nSegments; i++) {
            int off = segStart + i * ExtendedCopyDescriptor.SEGMENT_BLOCK_TO_BLOCK_LENGTH;
            int si = u16(p, off + 4);
            int di = u16(p, off + 6);
            if (si >= nTargets || di >= nTargets) {
                throw check(e, SenseCodes.UNREACHABLE_COPY_TARGET);
            }
            LuContext src = targets[si];
            LuContext dst = targets[di];
            if (src == null || dst == null || src.lu.readiness() != SenseCodes.NO_SENSE
                    || dst.lu.readiness() != SenseCodes.NO_SENSE) {
                throw check(e, SenseCodes.COPY_TARGET_DEVICE_NOT_REACHABLE);
            }
            long n = u16(p, off + 10);
            long sl = u64(p, off + 12);
            long dl = u64(p, off + 20);
            if (Long.compareUnsigned(sl, src.lu.blockCount()) > 0 || n > src.lu.blockCount() - sl
                    || Long.compareUnsigned(dl, dst.lu.blockCount()) > 0 || n > dst.lu.blockCount() - dl) {
                throw check(e, SenseCodes.COPY_ABORTED);
            }
            if (n > 0 && (dst.lu.writeProtected() || dst.swp)) {
                throw check(e, dst.lu.writeProtected() ? SenseCodes.WRITE_PROTECTED : SenseCodes.SOFTWARE_WRITE_PROTECTED);
            }
        }
        long bytes = 0;
        int done = 0;
        try {
            for (; done < nSegments; done++) {
                int off = segStart + done * ExtendedCopyDescriptor.SEGMENT_BLOCK_TO_BLOCK_LENGTH;
                bytes += copySegment(s, targets[u16(p, off + 4)], targets[u16(p, off + 6)], u64(p, off + 12),
                        u64(p, off + 20), u16(p, off + 10));
            }
        } catch (LuException x) {
            holdCopyStatus(e, usage, listId, ExtendedCopyDescriptor.STATUS_ERROR, done, bytes);
            throw x;
        }
        holdCopyStatus(e, usage, listId, ExtendedCopyDescriptor.STATUS_GOOD, done, bytes);
        goodConsumed(e, have);
    }

    /** Copies n blocks in scratch-sized chunks (source read and destination write under shared locks). */
    private static long copySegment(Scratch s, LuContext src, LuContext dst, long srcLba, long dstLba, long n)
            throws LuException {
        int chunk = SCRATCH / LogicalUnit.BLOCK_SIZE;
        long moved = 0;
        while (moved < n) {
            int k = (int) Math.min(chunk, n - moved);
            long t0 = System.nanoTime();
            s.aBuf.clear();
            src.atomic.readLock().lock();
            try {
                src.lu.read(srcLba + moved, k, s.aBuf);
            } finally {
                src.atomic.readLock().unlock();
            }
            long t1 = System.nanoTime();
            src.stats.recordRead((long) k * LogicalUnit.BLOCK_SIZE, t1 - t0);
            s.aBuf.clear().limit(k * LogicalUnit.BLOCK_SIZE);
            dst.atomic.readLock().lock();
            try {
                dst.lu.write(dstLba + moved, k, s.aBuf, !dst.wce);
            } finally {
                dst.atomic.readLock().unlock();
            }
            dst.stats.recordWrite((long) k * LogicalUnit.BLOCK_SIZE, System.nanoTime() - t1);
            moved += k;
        }
        return moved * LogicalUnit.BLOCK_SIZE;
    }

    private static void holdCopyStatus(TaskEntry e, int usage, int listId, int status, int segments, long bytes) {
        if (usage != ExtendedCopyDescriptor.LIST_ID_USAGE_HOLD) {
            return;
        }
        synchronized (e.lu.heldCopyStatus) {
            e.lu.heldCopyStatus.put(java.util.List.of(e.nexus, listId), new long[]{status, segments, bytes});
        }
    }

    /** The LU (visible to this initiator) an identification target descriptor names, or null. */
    private LuContext copyTarget(TaskEntry e, byte[] p, int off) {
        int association = (p[off + 5] >>> 4) & 3;
        int type = p[off + 5] & 0x0F;
        int len = u8(p, off + 7);
        if (association != 0 || len > ExtendedCopyDescriptor.DESIGNATOR_MAX) {
            return null;
        }
        int from = off + ExtendedCopyDescriptor.DESIGNATOR_OFFSET;
        String initiator = e.nexus.initiatorName();
        for (int lun : target.masking.visibleLuns(initiator)) {
            LogicalUnit lu = target.masking.lookup(initiator, lun);
            if (lu == null) {
                continue;
            }
            byte[] id = type == 3 ? lu.naaIdentifier()
                    : type == 1 ? (String.format("%-8s", lu.vendorId()) + lu.serialNumber()).getBytes(StandardCharsets.US_ASCII)
                    : null;
            if (id != null && id.length == len && java.util.Arrays.equals(id, 0, len, p, from, from + len)) {
                return target.context(lu);
            }
        }
        return null;
    }

    /** RECEIVE COPY RESULTS: COPY STATUS (held LID1 results, then discarded) and OPERATING PARAMETERS. */
    private void receiveCopyResults(TaskEntry e, Scratch s) throws Done {
        byte[] cdb = e.task.cdb();
        int sa = cdb[1] & 0x1F;
        long alloc = u32(cdb, ExtendedCopyDescriptor.ALLOC_LENGTH_OFFSET);
        byte[] o = s.a;
        if (sa == ExtendedCopyDescriptor.SA_OPERATING_PARAMETERS) {
            int len = 46;
            java.util.Arrays.fill(o, 0, len, (byte) 0);
            put32(o, 0, len - 4);
            o[4] = 0x01;                                       // SNLID: LIST ID USAGE 11b supported
            put16(o, 8, MAX_COPY_TARGET_DESCRIPTORS);
            put16(o, 10, MAX_COPY_SEGMENT_DESCRIPTORS);
            put32(o, 12, MAX_COPY_DESCRIPTOR_LIST_LENGTH);
            put32(o, 16, MAX_COPY_SEGMENT_BYTES);
            put32(o, 20, 0);                                   // no inline data
            put32(o, 24, 0);                                   // no held data
            put16(o, 34, 1);                                   // total concurrent copies
            o[36] = 1;                                         // maximum concurrent copies
            o[37] = 9;                                         // data segment granularity 2^9
            o[43] = 2;                                         // implemented descriptor codes
            o[44] = (byte) ExtendedCopyDescriptor.SEGMENT_BLOCK_TO_BLOCK;
            o[45] = (byte) ExtendedCopyDescriptor.TARGET_IDENTIFICATION;
            respond(e, o, len, alloc);
            return;
        }
        if (sa != ExtendedCopyDescriptor.SA_COPY_STATUS) {
            throw badCdb(e, 1, 4);
        }
        long[] st;
        synchronized (e.lu.heldCopyStatus) {
            st = e.lu.heldCopyStatus.remove(java.util.List.of(e.nexus, u8(cdb, ExtendedCopyDescriptor.LIST_ID_OFFSET)));
        }
        if (st == null) {
            throw badCdb(e, ExtendedCopyDescriptor.LIST_ID_OFFSET, -1); // no such copy held for this nexus
        }
        java.util.Arrays.fill(o, 0, 12, (byte) 0);
        put32(o, 0, 8);
        o[4] = (byte) st[0];
        put16(o, 5, (int) st[1]);
        long count = st[2];
        if (count > 0xFFFFFFFFL) {
            o[7] = (byte) 0xF1;                                // kibibytes
            count >>>= 10;
        }
        put32(o, 8, count);
        respond(e, o, 12, alloc);
    }

    private void reserve6(TaskEntry e) throws Done {
        LuContext lc = e.lu;
        synchronized (lc.pr) {
            if (lc.pr.hasReservation() || (lc.spc2Holder != null && lc.spc2Holder != e.nexus)) {
                throw conflict(e);
            }
            lc.spc2Holder = e.nexus;
        }
        goodConsumed(e, 0);
    }

    private void persistentReserveIn(TaskEntry e, Scratch s) throws Done {
        byte[] cdb = e.task.cdb();
        int sa = cdb[1] & 0x1F;
        int alloc = u16(cdb, 7);
        int n = e.lu.pr.in(sa, s.a);
        if (n < 0) {
            throw badCdb(e, 1, 4);
        }
        respond(e, s.a, n, alloc);
    }

    private void persistentReserveOut(TaskEntry e, Scratch s) throws Done {
        byte[] cdb = e.task.cdb();
        int sa = cdb[1] & 0x1F;
        int scope = (cdb[2] & 0xF0) >>> 4;
        int type = cdb[2] & 0x0F;
        long paramLen = u32(cdb, 5);
        int have = paramList(e, paramLen, s.b);
        if (have < paramLen) {
            throw check(e, SenseCodes.PARAMETER_LIST_LENGTH_ERROR);
        }
        LuContext lc = e.lu;
        int r = lc.pr.out(e.nexus, sa, scope, type, s.b, have, new PersistentReservations.Effects() {
            @Override
            public void unitAttention(PersistentReservations.Registration reg, int code) {
                for (Nexus nx : target.nexusesOf(reg)) {
                    if (nx != e.nexus) {
                        nx.addUa(lc, code);
                    }
                }
            }

            @Override
            public void abortTasksOf(PersistentReservations.Registration reg) {
                for (Nexus nx : target.nexusesOf(reg)) {
                    if (nx != e.nexus) {
                        target.abortWhere(lc, t -> t.nexus == nx, false);
                    }
                }
            }
        });
        if (r == PersistentReservations.CONFLICT) {
            throw conflict(e);
        }
        if (r != 0) {
            if (r == SenseCodes.INVALID_FIELD_IN_CDB) {
                throw badCdb(e, sa > 7 ? 1 : 2, -1);
            }
            throw check(e, r);
        }
        goodConsumed(e, have);
    }

    private void vendorCommand(TaskEntry e, VendorCommandHandler vh, Scratch s) throws Done, LuException {
        s.vendor.clear();
        e.vendorScratch = s.vendor;
        int n = vh.execute(e);
        byte[] o = s.a;
        n = Math.max(0, Math.min(n, s.vendor.capacity()));
        s.vendor.get(0, o, 0, n);
        respond(e, o, n, Long.MAX_VALUE);
    }

}
