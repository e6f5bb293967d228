package io.evasan.scsi.target.impl;

import io.evasan.scsi.ScsiStatus;
import io.evasan.scsi.ScsiTask;
import io.evasan.scsi.cdb.BlockCdbDescriptor;
import io.evasan.scsi.lu.LuException;
import io.evasan.scsi.sense.SenseCodes;
import io.evasan.scsi.sense.SenseDataDescriptor;

import java.nio.ByteBuffer;

/**
 * Status helpers and the checks every command family shares: each sets the task's status, sense data
 * (through {@link DiskTarget#setCheck}), Data-In and residual.
 *
 * <p>Invariant: a helper that returns or throws {@link Done} has completely set the task's answer
 * (status, sense, empty Data-In, residual) and changed nothing else; the checks only read the LU
 * and the task. Nothing here changes an LU.
 */
final class TaskReplies {
    private TaskReplies() {
    }

    static Done check(TaskEntry e, int code) {
        DiskTarget.setCheck(e.task, e.lu, code, false, 0, SenseDataDescriptor.NO_FIELD, false, -1);
        noData(e);
        return Done.INSTANCE;
    }

    static Done checkInfo(TaskEntry e, int code, long info) {
        DiskTarget.setCheck(e.task, e.lu, code, true, info, SenseDataDescriptor.NO_FIELD, false, -1);
        noData(e);
        return Done.INSTANCE;
    }

    /** INVALID FIELD IN CDB with a field pointer (and bit pointer, or -1). */
    static Done badCdb(TaskEntry e, int field, int bit) {
        DiskTarget.setCheck(e.task, e.lu, SenseCodes.INVALID_FIELD_IN_CDB, false, 0, field, true, bit);
        noData(e);
        return Done.INSTANCE;
    }

    static Done badParam(TaskEntry e, int field) {
        DiskTarget.setCheck(e.task, e.lu, SenseCodes.INVALID_FIELD_IN_PARAMETER_LIST, false, 0, field, false, -1);
        noData(e);
        return Done.INSTANCE;
    }

    static Done conflict(TaskEntry e) {
        e.task.status(ScsiStatus.RESERVATION_CONFLICT);
        e.task.senseLength(0);
        noData(e);
        return Done.INSTANCE;
    }

    static Done fromLu(TaskEntry e, LuException x) {
        if (x.status() != ScsiStatus.CHECK_CONDITION) {
            e.task.status(x.status());
            e.task.senseLength(0);
            noData(e);
            return Done.INSTANCE;
        }
        DiskTarget.setCheck(e.task, e.lu, x.senseCode(), x.information() >= 0, x.information(),
                x.fieldPointer() >= 0 ? x.fieldPointer() : SenseDataDescriptor.NO_FIELD, x.fieldInCdb(), -1);
        noData(e);
        return Done.INSTANCE;
    }

    static void noData(TaskEntry e) {
        ByteBuffer in = e.task.dataIn();
        if (in != null) {
            in.clear().limit(0);
        }
        long edtl = e.task.expectedDataTransferLength();
        e.task.residual(edtl, false);
    }

    static void good(TaskEntry e) {
        e.task.status(ScsiStatus.GOOD);
        e.task.senseLength(0);
    }

    /** GOOD with no data; residual for a data-out command that consumed {@code used} bytes. */
    static void goodConsumed(TaskEntry e, long used) {
        good(e);
        ByteBuffer in = e.task.dataIn();
        if (in != null) {
            in.clear().limit(0);
        }
        long edtl = e.task.expectedDataTransferLength();
        e.task.residual(Math.max(0, edtl - used), false);
    }

    /** GOOD with Data-In: min(produced, allocLen) bytes of src, cut to the expected length. */
    static void respond(TaskEntry e, byte[] src, int produced, long allocLen) {
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

    // ------------------------------------------------------------------ checks

    static void ready(TaskEntry e) throws Done {
        int r = e.lu.lu.readiness();
        if (r != SenseCodes.NO_SENSE) {
            throw check(e, r);
        }
    }

    static void writable(TaskEntry e) throws Done {
        if (e.lu.lu.writeProtected()) {
            throw check(e, SenseCodes.WRITE_PROTECTED);
        }
        if (e.lu.swp) {
            throw check(e, SenseCodes.SOFTWARE_WRITE_PROTECTED);
        }
    }

    /** LBA OUT OF RANGE unless [lba, lba+n) lies inside the LU (unsigned arithmetic). */
    static void range(TaskEntry e, long lba, long n) throws Done {
        long cap = e.lu.lu.blockCount();
        if (Long.compareUnsigned(lba, cap) > 0 || Long.compareUnsigned(n, cap - lba) > 0) {
            throw checkInfo(e, SenseCodes.LBA_OUT_OF_RANGE, lba);
        }
    }

    static void noProtect(TaskEntry e) throws Done {
        if (BlockCdbDescriptor.protect(e.task.cdb()) != 0) {
            throw badCdb(e, 1, 7);
        }
    }

    /**
     * Checks the Data-Out against the SCSI transfer length: GOOD path returns the source buffer
     * positioned at the data; EDTL (or the data supplied) shorter than needed is INVALID FIELD IN
     * COMMAND INFORMATION UNIT with an overflow residual (FCP-4 option b: nothing written).
     */
    static ByteBuffer dataOut(TaskEntry e, long needed) throws Done {
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
    static ByteBuffer exactDataOut(TaskEntry e, long needed, int lengthField) throws Done {
        ByteBuffer src = dataOut(e, needed);
        if (e.task.expectedDataTransferLength() > needed) {
            throw badCdb(e, lengthField, -1);
        }
        return src;
    }

    /** Copies up to {@code max} bytes of a parameter list into dst; returns the count. */
    static int paramList(TaskEntry e, long paramLen, byte[] dst) {
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
}
