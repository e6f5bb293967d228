package io.evasan.scsi.target.impl;

import io.evasan.scsi.ScsiTask;
import io.evasan.scsi.cdb.ExtendedCopyDescriptor;
import io.evasan.scsi.cdb.OpCodes;
import io.evasan.scsi.lu.LogicalUnit;
import io.evasan.scsi.lu.LuException;
import io.evasan.scsi.sense.SenseCodes;
import io.evasan.scsi.sense.SenseDataDescriptor;
import io.evasan.scsi.target.VendorCommandHandler;

import java.nio.charset.StandardCharsets;

import static io.evasan.scsi.cdb.CdbDescriptor.put16;
import static io.evasan.scsi.cdb.CdbDescriptor.put32;
import static io.evasan.scsi.cdb.CdbDescriptor.put64;
import static io.evasan.scsi.cdb.CdbDescriptor.u16;
import static io.evasan.scsi.cdb.CdbDescriptor.u32;
import static io.evasan.scsi.cdb.CdbDescriptor.u64;
import static io.evasan.scsi.cdb.CdbDescriptor.u8;
import static io.evasan.scsi.target.impl.Scratch.SCRATCH;
import static io.evasan.scsi.target.impl.TaskReplies.badCdb;
import static io.evasan.scsi.target.impl.TaskReplies.badParam;
import static io.evasan.scsi.target.impl.TaskReplies.check;
import static io.evasan.scsi.target.impl.TaskReplies.checkInfo;
import static io.evasan.scsi.target.impl.TaskReplies.conflict;
import static io.evasan.scsi.target.impl.TaskReplies.fromLu;
import static io.evasan.scsi.target.impl.TaskReplies.goodConsumed;
import static io.evasan.scsi.target.impl.TaskReplies.noData;
import static io.evasan.scsi.target.impl.TaskReplies.paramList;
import static io.evasan.scsi.target.impl.TaskReplies.ready;
import static io.evasan.scsi.target.impl.TaskReplies.respond;


/**
 * Executes one CDB against an LU context (SPC-4 / SBC-3 semantics), filling status, sense,
 * Data-In and residual of the task. Runs on target worker threads; per-thread scratch buffers
 * are preallocated (no allocation per read/write).
 *
 * <p>Invariant: every error path is decided before the first change to the LU (except backend
 * failures, which the backend reports for the part it could not do).
 */
final class CommandExecutor {
    /** Copy manager limits (RECEIVE COPY RESULTS OPERATING PARAMETERS, SPC-4 6.18.4). */
    static final int MAX_COPY_TARGET_DESCRIPTORS = 8;
    static final int MAX_COPY_SEGMENT_DESCRIPTORS = 64;
    static final int MAX_COPY_DESCRIPTOR_LIST_LENGTH = 2048;
    static final long MAX_COPY_SEGMENT_BYTES = 65535L * LogicalUnit.BLOCK_SIZE;

    private final DiskTarget target;
    private final BlockCommands block = new BlockCommands();
    private final VpdPages vpd = new VpdPages();
    private final ModePages modes;

    private static final ThreadLocal<Scratch> SCRATCHES = ThreadLocal.withInitial(Scratch::new);

    CommandExecutor(DiskTarget target) {
        this.target = target;
        this.modes = new ModePages(target);
    }

    void fail(TaskEntry e, int code) {
        DiskTarget.setCheck(e.task, e.lu, code, false, 0, SenseDataDescriptor.NO_FIELD, false, -1);
        noData(e);
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
        if (implemented) {
            int ctl = cdb[cdbLen - 1] & CommandTable.CONTROL_MUST_BE_ZERO;
            if (ctl != 0) {   // LINK=1 (no linked commands), obsolete FLAG, reserved bits: SPC-4 05/24/00
                throw badCdb(e, cdbLen - 1, 31 - Integer.numberOfLeadingZeros(ctl));
            }
            int rb = CommandTable.reservedBitSet(cdb);
            if (rb >= 0) {
                throw badCdb(e, rb >>> 3, rb & 7);
            }
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
                vpd.inquiry(e, s, false);
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
                modes.modeSense(e, s, op == OpCodes.MODE_SENSE_10);
                return;
            case OpCodes.MODE_SELECT_6:
            case OpCodes.MODE_SELECT_10:
                modes.modeSelect(e, s, op == OpCodes.MODE_SELECT_10);
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
                block.read(e, s);
                return;
            case OpCodes.WRITE_6: case OpCodes.WRITE_10: case OpCodes.WRITE_12: case OpCodes.WRITE_16:
                block.write(e, s, false);
                return;
            case OpCodes.WRITE_AND_VERIFY_10: case OpCodes.WRITE_AND_VERIFY_12: case OpCodes.WRITE_AND_VERIFY_16:
                block.write(e, s, true);
                return;
            case OpCodes.VERIFY_10: case OpCodes.VERIFY_12: case OpCodes.VERIFY_16:
                block.verify(e, s);
                return;
            case OpCodes.PRE_FETCH_10: case OpCodes.PRE_FETCH_16:
                block.preFetch(e);
                return;
            case OpCodes.SYNCHRONIZE_CACHE_10: case OpCodes.SYNCHRONIZE_CACHE_16:
                block.synchronizeCache(e);
                return;
            case OpCodes.WRITE_SAME_10: case OpCodes.WRITE_SAME_16:
                block.writeSame(e, s);
                return;
            case OpCodes.UNMAP:
                block.unmap(e, s);
                return;
            case OpCodes.COMPARE_AND_WRITE:
                block.compareAndWrite(e, s);
                return;
            case OpCodes.ORWRITE_16:
                block.orWrite(e, s);
                return;
            case OpCodes.WRITE_ATOMIC_16:
                block.writeAtomic(e);
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

    // ------------------------------------------------------------------ information commands

    private void unpresented(TaskEntry e, Scratch s) {
        byte[] cdb = e.task.cdb();
        int op = cdb[0] & 0xFF;
        try {
            switch (op) {
                case OpCodes.INQUIRY:
                    vpd.inquiry(e, s, true);
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
     * COPY ABORTED / COPY TARGET DEVICE NOT REACHABLE (0A/0D/02) with the sense-key-specific segment
     * pointer (SD=0) at byte {@code field} of the EXTENDED COPY parameter list.
     */
    private static Done unreachableTarget(TaskEntry e, int field) {
        DiskTarget.setCheck(e.task, e.lu, SenseCodes.COPY_TARGET_DEVICE_NOT_REACHABLE, false, 0, field, false, -1);
        noData(e);
        return Done.INSTANCE;
    }

    /**
     * EXTENDED COPY(LID1) (SPC-4 6.4) as a synchronous copy manager for block-to-block segments
     * (02h) between LUs this initiator sees, named by identification target descriptors (E4h, NAA or
     * T10 designator, LU association). The whole list is validated before the first block moves:
     * header and lengths (05/1A/00), limits (05/26/06, 05/26/08), descriptor types (05/26/07,
     * 05/26/09), fields (05/26/00), every target descriptor naming an LU this initiator sees (LUN
     * masking, as REPORT LUNS; else COPY ABORTED 0D/02 with the segment pointer at the descriptor's
     * DESIGNATOR, whether the LU is masked or absent, used by a segment or not), then every segment's
     * targets (COPY ABORTED 08/04 bad index, 0D/02 not ready), ranges (COPY ABORTED 00/00) and
     * write protection (07/27/xx).
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
            if (targets[i] == null) {
                // names no LU this initiator sees (absent or masked: the same answer, nothing moved)
                throw unreachableTarget(e, off + ExtendedCopyDescriptor.DESIGNATOR_OFFSET);
            }
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

    /**
     * The LU an identification target descriptor names, among those presented to this initiator
     * only (the masking's REPORT LUNS set), or null: a masked LU is never found.
     */
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
