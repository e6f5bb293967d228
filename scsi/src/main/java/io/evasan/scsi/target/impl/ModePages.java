package io.evasan.scsi.target.impl;

import io.evasan.scsi.lu.LogicalUnit;
import io.evasan.scsi.sense.SenseCodes;

import static io.evasan.scsi.cdb.CdbDescriptor.put16;
import static io.evasan.scsi.cdb.CdbDescriptor.put32;
import static io.evasan.scsi.cdb.CdbDescriptor.put64;
import static io.evasan.scsi.cdb.CdbDescriptor.u16;
import static io.evasan.scsi.cdb.CdbDescriptor.u32;
import static io.evasan.scsi.cdb.CdbDescriptor.u8;
import static io.evasan.scsi.target.impl.TaskReplies.badCdb;
import static io.evasan.scsi.target.impl.TaskReplies.badParam;
import static io.evasan.scsi.target.impl.TaskReplies.check;
import static io.evasan.scsi.target.impl.TaskReplies.goodConsumed;
import static io.evasan.scsi.target.impl.TaskReplies.paramList;
import static io.evasan.scsi.target.impl.TaskReplies.respond;

/**
 * MODE SENSE(6)/(10) and MODE SELECT(6)/(10) over the caching (08h), control (0Ah) and informational
 * exceptions control (1Ch) pages, for current, changeable and default values (saved values are not
 * supported).
 *
 * <p>Invariants: an LU's mode state ({@code LuContext.wce}, {@code dsense}, {@code swp}) changes only
 * through a MODE SELECT whose whole parameter list was validated first (header, block descriptor,
 * page codes and lengths, only changeable bits differing from the current values), so a refused list
 * changes nothing; a change gives every other nexus the MODE PARAMETERS CHANGED unit attention. What
 * MODE SENSE reports is what the LU then does (WCE: FUA-less writes are cached; SWP: writes refused).
 */
final class ModePages {
    private static final int PAGE_CACHING = 0x08;
    private static final int PAGE_CONTROL = 0x0A;
    private static final int PAGE_INFO_EXCEPTIONS = 0x1C;
    private static final int PAGE_ALL = 0x3F;

    private final DiskTarget target;

    ModePages(DiskTarget target) {
        this.target = target;
    }

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

    void modeSense(TaskEntry e, Scratch s, boolean ten) throws Done {
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

    void modeSelect(TaskEntry e, Scratch s, boolean ten) throws Done {
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
}
