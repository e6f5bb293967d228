package io.evasan.scsi.vendor;

import io.evasan.scsi.lu.LogicalUnit;
import io.evasan.scsi.lu.LuException;
import io.evasan.scsi.sense.SenseCodes;
import io.evasan.scsi.target.VendorCommandHandler;
import io.evasan.scsi.target.VendorRequest;

/**
 * {@link VendorCommandHandler} for the snapshot-marker CDB (C0h): validates it and hands the
 * request to a {@link MarkerSink} (the write-back cache in nsc-controller), then returns the
 * marker sequence number and host tag.
 *
 * <p>Invariant: an invalid CDB never reaches the sink (05/24/00 with the offending byte as field
 * pointer); one accepted CDB calls the sink once. The CDB names no LUN: the snapshot is of the
 * addressed LU (the I_T_L nexus, already masked) and is presented to nobody.
 */
public final class SnapshotMarkerHandler implements VendorCommandHandler {

    /** Inserts a snapshot marker for the LU; returns its sequence number or throws (nothing changed). */
    @FunctionalInterface
    public interface MarkerSink {
        long requestSnapshot(LogicalUnit lu, boolean snapclone, long hostTag) throws LuException;
    }

    private final MarkerSink sink;

    public SnapshotMarkerHandler(MarkerSink sink) {
        this.sink = sink;
    }

    @Override
    public int execute(VendorRequest r) throws LuException {
        byte[] cdb = r.cdb();
        int bad = SnapshotMarkerCdbDescriptor.validate(cdb, r.cdbLength());
        if (bad >= 0) {
            throw LuException.invalidField(SenseCodes.INVALID_FIELD_IN_CDB, bad, true, "snapshot marker CDB byte " + bad);
        }
        long tag = SnapshotMarkerCdbDescriptor.hostTag(cdb);
        boolean clone = SnapshotMarkerCdbDescriptor.serviceAction(cdb) == SnapshotMarkerCdbDescriptor.SA_SNAPCLONE;
        long seq = sink.requestSnapshot(r.logicalUnit(), clone, tag);
        java.nio.ByteBuffer in = r.dataIn();
        in.putLong(0, seq);
        in.putLong(8, tag);
        return (int) Math.min(SnapshotMarkerCdbDescriptor.allocationLength(cdb), SnapshotMarkerCdbDescriptor.RESPONSE_LENGTH);
    }

    @Override
    public boolean writesMedium(byte[] cdb) {
        return false;
    }
}
