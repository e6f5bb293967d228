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
}
