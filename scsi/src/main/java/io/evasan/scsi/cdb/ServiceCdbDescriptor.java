package io.evasan.scsi.cdb;

import static io.evasan.scsi.cdb.CdbDescriptor.put16;
import static io.evasan.scsi.cdb.CdbDescriptor.put32;
import static io.evasan.scsi.cdb.CdbDescriptor.put64;

/**
 * Non-block CDB layouts (SPC-4 / SBC-3) with their field offsets and encoders.
 *
 * <pre>
 * INQUIRY (12h):            0 op | 1 EVPD(0) | 2 PAGE CODE | 3-4 ALLOCATION LENGTH | 5 CONTROL
 * REQUEST SENSE (03h):      0 op | 1 DESC(0) | 2-3 reserved | 4 ALLOCATION LENGTH | 5 CONTROL
 * MODE SENSE(6) (1Ah):      0 op | 1 DBD(3) | 2 PC(7:6) PAGE CODE(5:0) | 3 SUBPAGE | 4 ALLOC LEN | 5 CONTROL
 * MODE SENSE(10) (5Ah):     0 op | 1 LLBAA(4) DBD(3) | 2 PC/PAGE | 3 SUBPAGE | 4-6 rsvd | 7-8 ALLOC LEN | 9 CONTROL
 * MODE SELECT(6) (15h):     0 op | 1 PF(4) SP(0) | 2-3 rsvd | 4 PARAMETER LIST LENGTH | 5 CONTROL
 * MODE SELECT(10) (55h):    0 op | 1 PF(4) SP(0) | 2-6 rsvd | 7-8 PARAMETER LIST LENGTH | 9 CONTROL
 * RESERVE(6)/RELEASE(6):    0 op | 1 obsolete | 2-4 obsolete | 5 CONTROL
 * START STOP UNIT (1Bh):    0 op | 1 IMMED(0) | 2 rsvd | 3 POWER COND MODIFIER(3:0) |
 *                           4 POWER CONDITION(7:4) NO_FLUSH(2) LOEJ(1) START(0) | 5 CONTROL
 * READ CAPACITY(10) (25h):  0 op | 1 rsvd | 2-5 LBA (obsolete) | 6-7 rsvd | 8 PMI(0) | 9 CONTROL
 * SERVICE ACTION IN(16) (9Eh): 0 op | 1 SA(4:0) | 2-9 LBA | 10-13 ALLOC LEN | 14 PMI | 15 CONTROL
 *                           SA 10h READ CAPACITY(16), 12h GET LBA STATUS
 * REPORT LUNS (A0h):        0 op | 1 rsvd | 2 SELECT REPORT | 3-5 rsvd | 6-9 ALLOC LEN | 10 rsvd | 11 CONTROL
 * MAINTENANCE IN (A3h/0Ch) REPORT SUPPORTED OPERATION CODES:
 *                           0 op | 1 SA | 2 RCTD(7) REPORTING OPTIONS(2:0) | 3 REQUESTED OPCODE |
 *                           4-5 REQUESTED SA | 6-9 ALLOC LEN | 10 rsvd | 11 CONTROL
 * PERSISTENT RESERVE IN (5Eh):  0 op | 1 SA(4:0) | 2-6 rsvd | 7-8 ALLOC LEN | 9 CONTROL
 * PERSISTENT RESERVE OUT (5Fh): 0 op | 1 SA(4:0) | 2 SCOPE(7:4) TYPE(3:0) | 3-4 rsvd |
 *                           5-8 PARAMETER LIST LENGTH | 9 CONTROL
 * UNMAP (42h):              0 op | 1 ANCHOR(0) | 2-5 rsvd | 6 GROUP | 7-8 PARAMETER LIST LENGTH | 9 CONTROL
 * SYNCHRONIZE CACHE(10/16): 1 IMMED(1); LBA and NUMBER OF BLOCKS as in {@link BlockCdbDescriptor}
 * </pre>
 *
 * Invariant: encoders fill exactly the CDB length they return and zero all reserved bytes.
 */
public final class ServiceCdbDescriptor {
    public static final int INQUIRY_EVPD = 0x01;
    public static final int MODE_DBD = 0x08;
    public static final int MODE_LLBAA = 0x10;
    public static final int MODE_PF = 0x10;
    public static final int MODE_SP = 0x01;
    public static final int RSOC_RCTD = 0x80;

    // PERSISTENT RESERVE IN service actions
    public static final int PRIN_READ_KEYS = 0x00;
    public static final int PRIN_READ_RESERVATION = 0x01;
    public static final int PRIN_REPORT_CAPABILITIES = 0x02;
    public static final int PRIN_READ_FULL_STATUS = 0x03;
    // PERSISTENT RESERVE OUT service actions
    public static final int PROUT_REGISTER = 0x00;
    public static final int PROUT_RESERVE = 0x01;
    public static final int PROUT_RELEASE = 0x02;
    public static final int PROUT_CLEAR = 0x03;
    public static final int PROUT_PREEMPT = 0x04;
    public static final int PROUT_PREEMPT_AND_ABORT = 0x05;
    public static final int PROUT_REGISTER_AND_IGNORE = 0x06;
    public static final int PROUT_REGISTER_AND_MOVE = 0x07;
    // persistent reservation types
    public static final int PR_WRITE_EXCLUSIVE = 0x1;
    public static final int PR_EXCLUSIVE_ACCESS = 0x3;
    public static final int PR_WRITE_EXCLUSIVE_REGISTRANTS_ONLY = 0x5;
    public static final int PR_EXCLUSIVE_ACCESS_REGISTRANTS_ONLY = 0x6;
    public static final int PR_WRITE_EXCLUSIVE_ALL_REGISTRANTS = 0x7;
    public static final int PR_EXCLUSIVE_ACCESS_ALL_REGISTRANTS = 0x8;

    private ServiceCdbDescriptor() {
    }

    private static int clear(byte[] cdb, int n, int op) {
        java.util.Arrays.fill(cdb, 0, n, (byte) 0);
        cdb[0] = (byte) op;
        return n;
    }

    public static int inquiry(byte[] cdb, boolean evpd, int page, int allocLen) {
        clear(cdb, 6, OpCodes.INQUIRY);
        cdb[1] = (byte) (evpd ? INQUIRY_EVPD : 0);
        cdb[2] = (byte) page;
        put16(cdb, 3, allocLen);
        return 6;
    }

    public static int simple6(byte[] cdb, int op) {
        return clear(cdb, 6, op);
    }

    public static int requestSense(byte[] cdb, boolean desc, int allocLen) {
        clear(cdb, 6, OpCodes.REQUEST_SENSE);
        cdb[1] = (byte) (desc ? 1 : 0);
        cdb[4] = (byte) allocLen;
        return 6;
    }

    public static int modeSense6(byte[] cdb, boolean dbd, int pc, int page, int subpage, int allocLen) {
        clear(cdb, 6, OpCodes.MODE_SENSE_6);
        cdb[1] = (byte) (dbd ? MODE_DBD : 0);
        cdb[2] = (byte) (pc << 6 | page);
        cdb[3] = (byte) subpage;
        cdb[4] = (byte) allocLen;
        return 6;
    }

    public static int modeSense10(byte[] cdb, boolean llbaa, boolean dbd, int pc, int page, int subpage, int allocLen) {
        clear(cdb, 10, OpCodes.MODE_SENSE_10);
        cdb[1] = (byte) ((dbd ? MODE_DBD : 0) | (llbaa ? MODE_LLBAA : 0));
        cdb[2] = (byte) (pc << 6 | page);
        cdb[3] = (byte) subpage;
        put16(cdb, 7, allocLen);
        return 10;
    }

    public static int modeSelect6(byte[] cdb, boolean pf, boolean sp, int paramLen) {
        clear(cdb, 6, OpCodes.MODE_SELECT_6);
        cdb[1] = (byte) ((pf ? MODE_PF : 0) | (sp ? MODE_SP : 0));
        cdb[4] = (byte) paramLen;
        return 6;
    }

    public static int modeSelect10(byte[] cdb, boolean pf, boolean sp, int paramLen) {
        clear(cdb, 10, OpCodes.MODE_SELECT_10);
        cdb[1] = (byte) ((pf ? MODE_PF : 0) | (sp ? MODE_SP : 0));
        put16(cdb, 7, paramLen);
        return 10;
    }

    public static int startStopUnit(byte[] cdb, boolean immed, int powerCondition, boolean loej, boolean start) {
        clear(cdb, 6, OpCodes.START_STOP_UNIT);
        cdb[1] = (byte) (immed ? 1 : 0);
        cdb[4] = (byte) (powerCondition << 4 | (loej ? 2 : 0) | (start ? 1 : 0));
        return 6;
    }

    public static int readCapacity10(byte[] cdb) {
        return clear(cdb, 10, OpCodes.READ_CAPACITY_10);
    }

    public static int serviceActionIn16(byte[] cdb, int sa, long lba, long allocLen) {
        clear(cdb, 16, OpCodes.SERVICE_ACTION_IN_16);
        cdb[1] = (byte) sa;
        put64(cdb, 2, lba);
        put32(cdb, 10, allocLen);
        return 16;
    }

    public static int reportLuns(byte[] cdb, int select, long allocLen) {
        clear(cdb, 12, OpCodes.REPORT_LUNS);
        cdb[2] = (byte) select;
        put32(cdb, 6, allocLen);
        return 12;
    }

    public static int reportSupportedOpcodes(byte[] cdb, boolean rctd, int options, int opcode, int sa, long allocLen) {
        clear(cdb, 12, OpCodes.MAINTENANCE_IN);
        cdb[1] = (byte) OpCodes.SA_REPORT_SUPPORTED_OPCODES;
        cdb[2] = (byte) ((rctd ? RSOC_RCTD : 0) | options);
        cdb[3] = (byte) opcode;
        put16(cdb, 4, sa);
        put32(cdb, 6, allocLen);
        return 12;
    }

    public static int persistentReserveIn(byte[] cdb, int sa, int allocLen) {
        clear(cdb, 10, OpCodes.PERSISTENT_RESERVE_IN);
        cdb[1] = (byte) sa;
        put16(cdb, 7, allocLen);
        return 10;
    }

    public static int persistentReserveOut(byte[] cdb, int sa, int scope, int type, long paramLen) {
        clear(cdb, 10, OpCodes.PERSISTENT_RESERVE_OUT);
        cdb[1] = (byte) sa;
        cdb[2] = (byte) (scope << 4 | type);
        put32(cdb, 5, paramLen);
        return 10;
    }

    public static int unmap(byte[] cdb, boolean anchor, int paramLen) {
        clear(cdb, 10, OpCodes.UNMAP);
        cdb[1] = (byte) (anchor ? 1 : 0);
        put16(cdb, 7, paramLen);
        return 10;
    }
}
