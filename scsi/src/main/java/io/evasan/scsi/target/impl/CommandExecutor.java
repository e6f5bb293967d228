package io.evasan.scsi.target.impl;

import io.evasan.scsi.ScsiTask;
import io.evasan.scsi.alua.AccessState;
import io.evasan.scsi.cdb.OpCodes;
import io.evasan.scsi.cdb.ReportTargetPortGroupsDescriptor;
import io.evasan.scsi.cdb.SetTargetPortGroupsDescriptor;
import io.evasan.scsi.lu.LogicalUnit;
import io.evasan.scsi.lu.LuException;
import io.evasan.scsi.sense.SenseCodes;
import io.evasan.scsi.sense.SenseDataDescriptor;
import io.evasan.scsi.target.VendorCommandHandler;

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
 * ({@link Scratch}) are preallocated (no allocation per read/write).
 *
 * <p>The dispatcher: unit attentions, CDB length / CONTROL / reserved-bit checks, reservations, then
 * the command by its family: {@link BlockCommands} (READ, WRITE, VERIFY, WRITE SAME, UNMAP, COMPARE
 * AND WRITE, ...), {@link VpdPages} (INQUIRY and its pages), {@link ModePages} (MODE SENSE / SELECT),
 * {@link CopyManager} (EXTENDED COPY, RECEIVE COPY RESULTS), vendor handlers; the small commands
 * (REPORT LUNS, READ CAPACITY, REPORT SUPPORTED OPERATION CODES, reservations, ...) are here.
 * Answers go through {@link TaskReplies}.
 *
 * <p>Invariant: every error path is decided before the first change to the LU (except backend
 * failures, which the backend reports for the part it could not do).
 */
final class CommandExecutor {
    private final DiskTarget target;
    private final BlockCommands block = new BlockCommands();
    private final VpdPages vpd = new VpdPages();
    private final ModePages modes;
    private final CopyManager copies;

    private static final ThreadLocal<Scratch> SCRATCHES = ThreadLocal.withInitial(Scratch::new);

    CommandExecutor(DiskTarget target) {
        this.target = target;
        this.modes = new ModePages(target);
        this.copies = new CopyManager(target);
    }

    void fail(TaskEntry e, int code) {
        DiskTarget.setCheck(e.task, e.lu, code, false, 0, SenseDataDescriptor.NO_FIELD, false, -1);
        noData(e);
    }

    /** Waits for a completed future; its LuException is rethrown, anything else is a RuntimeException. */
    static void joinLu(java.util.concurrent.CompletableFuture<Void> f) throws LuException {
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
        if (implemented) {
            int ctl = cdb[cdbLen - 1] & CommandTable.CONTROL_MUST_BE_ZERO;
            if (ctl != 0) {   // LINK=1 (no linked commands), obsolete FLAG, reserved bits: SPC-4 05/24/00
                throw badCdb(e, cdbLen - 1, 31 - Integer.numberOfLeadingZeros(ctl));
            }
            int rb = CommandTable.reservedBitSet(cdb, lc.alua != null);
            if (rb >= 0) {
                throw badCdb(e, rb >>> 3, rb & 7);
            }
        }
        AccessState state = accessState(e);
        if (state != null && !state.allows(cdb)) {
            throw check(e, state.senseCode()); // ALUA: not through this target port group now
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
                vpd.inquiry(e, s, false, target.explicitAlua());
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
                if ((cdb[1] & 0x1F) == ReportTargetPortGroupsDescriptor.SERVICE_ACTION && lc.alua != null) {
                    reportTargetPortGroups(e, s, lc.alua);
                    return;
                }
                if ((cdb[1] & 0x1F) != OpCodes.SA_REPORT_SUPPORTED_OPCODES) {
                    throw badCdb(e, 1, 4);
                }
                reportSupportedOpcodes(e, s);
                return;
            case OpCodes.MAINTENANCE_OUT:
                if ((cdb[1] & 0x1F) == SetTargetPortGroupsDescriptor.SERVICE_ACTION && lc.alua != null
                        && target.explicitAlua()) {
                    setTargetPortGroups(e, s);
                    return;
                }
                if (lc.alua == null || !target.explicitAlua()) {
                    throw check(e, SenseCodes.INVALID_COMMAND_OPERATION_CODE);
                }
                throw badCdb(e, 1, 4);
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
                copies.extendedCopy(e, s);
                return;
            case OpCodes.RECEIVE_COPY_RESULTS:
                copies.receiveCopyResults(e, s);
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
                    vpd.inquiry(e, s, true, false);
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
        AccessState state = accessState(e);
        if (code == 0 && state != null) {
            code = state.senseCode(); // NO SENSE when active
        }
        if (code == 0) {
            code = e.lu.lu.readiness();
        }
        int n = SenseDataDescriptor.build(s.a, desc, code, false, 0, SenseDataDescriptor.NO_FIELD, false, -1);
        respond(e, s.a, n, u8(cdb, 4));
    }

    /** The ALUA state of the task's LU through its nexus' target port group, or null (no ALUA, no group). */
    private static AccessState accessState(TaskEntry e) {
        AluaSnapshot alua = e.lu.alua;
        return alua == null ? null : alua.state(e.nexus.targetPortGroup());
    }

    /**
     * REPORT TARGET PORT GROUPS (SPC-4 6.37, layout in {@link ReportTargetPortGroupsDescriptor}): one
     * descriptor per group of the LU's {@link AluaSnapshot}, every group listing all supported states;
     * RETURN DATA LENGTH is the full list's even when the allocation length cuts it.
     */
    private void reportTargetPortGroups(TaskEntry e, Scratch s, AluaSnapshot alua) throws Done {
        byte[] cdb = e.task.cdb();
        int format = ReportTargetPortGroupsDescriptor.format(cdb);
        if (format > ReportTargetPortGroupsDescriptor.FORMAT_EXTENDED) {
            throw badCdb(e, 1, 7);
        }
        long total = ReportTargetPortGroupsDescriptor.headerLength(format);
        for (AluaSnapshot.Group g : alua.groups) {
            total += ReportTargetPortGroupsDescriptor.groupDescriptorLength(g.ports().length);
        }
        byte[] o = s.a;
        int seconds = Math.max(0, Math.min(0xFF, target.portGroups.implicitTransitionSeconds()));
        int p = ReportTargetPortGroupsDescriptor.encodeHeader(o, format, seconds, total);
        int supported = AccessState.allSupportedBits();
        for (AluaSnapshot.Group g : alua.groups) {
            if (p + ReportTargetPortGroupsDescriptor.groupDescriptorLength(g.ports().length) > SCRATCH) {
                break; // longer than any allocation length can fetch whole; the header keeps the full length
            }
            p = ReportTargetPortGroupsDescriptor.encodeGroup(o, p, g.preferred(), g.state().code(), supported,
                    g.id(), g.status(), g.ports());
        }
        respond(e, o, p, ReportTargetPortGroupsDescriptor.allocationLength(cdb));
    }

    /** Whether this target implements {@code c} (ALUA-only commands need port groups, explicit ones explicit ALUA). */
    private boolean offered(CommandTable.Command c) {
        return !(c.aluaOnly && target.portGroups == null) && !(c.explicitOnly && !target.explicitAlua());
    }

    /**
     * SET TARGET PORT GROUPS (SPC-4 6.45, layout in {@link SetTargetPortGroupsDescriptor}): the provider makes the
     * requested states (the cell moves the LU to the controller whose group is asked to be active/optimized); the
     * changed groups then report STATUS CODE 01h and every other I_T nexus gets ASYMMETRIC ACCESS STATE CHANGED.
     * A group named twice, an unknown group or a state the provider does not support changes nothing: INVALID
     * FIELD IN PARAMETER LIST with the descriptor's offset.
     */
    private void setTargetPortGroups(TaskEntry e, Scratch s) throws Done {
        byte[] cdb = e.task.cdb();
        long paramLen = SetTargetPortGroupsDescriptor.parameterListLength(cdb);
        int have = paramList(e, paramLen, s.b);
        if (have < paramLen) {
            throw check(e, SenseCodes.PARAMETER_LIST_LENGTH_ERROR);
        }
        java.util.List<SetTargetPortGroupsDescriptor.Request> requests;
        try {
            requests = SetTargetPortGroupsDescriptor.decode(s.b, have);
        } catch (SetTargetPortGroupsDescriptor.BadField bad) {
            if (bad.byteOffset < 0) {
                throw check(e, SenseCodes.PARAMETER_LIST_LENGTH_ERROR);
            }
            throw badParam(e, bad.byteOffset);
        }
        java.util.Map<Integer, AccessState> wanted = new java.util.LinkedHashMap<>();
        for (int i = 0; i < requests.size(); i++) {
            SetTargetPortGroupsDescriptor.Request r = requests.get(i);
            int off = SetTargetPortGroupsDescriptor.HEADER + SetTargetPortGroupsDescriptor.DESCRIPTOR * i;
            if (e.lu.alua.group(r.groupId()) == null || wanted.containsKey(r.groupId())) {
                throw badParam(e, off + 2);   // no such group, or named twice
            }
            wanted.put(r.groupId(), r.state());
        }
        if (!wanted.isEmpty()) {
            AluaSnapshot asked = e.lu.alua;
            int r = target.portGroups.setStates(e.lu.lu, wanted);
            if (r == SenseCodes.INVALID_FIELD_IN_PARAMETER_LIST) {
                throw badParam(e, SetTargetPortGroupsDescriptor.HEADER);
            }
            if (r != 0) {
                throw check(e, r);
            }
            target.accessStatesSet(e.lu, e.nexus, asked);
        }
        goodConsumed(e, have);
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
                if (!offered(c)) {
                    continue;
                }
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
        if (c != null && !offered(c)) {
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
