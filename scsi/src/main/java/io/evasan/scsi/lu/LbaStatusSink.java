package io.evasan.scsi.lu;

/**
 * Receives provisioning extents (GET LBA STATUS). Invariant: extents arrive in ascending LBA
 * order, contiguous, non-empty, the first starting at the requested LBA.
 */
@FunctionalInterface
public interface LbaStatusSink {
    int MAPPED = 0;
    int DEALLOCATED = 1;
    int ANCHORED = 2;

    /** @return false to stop the enumeration */
    boolean extent(long lba, long blocks, int provisioningStatus);
}
