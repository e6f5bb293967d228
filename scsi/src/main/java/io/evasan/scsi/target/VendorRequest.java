package io.evasan.scsi.target;

import io.evasan.scsi.ItNexus;
import io.evasan.scsi.lu.LogicalUnit;
import io.evasan.scsi.lu.LunVisibility;

import java.nio.ByteBuffer;

/**
 * What a {@link VendorCommandHandler} sees of one vendor command: the CDB, the nexus, the
 * addressed (presented) LU and the data buffers. Valid only during
 * {@link VendorCommandHandler#execute}; reused by the target (no allocation per command).
 *
 * <p>Invariant: {@link #logicalUnit()} is always an LU presented to {@link #nexus()} at
 * {@link #hostLun()}.
 */
public interface VendorRequest {
    byte[] cdb();

    int cdbLength();

    ItNexus nexus();

    int hostLun();

    /** The LU addressed by the command (already checked against LUN masking). */
    LogicalUnit logicalUnit();

    /**
     * What the requesting initiator can see: the target's LUN masking for {@code nexus().initiatorName()}
     * (the LUs REPORT LUNS lists for it). Handlers check every LUN a CDB or parameter list names
     * other than by the nexus against it before acting.
     */
    LunVisibility visibility();

    /** Data-Out bytes (position..limit), or an empty buffer. */
    ByteBuffer dataOut();

    /** Scratch buffer (position 0, capacity >= 64 KiB) for the Data-In the handler produces. */
    ByteBuffer dataIn();
}
