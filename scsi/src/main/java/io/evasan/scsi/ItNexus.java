package io.evasan.scsi;

/**
 * An I_T nexus: one initiator port talking to one target port (an iSCSI session, an FC
 * PLOGI/PRLI login). Created by {@link ScsiTarget#openNexus}; identity is by object.
 */
public interface ItNexus {
    String initiatorName();

    String initiatorPortId();

    String targetPortName();

    int relativeTargetPortId();

    /**
     * The initiator's handle: a small int the target interns once per {@link #initiatorName()} when
     * the nexus opens (every session of one initiator gets the same handle, different initiators
     * different ones), so per-initiator work on the I/O path (the cache's per-initiator FIFO) needs
     * no string lookup. 0 means unknown / internal.
     */
    default int initiatorHandle() {
        return 0;
    }
}
