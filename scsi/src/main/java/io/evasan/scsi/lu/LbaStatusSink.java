package io.evasan.scsi.lu;

/** Receives provisioning extents in ascending LBA order (GET LBA STATUS). */
@FunctionalInterface
public interface LbaStatusSink {
    int MAPPED = 0;
    int DEALLOCATED = 1;
    int ANCHORED = 2;

    /** @return false to stop the enumeration */
    boolean extent(long lba, long blocks, int provisioningStatus);
}
