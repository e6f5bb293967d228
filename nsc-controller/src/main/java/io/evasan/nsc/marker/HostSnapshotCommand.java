package io.evasan.nsc.marker;

import io.evasan.scsi.lu.LogicalUnit;
import io.evasan.scsi.lu.LuException;
import io.evasan.scsi.sense.SenseCodes;
import io.evasan.scsi.vendor.SnapshotMarkerHandler;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToIntFunction;

/**
 * The host's snapshot request (seed 000 "SCSI Command", Fig. 9; seed 002 claims 22-24): the scsi
 * module's vendor snapshot-marker command (opcode C0h, see {@code SnapshotMarkerCdbDescriptor})
 * inserts a marker for the addressed LUN into the cache. Register with
 * {@code diskTarget.registerVendorHandler(0xC0, new SnapshotMarkerHandler(new HostSnapshotCommand(cache, lunIds, base)))}.
 *
 * <p>Invariants: each accepted command inserts exactly one marker, for exactly the addressed LUN,
 * with source {@link SnapshotRequest.Source#HOST}, a fresh request id ({@code idBase + n}) and the
 * name {@code "host-" + hostTag}; the returned value is the marker's sequence number. An LU that
 * the resolver does not know answers CHECK CONDITION 05/25/00 (LOGICAL UNIT NOT SUPPORTED) and
 * inserts nothing. The command returns without waiting for the snapshot (the host is not paused).
 */
public final class HostSnapshotCommand implements SnapshotMarkerHandler.MarkerSink {
    private final MarkerSink sink;
    private final ToIntFunction<LogicalUnit> lunIdOf;
    private final AtomicLong nextId;

    /**
     * @param sink    the cache
     * @param lunIdOf maps an LU to the cache's LUN id, or returns a negative number when the LU is not
     *                backed by this cache
     * @param idBase  request ids handed out are idBase + 1, idBase + 2, ...
     */
    public HostSnapshotCommand(MarkerSink sink, ToIntFunction<LogicalUnit> lunIdOf, long idBase) {
        this.sink = Objects.requireNonNull(sink);
        this.lunIdOf = Objects.requireNonNull(lunIdOf);
        this.nextId = new AtomicLong(idBase);
    }

    @Override
    public long requestSnapshot(LogicalUnit lu, boolean snapclone, long hostTag) throws LuException {
        int lunId = lunIdOf.applyAsInt(lu);
        if (lunId < 0) {
            throw LuException.check(SenseCodes.LOGICAL_UNIT_NOT_SUPPORTED);
        }
        SnapshotRequest req = new SnapshotRequest(nextId.incrementAndGet(), "host-" + hostTag,
                snapclone ? SnapshotRequest.Kind.SNAPCLONE : SnapshotRequest.Kind.SNAPSHOT,
                SnapshotRequest.Source.HOST, lunId);
        return sink.insertMarker(req).seq();
    }
}
