package io.evasan.scsi;

/**
 * The SCSI target as transports (iSCSI, simulated FCP) see it: I_T nexus management, command
 * submission and task management (SAM-5). Thread-safe.
 *
 * <p>Invariants: a command for a LUN not presented to the nexus' initiator never reaches that
 * LUN (it gets LOGICAL UNIT NOT SUPPORTED, or REPORT LUNS omits it); every submitted task is
 * completed exactly once through its callback, possibly on another thread and possibly before
 * {@link #submit} returns; bad CDBs complete with CHECK CONDITION and the standard sense and
 * change nothing.
 */
public interface ScsiTarget {

    /**
     * Opens an I_T nexus.
     *
     * @param initiatorName   the initiator device name (iSCSI IQN, FC WWPN as text); LUN masking keys on it
     * @param initiatorPortId the initiator port identifier (for iSCSI "IQN,i,0x" + ISID); reservations key on it
     * @param targetPortName  the target port name (iSCSI target IQN + ",t,0x" + TPGT, or WWPN)
     * @param relativeTargetPortId relative target port identifier reported in VPD 83h (1-based)
     */
    ItNexus openNexus(String initiatorName, String initiatorPortId, String targetPortName, int relativeTargetPortId);

    /** Closes the nexus; its outstanding tasks are aborted; registrations persist per SPC-4. */
    void closeNexus(ItNexus nexus);

    /** Submits a task; {@link ScsiTask#callback()} is invoked exactly once on completion. */
    void submit(ScsiTask task);

    /** Performs a task management function; blocks only as long as the function needs. */
    TmfResponse taskManagement(ItNexus nexus, TmfFunction function, int lun, long referencedTaskTag);
}
