package io.evasan.sharing;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * Meters of the sharing tree, all registered up front (no lookup on the I/O path).
 * Invariant: counters only grow.
 */
public final class SharingStats {
    /** Whole-segment copies made by copy-on-first-write (into predecessors or into the writer). */
    public final Counter cfwCopies;
    /** CFWs satisfied by handing the old RSEG to the predecessor by pointer (full-segment writes). */
    public final Counter cfwHandoffs;
    /** Segments copied by BGCOPY into snapclones. */
    public final Counter bgcopySegments;
    /** Segments copied snapclone -> predecessor before leaving (Fig. 15d), not quiesced / quiesced. */
    public final Counter leaveCopies;
    public final Counter leaveQuiescedCopies;
    public final Counter snapshots;
    public final Counter snapclones;
    public final Counter clonesDetached;
    public final Counter invalidations;
    public final Counter deletes;
    public final Counter rollbacks;
    public final Timer snapshotCreate;

    public SharingStats(MeterRegistry r) {
        cfwCopies = Counter.builder("evasan.sharing.cfw.copies").description("CFW segment copies").register(r);
        cfwHandoffs = Counter.builder("evasan.sharing.cfw.handoffs").description("CFW by pointer hand-off").register(r);
        bgcopySegments = Counter.builder("evasan.sharing.bgcopy.segments").description("BGCOPY segments").register(r);
        leaveCopies = Counter.builder("evasan.sharing.leave.copies").description("copies before leave, online").register(r);
        leaveQuiescedCopies = Counter.builder("evasan.sharing.leave.quiesced.copies").description("copies before leave, quiesced").register(r);
        snapshots = Counter.builder("evasan.sharing.snapshots").register(r);
        snapclones = Counter.builder("evasan.sharing.snapclones").register(r);
        clonesDetached = Counter.builder("evasan.sharing.snapclones.detached").register(r);
        invalidations = Counter.builder("evasan.sharing.invalidations").register(r);
        deletes = Counter.builder("evasan.sharing.deletes").register(r);
        rollbacks = Counter.builder("evasan.sharing.rollbacks").register(r);
        snapshotCreate = Timer.builder("evasan.sharing.snapshot.create").register(r);
    }

    public static SharingStats standalone() {
        return new SharingStats(new SimpleMeterRegistry());
    }
}
