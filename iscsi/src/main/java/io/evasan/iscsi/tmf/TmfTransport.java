package io.evasan.iscsi.tmf;

import io.evasan.scsi.ItNexus;
import io.evasan.scsi.ScsiTarget;

import java.util.Collection;

/**
 * What {@link TaskManagement} needs from a transport connection (iSCSI's {@code IscsiConnection};
 * an FCP port later): its SCSI target and I_T nexus, its outstanding tasks, and the
 * transport-specific halves of aborting, releasing and completing a task. Called on the
 * connection's event loop only.
 */
public interface TmfTransport<T extends ManagedTask> {
    ScsiTarget scsiTarget();

    ItNexus nexus();

    /** The outstanding task with this tag, or null. */
    T task(long tag);

    /** The outstanding tasks, as a copy (aborting a task may remove it from the transport's map). */
    Collection<T> tasksSnapshot();

    /**
     * The transport's part of aborting {@code task}: data transfers still outstanding for it are
     * dropped and late data for it is discarded silently.
     */
    void abortTransfers(T task);

    /** Forgets {@code task} without reporting anything and recycles it. */
    void release(T task);

    /** Reports {@code task}'s completion to the initiator (status, data) as for any task. */
    void complete(T task);

    /** The connection is gone: answers and completions are dropped. */
    boolean closed();
}
