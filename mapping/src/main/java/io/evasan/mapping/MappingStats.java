package io.evasan.mapping;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * Meters of the mapping layer, all registered up front (names {@code evasan.mapping.*}).
 * Counters are bumped on metadata paths only (allocation, free, snapshot, checkpoint), never per
 * read or per translation. {@link #mappingBytes()} is computed by accounting the sizes of the
 * mapping's own arrays: L2MAP reference arrays (16 B header + 4 B per region touched), LMAPs
 * (16 B + 2048 x 4 B each), RSD tables (4 B reference + 1 B mask per slot + occupancy bits) and
 * a fixed per-disk object estimate; the RAID layer's own RSD objects are not included.
 */
public final class MappingStats {
    private final Counter rsegAllocations;
    private final Counter rsegFrees;
    private final Counter rstoreAllocations;
    private final Counter rstoreFrees;
    private final Counter spaceAllocationFailures;
    private final Counter snapshots;
    private final Counter checkpoints;
    private final Counter logRecords;
    private final Timer openTime;
    private final Supplier<Long> mappingBytes;

    public MappingStats(MeterRegistry r, Supplier<Long> luns, Supplier<Long> heldSegments, Supplier<Long> rstores,
                 Supplier<Long> mappingBytes, Supplier<Long> logBytes) {
        this.mappingBytes = mappingBytes;
        rsegAllocations = Counter.builder("evasan.mapping.rseg.allocations").description("RSEGs linked to a segment").register(r);
        rsegFrees = Counter.builder("evasan.mapping.rseg.frees").description("RSEGs freed").register(r);
        rstoreAllocations = Counter.builder("evasan.mapping.rstore.allocations").description("RStores allocated").register(r);
        rstoreFrees = Counter.builder("evasan.mapping.rstore.frees").description("RStores freed").register(r);
        spaceAllocationFailures = Counter.builder("evasan.mapping.space.allocation.failures")
                .description("writes refused with SPACE_ALLOCATION_FAILED").register(r);
        snapshots = Counter.builder("evasan.mapping.snapshot.disks").description("pointer-copy disks created").register(r);
        checkpoints = Counter.builder("evasan.mapping.pldmc.checkpoints").description("PLDMC log checkpoints").register(r);
        logRecords = Counter.builder("evasan.mapping.pldmc.records").description("PLDMC log records appended").register(r);
        openTime = Timer.builder("evasan.mapping.open").description("time to open the mapping (MLD + PLDMC replay)").register(r);
        gauge(r, "evasan.mapping.luns", luns);
        gauge(r, "evasan.mapping.segments.held", heldSegments);
        gauge(r, "evasan.mapping.rstores", rstores);
        gauge(r, "evasan.mapping.memory.bytes", mappingBytes);
        gauge(r, "evasan.mapping.pldmc.bytes", logBytes);
    }

    private static void gauge(MeterRegistry r, String name, Supplier<Long> s) {
        ToDoubleFunction<Supplier<Long>> f = x -> x.get();
        Gauge.builder(name, s, f).strongReference(true).register(r);
    }

    public void rsegAllocated() {
        rsegAllocations.increment();
    }

    public void rsegFreed() {
        rsegFrees.increment();
    }

    public void rstoreAllocated() {
        rstoreAllocations.increment();
    }

    public void rstoreFreed() {
        rstoreFrees.increment();
    }

    public void spaceAllocationFailed() {
        spaceAllocationFailures.increment();
    }

    public void snapshotCreated() {
        snapshots.increment();
    }

    public void checkpointed() {
        checkpoints.increment();
    }

    public void logRecord() {
        logRecords.increment();
    }

    public Timer openTimer() {
        return openTime;
    }

    public double rsegAllocations() {
        return rsegAllocations.count();
    }

    public double rsegFrees() {
        return rsegFrees.count();
    }

    public double rstoreAllocations() {
        return rstoreAllocations.count();
    }

    public double rstoreFrees() {
        return rstoreFrees.count();
    }

    public double spaceAllocationFailures() {
        return spaceAllocationFailures.count();
    }

    public double checkpoints() {
        return checkpoints.count();
    }

    public long mappingBytes() {
        return mappingBytes.get();
    }

    /** Last open time in milliseconds. */
    public double openMillis() {
        return openTime.totalTime(java.util.concurrent.TimeUnit.MILLISECONDS);
    }
}
