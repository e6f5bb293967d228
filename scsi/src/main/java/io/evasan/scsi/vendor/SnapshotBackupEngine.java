package io.evasan.scsi.vendor;

import io.evasan.scsi.ItNexus;
import io.evasan.scsi.lu.LogicalUnit;

/**
 * What the seed 003 DCMD commands need from the controller (implemented in nsc-controller).
 * Invariant: methods return only the seed's codes (tables 2, 4, 7, 10) and change nothing when
 * they return an error; they are called only with CDBs that passed {@link DcmdDescriptor#validate}.
 */
public interface SnapshotBackupEngine {
    /** Table 2: {@code SenseCodes.NO_SENSE} on success, else a {@link DcmdCodes} table-2 code. */
    int initiateSnapshot(LogicalUnit addressed, ItNexus nexus);

    /** Table 4: {@code SenseCodes.NO_SENSE} on success, else {@link DcmdCodes#SNAPSHOT_NOT_IN_PROGRESS}. */
    int terminateSnapshot(LogicalUnit addressed, ItNexus nexus);

    /** Table 7 return word. Source/destination are system drive numbers 0..7. */
    int lopStart(int lopOpcode, int sourceDrive, int destinationDrive);

    /** Table 10 return word. */
    int lopStatus(int lopOpcode);
}
