package io.evasan.scsi.target.impl;

import io.evasan.scsi.cdb.ExtendedCopyDescriptor;
import io.evasan.scsi.lu.LogicalUnit;
import io.evasan.scsi.lu.LuException;
import io.evasan.scsi.sense.SenseCodes;

import java.nio.charset.StandardCharsets;

import static io.evasan.scsi.cdb.CdbDescriptor.put16;
import static io.evasan.scsi.cdb.CdbDescriptor.put32;
import static io.evasan.scsi.cdb.CdbDescriptor.u16;
import static io.evasan.scsi.cdb.CdbDescriptor.u32;
import static io.evasan.scsi.cdb.CdbDescriptor.u64;
import static io.evasan.scsi.cdb.CdbDescriptor.u8;
import static io.evasan.scsi.target.impl.Scratch.SCRATCH;
import static io.evasan.scsi.target.impl.TaskReplies.badCdb;
import static io.evasan.scsi.target.impl.TaskReplies.badParam;
import static io.evasan.scsi.target.impl.TaskReplies.check;
import static io.evasan.scsi.target.impl.TaskReplies.goodConsumed;
import static io.evasan.scsi.target.impl.TaskReplies.noData;
import static io.evasan.scsi.target.impl.TaskReplies.paramList;
import static io.evasan.scsi.target.impl.TaskReplies.ready;
import static io.evasan.scsi.target.impl.TaskReplies.respond;

/**
 * The copy manager (SPC-4 third-party copy, LID1): EXTENDED COPY for block-to-block segments between
 * LUs the requesting initiator sees, and RECEIVE COPY RESULTS (COPY STATUS, OPERATING PARAMETERS).
 *
 * <p>Invariants: the whole parameter list (header, limits, every target and segment descriptor, LUN
 * masking, readiness, ranges, write protection) is validated before the first block moves, so an
 * error answer before the copy changes nothing; a target descriptor resolves only to an LU presented
 * to the requesting initiator (a masked LU and an absent one answer alike); a held result (LIST ID
 * USAGE 00b) is kept per (I_T nexus, list id) on the addressed LU and removed when reported; the
 * limits OPERATING PARAMETERS reports are the ones enforced here.
 */
final class CopyManager {
    /** Copy manager limits (RECEIVE COPY RESULTS OPERATING PARAMETERS, SPC-4 6.18.4). */
    static final int MAX_COPY_TARGET_DESCRIPTORS = 8;
    static final int MAX_COPY_SEGMENT_DESCRIPTORS = 64;
    static final int MAX_COPY_DESCRIPTOR_LIST_LENGTH = 2048;
    static final long MAX_COPY_SEGMENT_BYTES = 65535L * LogicalUnit.BLOCK_SIZE;

    private final DiskTarget target;

    CopyManager(DiskTarget target) {
        this.target = target;
    }

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
    void extendedCopy(TaskEntry e, Scratch s) throws Done, LuException {
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
                bytes += copySegment(s, e.nexus.initiatorHandle(), targets[u16(p, off + 4)], targets[u16(p, off + 6)], u64(p, off + 12),
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
    private static long copySegment(Scratch s, int initiator, LuContext src, LuContext dst, long srcLba, long dstLba, long n)
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
                dst.lu.write(initiator, dstLba + moved, k, s.aBuf, !dst.wce);
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
    void receiveCopyResults(TaskEntry e, Scratch s) throws Done {
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
}
