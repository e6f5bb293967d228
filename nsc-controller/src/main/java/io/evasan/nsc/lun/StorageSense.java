package io.evasan.nsc.lun;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.scsi.ScsiStatus;
import io.evasan.scsi.lu.LuException;
import io.evasan.scsi.sense.SenseCodes;

/**
 * The one place where storage errors ({@link StorageException} / {@link ErrorCode}) become SCSI
 * answers ({@link LuException}: a status and, for CHECK CONDITION, a sense key/ASC/ASCQ).
 *
 * <p>Invariant: every {@link ErrorCode} has exactly one row here (the table test walks
 * {@code ErrorCode.values()}); a code without a specific meaning for a host maps to HARDWARE ERROR
 * INTERNAL TARGET FAILURE rather than to a wrong specific answer. {@link ErrorCode#BUSY} is the only
 * code answered with a status other than CHECK CONDITION.
 *
 * <table>
 *   <caption>ErrorCode to SCSI</caption>
 *   <tr><th>code</th><th>answer</th></tr>
 *   <tr><td>UNALIGNED_IO, INVALID_ARGUMENT, ALREADY_EXISTS</td><td>05/24/00 INVALID FIELD IN CDB</td></tr>
 *   <tr><td>OUT_OF_RANGE</td><td>05/21/00 LBA OUT OF RANGE</td></tr>
 *   <tr><td>NOT_FOUND</td><td>05/25/00 LOGICAL UNIT NOT SUPPORTED (the LUN's storage is gone)</td></tr>
 *   <tr><td>INVALID_STATE</td><td>05/2C/00 COMMAND SEQUENCE ERROR</td></tr>
 *   <tr><td>UNRECOVERABLE_READ</td><td>03/11/00 UNRECOVERED READ ERROR</td></tr>
 *   <tr><td>WRITE_FAULT</td><td>03/03/00 PERIPHERAL DEVICE WRITE FAULT</td></tr>
 *   <tr><td>CORRUPT_METADATA</td><td>03/31/00 MEDIUM FORMAT CORRUPTED</td></tr>
 *   <tr><td>SPACE_ALLOCATION_FAILED</td><td>07/27/07 SPACE ALLOCATION FAILED WRITE PROTECT</td></tr>
 *   <tr><td>SNAPSHOT_INVALIDATED</td><td>02/04/00 NOT READY (a backup LUN reports seed 003's log overflow 09/81/22 once instead, see the backup package)</td></tr>
 *   <tr><td>BUSY</td><td>status BUSY (08h), no sense</td></tr>
 *   <tr><td>DRIVE_FAILED, INSUFFICIENT_DRIVES</td><td>04/3E/01 LOGICAL UNIT FAILURE</td></tr>
 *   <tr><td>DRIVE_MISSING</td><td>04/08/00 LOGICAL UNIT COMMUNICATION FAILURE</td></tr>
 *   <tr><td>IO_ERROR, DRIVE_TOO_SMALL, DUPLICATE_DRIVE, FOREIGN_POOL</td><td>04/44/00 INTERNAL TARGET FAILURE</td></tr>
 * </table>
 */
public final class StorageSense {
    public static final int COMMAND_SEQUENCE_ERROR = SenseCodes.of(0x5, 0x2C, 0x00);
    public static final int MEDIUM_FORMAT_CORRUPTED = SenseCodes.of(0x3, 0x31, 0x00);
    public static final int LOGICAL_UNIT_FAILURE = SenseCodes.of(0x4, 0x3E, 0x01);
    public static final int LOGICAL_UNIT_COMMUNICATION_FAILURE = SenseCodes.of(0x4, 0x08, 0x00);

    private StorageSense() {
    }

    /** SAM status for the code: BUSY for {@link ErrorCode#BUSY}, CHECK CONDITION otherwise. */
    public static int status(ErrorCode code) {
        return code == ErrorCode.BUSY ? ScsiStatus.BUSY : ScsiStatus.CHECK_CONDITION;
    }

    /** Packed sense for the code ({@link SenseCodes#NO_SENSE} for BUSY, which has no sense). */
    public static int sense(ErrorCode code) {
        switch (code) {
            case UNALIGNED_IO:
            case INVALID_ARGUMENT:
            case ALREADY_EXISTS:
                return SenseCodes.INVALID_FIELD_IN_CDB;
            case OUT_OF_RANGE:
                return SenseCodes.LBA_OUT_OF_RANGE;
            case NOT_FOUND:
                return SenseCodes.LOGICAL_UNIT_NOT_SUPPORTED;
            case INVALID_STATE:
                return COMMAND_SEQUENCE_ERROR;
            case UNRECOVERABLE_READ:
                return SenseCodes.UNRECOVERED_READ_ERROR;
            case WRITE_FAULT:
                return SenseCodes.WRITE_FAULT;
            case CORRUPT_METADATA:
                return MEDIUM_FORMAT_CORRUPTED;
            case SPACE_ALLOCATION_FAILED:
                return SenseCodes.SPACE_ALLOCATION_FAILED_WRITE_PROTECT;
            case SNAPSHOT_INVALIDATED:
                return SenseCodes.NOT_READY_CAUSE_NOT_REPORTABLE;
            case BUSY:
                return SenseCodes.NO_SENSE;
            case DRIVE_FAILED:
            case INSUFFICIENT_DRIVES:
                return LOGICAL_UNIT_FAILURE;
            case DRIVE_MISSING:
                return LOGICAL_UNIT_COMMUNICATION_FAILURE;
            case IO_ERROR:
            case DRIVE_TOO_SMALL:
            case DUPLICATE_DRIVE:
            case FOREIGN_POOL:
            default:
                return SenseCodes.INTERNAL_TARGET_FAILURE;
        }
    }

    /**
     * Translates a storage failure of an I/O.
     *
     * @param information the INFORMATION field (e.g. the first LBA of the command), -1 for none
     */
    public static LuException toLu(StorageException e, long information) {
        ErrorCode code = e.code();
        if (code == ErrorCode.BUSY) {
            return LuException.busy(e.getMessage());
        }
        return LuException.check(sense(code), information, e.getMessage());
    }
}
