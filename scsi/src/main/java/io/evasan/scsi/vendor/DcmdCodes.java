package io.evasan.scsi.vendor;

import io.evasan.scsi.lu.LuException;
import io.evasan.scsi.sense.SenseCodes;

/**
 * Seed 003 result codes. Tables 2 and 4 are CHECK CONDITION sense triples (packed as in
 * {@link SenseCodes}); tables 7 and 10 are the 2-byte return words of LOP START / LOP STATUS
 * (returned with GOOD status). The log-overflow code (seed: "0xXX") is chosen here as 09/81/22.
 *
 * <p>Invariant: values are exactly the seed's tables; note the seed itself gives 09/81/0C both to
 * "initialization in progress" (table 2) and "snapshot backup not in progress" (table 4).
 */
public final class DcmdCodes {
    // ---- Table 2: initiate snapshot (144A)
    public static final int ILLEGAL_CDB = SenseCodes.INVALID_FIELD_IN_CDB;
    public static final int REBUILD_IN_PROGRESS = SenseCodes.of(0x9, 0x81, 0x06);
    public static final int INITIALIZATION_IN_PROGRESS = SenseCodes.of(0x9, 0x81, 0x0C);
    public static final int CHECK_CONSISTENCY_IN_PROGRESS = SenseCodes.of(0x9, 0x81, 0x0D);
    public static final int SNAPSHOT_ALREADY_IN_PROGRESS = SenseCodes.of(0x9, 0x81, 0x10);
    public static final int NO_LOG_LUN_DEFINED = SenseCodes.of(0x9, 0x81, 0x19);
    public static final int COMMAND_TO_BACKUP_LUN = SenseCodes.of(0x9, 0x81, 0x20);
    // ---- Table 4: terminate snapshot (145A)
    public static final int SNAPSHOT_NOT_IN_PROGRESS = SenseCodes.of(0x9, 0x81, 0x0C);
    // ---- backup LUN conditions (seed 003 text after table 10)
    /** Vendor unique "log overflow", reported once by the backup LUN (ASC/ASCQ chosen here). */
    public static final int LOG_OVERFLOW = SenseCodes.of(0x9, 0x81, 0x22);
    /** Backup LUN without an active snapshot: NOT READY (logical unit not ready, cause not reportable). */
    public static final int BACKUP_LUN_NOT_READY = SenseCodes.NOT_READY_CAUSE_NOT_REPORTABLE;

    // ---- Table 7: LOP START return data (146A)
    public static final int LOP_START_COPY_STARTED = 0x0000;
    public static final int LOP_START_DRIVE_NOT_READY = 0x0002;
    public static final int LOP_START_INVALID_SYSTEM_DRIVE = 0x0105;
    public static final int LOP_START_COPY_ALREADY_IN_PROGRESS = 0x0106;
    // ---- Table 10: LOP STATUS return data (147A)
    public static final int LOP_STATUS_IN_PROGRESS = 0x0000;
    public static final int LOP_STATUS_COMPLETED = 0x0100;
    public static final int LOP_STATUS_DRIVE_NOT_READY = 0x0002;
    public static final int LOP_STATUS_NO_COPY_IN_PROGRESS = 0x0105;
    public static final int LOP_STATUS_IRRECOVERABLE_DATA_ERRORS = 0x0001;
    public static final int LOP_STATUS_TERMINATED_BY_COMMAND = 0x0107;

    /**
     * The seed's "Illegal CDB" (05/24/00) pointing at CDB byte {@code field}: a malformed CDB, and
     * a LOP START system drive the requesting initiator cannot see (absent and unpresented drives
     * get this same answer, so it reveals nothing about LUNs the initiator cannot see).
     */
    public static LuException illegalCdb(int field, String why) {
        return LuException.invalidField(ILLEGAL_CDB, field, true, why);
    }

    private DcmdCodes() {
    }
}
