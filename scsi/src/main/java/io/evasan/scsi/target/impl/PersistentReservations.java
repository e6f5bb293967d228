package io.evasan.scsi.target.impl;

import io.evasan.scsi.cdb.CdbDescriptor;
import io.evasan.scsi.cdb.ParameterListDescriptor;
import io.evasan.scsi.sense.SenseCodes;

import java.util.ArrayList;
import java.util.List;

import static io.evasan.scsi.cdb.ServiceCdbDescriptor.*;

/**
 * SPC-4 persistent reservations of one logical unit (5.12): registrations keyed by I_T nexus
 * (initiator port + relative target port, or all target ports), the reservation, the PR
 * generation, the PR IN data formats and the conflict table (5.12.1). APTPL is not supported
 * (PTPL_C=0): a parameter list with APTPL=1 is rejected with INVALID FIELD IN PARAMETER LIST, so
 * nothing persists across a power loss; SPEC_I_PT is rejected the same way (SIP_C=0).
 *
 * <p>Invariants (all state guarded by this object's monitor): keys are non-zero; at most one
 * registration per I_T nexus; a reservation exists only with a registered holder (for the
 * all-registrants types: while any registration exists); the generation increases on every
 * successful REGISTER, REGISTER AND IGNORE, CLEAR, PREEMPT, PREEMPT AND ABORT, REGISTER AND MOVE.
 */
final class PersistentReservations {
    static final int CONFLICT = -1;

    /** Receives side effects for other I_T nexuses. */
    interface Effects {
        /** Establish a UA for every open nexus of this registration. */
        void unitAttention(Registration r, int code);

        /** PREEMPT AND ABORT: abort the tasks of the preempted nexus' registration. */
        void abortTasksOf(Registration r);
    }

    static final class Registration {
        final String portId;
        final int relTgt;
        final boolean allTgPt;
        long key;

        Registration(String portId, int relTgt, boolean allTgPt, long key) {
            this.portId = portId;
            this.relTgt = relTgt;
            this.allTgPt = allTgPt;
            this.key = key;
        }

        boolean matches(Nexus n) {
            return n.samePort(portId, relTgt, allTgPt);
        }
    }

    private final List<Registration> regs = new ArrayList<>();
    private int generation;
    private Registration holder;
    private int type;
    private boolean reserved;

    static boolean allRegistrants(int type) {
        return type == PR_WRITE_EXCLUSIVE_ALL_REGISTRANTS || type == PR_EXCLUSIVE_ACCESS_ALL_REGISTRANTS;
    }

    static boolean registrantsOnly(int type) {
        return type == PR_WRITE_EXCLUSIVE_REGISTRANTS_ONLY || type == PR_EXCLUSIVE_ACCESS_REGISTRANTS_ONLY;
    }

    static boolean validType(int type) {
        return type == PR_WRITE_EXCLUSIVE || type == PR_EXCLUSIVE_ACCESS || registrantsOnly(type) || allRegistrants(type);
    }

    synchronized Registration find(Nexus n) {
        for (Registration r : regs) {
            if (r.matches(n)) {
                return r;
            }
        }
        return null;
    }

    synchronized boolean hasReservation() {
        return reserved;
    }

    synchronized int generation() {
        return generation;
    }

    private boolean isHolder(Registration r) {
        return reserved && r != null && (allRegistrants(type) || holder == r);
    }

    /** SPC-4 table 56: whether {@code access} from {@code n} conflicts with the reservation. */
    synchronized boolean conflicts(Nexus n, int access) {
        if (!reserved || access == CommandTable.ACCESS_ANY || access == CommandTable.ACCESS_INFO) {
            return false;
        }
        Registration r = find(n);
        if (isHolder(r)) {
            return false;
        }
        boolean read = access == CommandTable.ACCESS_READ;
        switch (type) {
            case PR_WRITE_EXCLUSIVE:
                return !read;
            case PR_EXCLUSIVE_ACCESS:
                return true;
            case PR_WRITE_EXCLUSIVE_REGISTRANTS_ONLY:
            case PR_WRITE_EXCLUSIVE_ALL_REGISTRANTS:
                return r == null && !read;
            default:
                return r == null;
        }
    }

    /** Drops everything (used when the LU is removed); not on resets (SPC-4: PR survive resets). */
    synchronized void clearAll() {
        regs.clear();
        reserved = false;
        holder = null;
    }

    /**
     * Executes PERSISTENT RESERVE OUT. Returns 0 for GOOD, {@link #CONFLICT} for RESERVATION
     * CONFLICT, else a packed sense code (CHECK CONDITION); nothing changes unless GOOD.
     */
    synchronized int out(Nexus n, int sa, int scope, int rtype, byte[] p, int plen, Effects fx) {
        if (sa > PROUT_REGISTER_AND_MOVE) {
            return SenseCodes.INVALID_FIELD_IN_CDB;
        }
        boolean needsType = sa == PROUT_RESERVE || sa == PROUT_RELEASE || sa == PROUT_PREEMPT
                || sa == PROUT_PREEMPT_AND_ABORT || sa == PROUT_REGISTER_AND_MOVE;
        if (needsType && (scope != 0 || !validType(rtype))) {
            return SenseCodes.INVALID_FIELD_IN_CDB;
        }
        if (sa == PROUT_REGISTER_AND_MOVE) {
            if (plen < 24) {
                return SenseCodes.PARAMETER_LIST_LENGTH_ERROR;
            }
        } else if (plen != ParameterListDescriptor.PROUT_BASIC_LENGTH) {
            return SenseCodes.PARAMETER_LIST_LENGTH_ERROR;
        }
        long key = CdbDescriptor.u64(p, 0);
        long saKey = CdbDescriptor.u64(p, 8);
        Registration me = find(n);
        if (sa == PROUT_REGISTER_AND_MOVE) {
            return registerAndMove(n, me, key, saKey, rtype, p, plen, fx);
        }
        int flags = p[ParameterListDescriptor.PROUT_FLAGS_OFFSET] & 0xFF;
        if ((flags & ParameterListDescriptor.PROUT_APTPL) != 0 || (flags & ParameterListDescriptor.PROUT_SPEC_I_PT) != 0) {
            return SenseCodes.INVALID_FIELD_IN_PARAMETER_LIST;
        }
        switch (sa) {
            case PROUT_REGISTER:
            case PROUT_REGISTER_AND_IGNORE: {
                if (me == null) {
                    if (sa == PROUT_REGISTER && key != 0) {
                        return CONFLICT;
                    }
                    if (saKey == 0) {
                        return 0;
                    }
                    boolean all = (flags & ParameterListDescriptor.PROUT_ALL_TG_PT) != 0;
                    regs.add(new Registration(n.initiatorPortId(), n.relativeTargetPortId(), all, saKey));
                    generation++;
                    return 0;
                }
                if (sa == PROUT_REGISTER && key != me.key) {
                    return CONFLICT;
                }
                if (saKey == 0) {
                    unregister(me, fx);
                } else {
                    me.key = saKey;
                }
                generation++;
                return 0;
            }
            default:
                break;
        }
        if (me == null || key != me.key) {
            return CONFLICT;
        }
        switch (sa) {
            case PROUT_RESERVE:
                if (!reserved) {
                    reserved = true;
                    holder = me;
                    type = rtype;
                    return 0;
                }
                return isHolder(me) && type == rtype ? 0 : CONFLICT;
            case PROUT_RELEASE: {
                if (!reserved || !isHolder(me)) {
                    return 0;
                }
                if (type != rtype) {
                    return SenseCodes.INVALID_RELEASE_OF_PERSISTENT_RESERVATION;
                }
                int old = type;
                reserved = false;
                holder = null;
                if (old != PR_WRITE_EXCLUSIVE && old != PR_EXCLUSIVE_ACCESS) {
                    for (Registration r : regs) {
                        if (r != me) {
                            fx.unitAttention(r, SenseCodes.RESERVATIONS_RELEASED);
                        }
                    }
                }
                return 0;
            }
            case PROUT_CLEAR: {
                for (Registration r : regs) {
                    if (r != me) {
                        fx.unitAttention(r, SenseCodes.RESERVATIONS_PREEMPTED);
                    }
                }
                regs.clear();
                reserved = false;
                holder = null;
                generation++;
                return 0;
            }
            default:
                return preempt(me, saKey, rtype, sa == PROUT_PREEMPT_AND_ABORT, fx);
        }
    }

    private void unregister(Registration me, Effects fx) {
        regs.remove(me);
        if (!reserved) {
            return;
        }
        if (allRegistrants(type)) {
            if (regs.isEmpty()) {
                reserved = false;
                holder = null;
            }
        } else if (holder == me) {
            int old = type;
            reserved = false;
            holder = null;
            if (registrantsOnly(old)) {
                for (Registration r : regs) {
                    fx.unitAttention(r, SenseCodes.RESERVATIONS_RELEASED);
                }
            }
        }
    }

    private int preempt(Registration me, long saKey, int rtype, boolean abort, Effects fx) {
        List<Registration> victims = new ArrayList<>();
        if (!reserved) {
            for (Registration r : regs) {
                if (r.key == saKey && r != me) {
                    victims.add(r);
                }
            }
            if (victims.isEmpty() && me.key != saKey) {
                return CONFLICT;
            }
            remove(victims, abort, fx);
            generation++;
            return 0;
        }
        if (allRegistrants(type)) {
            for (Registration r : regs) {
                if (r != me && (saKey == 0 || r.key == saKey)) {
                    victims.add(r);
                }
            }
            if (saKey != 0 && victims.isEmpty() && me.key != saKey) {
                return CONFLICT;
            }
            remove(victims, abort, fx);
            if (saKey == 0) {
                holder = me;
                type = rtype;
            }
            generation++;
            return 0;
        }
        if (saKey == 0) {
            return SenseCodes.INVALID_FIELD_IN_PARAMETER_LIST;
        }
        boolean preemptHolder = holder.key == saKey;
        for (Registration r : regs) {
            if (r != me && r.key == saKey) {
                victims.add(r);
            }
        }
        if (victims.isEmpty() && !preemptHolder) {
            return CONFLICT;
        }
        remove(victims, abort, fx);
        if (preemptHolder) {
            boolean changed = type != rtype;
            holder = me;
            type = rtype;
            if (changed) {
                for (Registration r : regs) {
                    if (r != me) {
                        fx.unitAttention(r, SenseCodes.RESERVATIONS_RELEASED);
                    }
                }
            }
        }
        generation++;
        return 0;
    }

    private void remove(List<Registration> victims, boolean abort, Effects fx) {
        for (Registration r : victims) {
            regs.remove(r);
            fx.unitAttention(r, SenseCodes.REGISTRATIONS_PREEMPTED);
            if (abort) {
                fx.abortTasksOf(r);
            }
        }
    }

    private int registerAndMove(Nexus n, Registration me, long key, long saKey, int rtype, byte[] p, int plen, Effects fx) {
        if (me == null || key != me.key) {
            return CONFLICT;
        }
        if (!reserved || !isHolder(me) || allRegistrants(type)) {
            return CONFLICT;
        }
        if ((p[17] & 0x01) != 0) {
            return SenseCodes.INVALID_FIELD_IN_PARAMETER_LIST; // APTPL
        }
        if (saKey == 0) {
            return SenseCodes.INVALID_FIELD_IN_PARAMETER_LIST;
        }
        boolean unreg = (p[17] & 0x02) != 0;
        int relTgt = CdbDescriptor.u16(p, 18);
        long tidLen = CdbDescriptor.u32(p, 20);
        if (24 + tidLen > plen) {
            return SenseCodes.PARAMETER_LIST_LENGTH_ERROR;
        }
        int[] len = new int[1];
        String dest = ParameterListDescriptor.decodeTransportId(p, 24, 24 + (int) tidLen, len);
        if (dest == null || relTgt == 0) {
            return SenseCodes.INVALID_FIELD_IN_PARAMETER_LIST;
        }
        if (dest.equals(n.initiatorPortId()) && relTgt == n.relativeTargetPortId()) {
            return SenseCodes.INVALID_FIELD_IN_PARAMETER_LIST;
        }
        Registration target = null;
        for (Registration r : regs) {
            if (r.portId.equals(dest) && (r.allTgPt || r.relTgt == relTgt)) {
                target = r;
            }
        }
        if (target == null) {
            target = new Registration(dest, relTgt, false, saKey);
            regs.add(target);
        } else {
            target.key = saKey;
        }
        holder = target;
        type = rtype;
        if (unreg) {
            regs.remove(me);
        }
        generation++;
        return 0;
    }

    // ---------------------------------------------------------------- PERSISTENT RESERVE IN

    /** Writes PR IN data for {@code sa} into out; returns its full length, or -1 for a bad SA. */
    synchronized int in(int sa, byte[] out) {
        switch (sa) {
            case PRIN_READ_KEYS: {
                CdbDescriptor.put32(out, 0, generation);
                int p = 8;
                for (Registration r : regs) {
                    CdbDescriptor.put64(out, p, r.key);
                    p += 8;
                }
                CdbDescriptor.put32(out, 4, p - 8);
                return p;
            }
            case PRIN_READ_RESERVATION: {
                java.util.Arrays.fill(out, 0, 24, (byte) 0);
                CdbDescriptor.put32(out, 0, generation);
                if (!reserved) {
                    return 8;
                }
                CdbDescriptor.put32(out, 4, 16);
                CdbDescriptor.put64(out, 8, allRegistrants(type) ? 0 : holder.key);
                out[21] = (byte) type; // scope 0 (LU_SCOPE) in bits 7:4
                return 24;
            }
            case PRIN_REPORT_CAPABILITIES: {
                java.util.Arrays.fill(out, 0, 8, (byte) 0);
                CdbDescriptor.put16(out, 0, 8);
                out[2] = (byte) (0x10 | 0x04); // CRH, ATP_C; SIP_C=0, PTPL_C=0
                out[3] = (byte) 0x80;          // TMV; ALLOW COMMANDS 000b; PTPL_A=0
                out[4] = (byte) (0x80 | 0x40 | 0x20 | 0x08 | 0x02);
                out[5] = (byte) 0x01;
                return 8;
            }
            case PRIN_READ_FULL_STATUS: {
                CdbDescriptor.put32(out, 0, generation);
                int p = 8;
                for (Registration r : regs) {
                    int tidLen = ParameterListDescriptor.transportIdLength(r.portId);
                    if (p + 24 + tidLen > out.length) {
                        break;
                    }
                    java.util.Arrays.fill(out, p, p + 24, (byte) 0);
                    CdbDescriptor.put64(out, p, r.key);
                    boolean h = isHolder(r);
                    out[p + 12] = (byte) ((r.allTgPt ? 0x02 : 0) | (h ? 0x01 : 0));
                    out[p + 13] = (byte) (h ? type : 0);
                    CdbDescriptor.put16(out, p + 18, r.allTgPt ? 0 : r.relTgt);
                    CdbDescriptor.put32(out, p + 20, tidLen);
                    ParameterListDescriptor.encodeTransportId(out, p + 24, r.portId);
                    p += 24 + tidLen;
                }
                CdbDescriptor.put32(out, 4, p - 8);
                return p;
            }
            default:
                return -1;
        }
    }
}
