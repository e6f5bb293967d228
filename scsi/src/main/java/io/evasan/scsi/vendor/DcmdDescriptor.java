package io.evasan.scsi.vendor;

import io.evasan.scsi.cdb.CdbDescriptor;
import io.evasan.scsi.cdb.OpCodes;

/**
 * Seed 003 "direct command" (DCMD) CDBs, opcode 20h, 10 bytes (tables 1, 3, 5, 8).
 *
 * <pre>
 * SNAPSHOT INITIATE (table 1) / SNAPSHOT TERMINATE (table 3):
 *  0 OPERATION CODE 20h
 *  1 LUN (7:5, ignored) | reserved (4:0)
 *  2 DCMD OP CODE: 50h = SNAPSHOT INITIATE, 51h = SNAPSHOT TERMINATE
 *  3-8 reserved
 *  9 CONTROL (must be 0)
 * LOP START (table 5):
 *  0 20h | 1 LUN (7:5, ignored) reserved (4:0) | 2 DCMD OP CODE 44h | 3 LOP OPCODE |
 *  4 SOURCE SYSTEM DRIVE (0..7) | 5 DESTINATION SYSTEM DRIVE (0..7) | 6 reserved |
 *  7-8 ALLOCATION LENGTH (0 = no data, not an error) | 9 CONTROL (must be 0)
 * LOP STATUS (table 8):
 *  0 20h | 1 LUN/reserved | 2 DCMD OP CODE 43h | 3 LOP OPCODE | 4-6 reserved |
 *  7-8 ALLOCATION LENGTH | 9 CONTROL (must be 0)
 * LOP OPCODE: 01h = COPY SYSTEM DRIVE (full), 02h = INCREMENTAL COPY (segments changed since
 *  the previous copy; seed 003 claim 22)
 * Return data (LOP START table 7, LOP STATUS table 10): 2 bytes, big-endian status word
 * </pre>
 *
 * Invariant: {@link #validate} accepts exactly the CDBs above with reserved fields zero; every
 * rejection is the seed's "Illegal CDB" 05/24/00 with the offending byte as field pointer.
 */
public final class DcmdDescriptor {
    public static final int CDB_LENGTH = 10;
    public static final int SUB_OPCODE_OFFSET = 2;
    public static final int LOP_OPCODE_OFFSET = 3;
    public static final int SOURCE_OFFSET = 4;
    public static final int DESTINATION_OFFSET = 5;
    public static final int ALLOCATION_LENGTH_OFFSET = 7;
    public static final int CONTROL_OFFSET = 9;

    public static final int DCMD_SNAPSHOT_INITIATE = 0x50;
    public static final int DCMD_SNAPSHOT_TERMINATE = 0x51;
    public static final int DCMD_LOP_STATUS = 0x43;
    public static final int DCMD_LOP_START = 0x44;

    public static final int LOP_COPY_SYSTEM_DRIVE = 0x01;
    public static final int LOP_INCREMENTAL_COPY = 0x02;

    public static final int MAX_SYSTEM_DRIVE = 7;
    public static final int RETURN_DATA_LENGTH = 2;

    private DcmdDescriptor() {
    }

    public static int subOpcode(byte[] cdb) {
        return cdb[SUB_OPCODE_OFFSET] & 0xFF;
    }

    public static int lopOpcode(byte[] cdb) {
        return cdb[LOP_OPCODE_OFFSET] & 0xFF;
    }

    public static int sourceDrive(byte[] cdb) {
        return cdb[SOURCE_OFFSET] & 0xFF;
    }

    public static int destinationDrive(byte[] cdb) {
        return cdb[DESTINATION_OFFSET] & 0xFF;
    }

    public static int allocationLength(byte[] cdb) {
        return CdbDescriptor.u16(cdb, ALLOCATION_LENGTH_OFFSET);
    }

    public static boolean isKnownLopOpcode(int op) {
        return op == LOP_COPY_SYSTEM_DRIVE || op == LOP_INCREMENTAL_COPY;
    }

    /**
     * Validates a DCMD CDB. Returns -1 when valid, else the byte offset of the first invalid
     * field (the caller answers 05/24/00 with that field pointer).
     */
    public static int validate(byte[] cdb, int cdbLength) {
        if (cdbLength < CDB_LENGTH || (cdb[0] & 0xFF) != OpCodes.DCMD) {
            return 0;
        }
        if ((cdb[1] & 0x1F) != 0) {
            return 1;
        }
        int sub = subOpcode(cdb);
        switch (sub) {
            case DCMD_SNAPSHOT_INITIATE:
            case DCMD_SNAPSHOT_TERMINATE:
                for (int i = 3; i <= 8; i++) {
                    if (cdb[i] != 0) {
                        return i;
                    }
                }
                break;
            case DCMD_LOP_START:
                if (!isKnownLopOpcode(lopOpcode(cdb))) {
                    return LOP_OPCODE_OFFSET;
                }
                if (cdb[6] != 0) {
                    return 6;
                }
                break;
            case DCMD_LOP_STATUS:
                if (!isKnownLopOpcode(lopOpcode(cdb))) {
                    return LOP_OPCODE_OFFSET;
                }
                for (int i = 4; i <= 6; i++) {
                    if (cdb[i] != 0) {
                        return i;
                    }
                }
                break;
            default:
                return SUB_OPCODE_OFFSET;
        }
        return cdb[CONTROL_OFFSET] != 0 ? CONTROL_OFFSET : -1;
    }

    public static int encodeSnapshot(byte[] cdb, boolean initiate) {
        java.util.Arrays.fill(cdb, 0, CDB_LENGTH, (byte) 0);
        cdb[0] = (byte) OpCodes.DCMD;
        cdb[SUB_OPCODE_OFFSET] = (byte) (initiate ? DCMD_SNAPSHOT_INITIATE : DCMD_SNAPSHOT_TERMINATE);
        return CDB_LENGTH;
    }

    public static int encodeLopStart(byte[] cdb, int lopOpcode, int source, int destination, int allocLen) {
        java.util.Arrays.fill(cdb, 0, CDB_LENGTH, (byte) 0);
        cdb[0] = (byte) OpCodes.DCMD;
        cdb[SUB_OPCODE_OFFSET] = (byte) DCMD_LOP_START;
        cdb[LOP_OPCODE_OFFSET] = (byte) lopOpcode;
        cdb[SOURCE_OFFSET] = (byte) source;
        cdb[DESTINATION_OFFSET] = (byte) destination;
        CdbDescriptor.put16(cdb, ALLOCATION_LENGTH_OFFSET, allocLen);
        return CDB_LENGTH;
    }

    public static int encodeLopStatus(byte[] cdb, int lopOpcode, int allocLen) {
        java.util.Arrays.fill(cdb, 0, CDB_LENGTH, (byte) 0);
        cdb[0] = (byte) OpCodes.DCMD;
        cdb[SUB_OPCODE_OFFSET] = (byte) DCMD_LOP_STATUS;
        cdb[LOP_OPCODE_OFFSET] = (byte) lopOpcode;
        CdbDescriptor.put16(cdb, ALLOCATION_LENGTH_OFFSET, allocLen);
        return CDB_LENGTH;
    }

    /** Writes a 2-byte return word (tables 7/10) and returns 2. */
    public static int encodeReturnData(byte[] out, int off, int word) {
        CdbDescriptor.put16(out, off, word);
        return RETURN_DATA_LENGTH;
    }

    public static int decodeReturnData(byte[] in, int off) {
        return CdbDescriptor.u16(in, off);
    }
}
