package io.evasan.iscsi.tmf;

/**
 * A task as task management sees it, whatever the transport (iSCSI today, FCP later): the LUN it
 * addresses, its task tag, whether the SCSI target owns it, and the abort state that
 * {@link TaskManagement} keeps on it. The transport's own per-command object implements this (no
 * allocation per task); all methods are called on the transport's event loop only.
 */
public interface ManagedTask {
    /** The LUN the task addresses. */
    int lun();

    /** The task tag (iSCSI: the Initiator Task Tag, as an unsigned 32-bit value). */
    long tag();

    /** Handed to the SCSI target, which owns it until its completion callback. */
    boolean submitted();

    /** Still one of the transport's tasks (not recycled since). */
    boolean live();

    /** Aborted by a task management function: its completion is not reported. */
    boolean aborted();

    void aborted(boolean aborted);

    /** An ABORT TASK for this task is with the SCSI target. */
    boolean abortPending();

    void abortPending(boolean pending);

    /** The target completed the task while {@link #abortPending()}: decided when the abort's answer comes. */
    boolean heldCompletion();

    void heldCompletion(boolean held);
}
