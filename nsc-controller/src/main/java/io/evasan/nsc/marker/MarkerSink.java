package io.evasan.nsc.marker;

/**
 * Something a snapshot marker can be inserted into (the controller's write-back cache). Used by the
 * API (and through it mgmt-ui's snapshot schedules), the seed-003 backup engine and the vendor SCSI
 * snapshot command alike.
 *
 * <p>Invariant: {@link #insertMarker} places the marker at a single serialization point shared
 * by all initiators: every write whose acknowledgement sequence number is below
 * {@link SnapshotMarker#seq()} (in particular every write acknowledged before the call began) is
 * in the snapshot, and no write with a higher number (in particular none begun after the call
 * returned) is. The call never waits for data to be destaged (hosts are not paused).
 */
public interface MarkerSink {
    SnapshotMarker insertMarker(SnapshotRequest request);
}
