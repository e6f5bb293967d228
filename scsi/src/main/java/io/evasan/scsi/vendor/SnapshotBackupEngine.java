package io.evasan.scsi.vendor;

import io.evasan.scsi.ItNexus;
import io.evasan.scsi.lu.LogicalUnit;
import io.evasan.scsi.lu.LuException;
import io.evasan.scsi.lu.LunVisibility;

/**
 * What the seed 003 DCMD commands need from the controller (implemented in nsc-controller).
 * Invariant: methods return only the seed's codes (tables 2, 4, 7, 10) and change nothing when
 * they return an error; they are called only with CDBs that passed {@link DcmdDescriptor#validate}.
 *
 * <p>LUN masking: initiate and terminate act on the addressed LU (the I_T_L nexus, already masked).
 * LOP START names two system drives by number; the engine resolves each to the LU hosts see for it
 * and acts only if {@code visibility} sees both, else throws {@link DcmdCodes#illegalCdb} pointing
 * at the SOURCE (byte 4) or DESTINATION (byte 5) field, before any state check, having changed
 * nothing. LOP STATUS reports a copy only to a requester that sees a LUN its LOP START named.
 */
public interface SnapshotBackupEngine {
    /** Table 2: {@code SenseCodes.NO_SENSE} on success, else a {@link DcmdCodes} table-2 code. */
    int initiateSnapshot(LogicalUnit addressed, ItNexus nexus);

    /** Table 4: {@code SenseCodes.NO_SENSE} on success, else {@link DcmdCodes#SNAPSHOT_NOT_IN_PROGRESS}. */
    int terminateSnapshot(LogicalUnit addressed, ItNexus nexus);

    /**
     * Table 7 return word. Source/destination are system drive numbers 0..7.
     *
     * @throws LuException 05/24/00 with field pointer 4 (source) or 5 (destination) when
     *                     {@code visibility} does not see that drive's LU (or no LU has that number)
     */
    int lopStart(int lopOpcode, int sourceDrive, int destinationDrive, LunVisibility visibility) throws LuException;

    /**
     * Table 10 return word for the controller's current or last copy, or
     * {@link DcmdCodes#LOP_STATUS_NO_COPY_IN_PROGRESS} when {@code visibility} sees neither LUN that
     * copy's LOP START named.
     */
    int lopStatus(int lopOpcode, LunVisibility visibility);
}
