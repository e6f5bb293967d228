package io.evasan.nsc.lun;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Host I/O meters of one LUN (Micrometer), tag {@code lun=<LUN name>}: counters
 * {@code evasan.lun.reads} / {@code evasan.lun.writes} (operations: IOPS as a rate),
 * {@code evasan.lun.read.bytes} / {@code evasan.lun.write.bytes}, and timers
 * {@code evasan.lun.read.latency} / {@code evasan.lun.write.latency} with a published histogram of
 * fixed latency buckets ({@link #LATENCY_BUCKETS}, 20 µs to 5 s: {@code _bucket} series that
 * Prometheus aggregates into percentiles across LUNs and scrapes, in every registry).
 *
 * <p>Invariants: all six meters are registered in the constructor (when the LUN is created or
 * opened) and held by the LUN's logical unit, so the I/O path only increments meters it already
 * holds (never a registry lookup by name); {@link #close()} removes exactly these six meters from
 * the registry (when the LUN is deleted), after which recording into this object no longer shows
 * in the registry.
 */
public final class LunStats implements AutoCloseable {
    /** Upper bounds of the published latency histogram's buckets. */
    public static final Duration[] LATENCY_BUCKETS = {
        Duration.ofNanos(20_000), Duration.ofNanos(50_000), Duration.ofNanos(100_000), Duration.ofNanos(200_000),
        Duration.ofNanos(500_000), Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5),
        Duration.ofMillis(10), Duration.ofMillis(20), Duration.ofMillis(50), Duration.ofMillis(100),
        Duration.ofMillis(200), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(5)};

    private final MeterRegistry registry;
    private final String lun;
    private final Counter reads;
    private final Counter writes;
    private final Counter readBytes;
    private final Counter writeBytes;
    private final Timer readLatency;
    private final Timer writeLatency;

    public LunStats(MeterRegistry registry, String lunName) {
        if (registry == null || lunName == null || lunName.isEmpty()) {
            throw new IllegalArgumentException("registry and LUN name are required");
        }
        this.registry = registry;
        this.lun = lunName;
        Tags tags = Tags.of("lun", lunName);
        reads = Counter.builder("evasan.lun.reads").description("host read commands").tags(tags).register(registry);
        writes = Counter.builder("evasan.lun.writes").description("host write commands").tags(tags).register(registry);
        readBytes = Counter.builder("evasan.lun.read.bytes").baseUnit("bytes").description("bytes read by hosts")
                .tags(tags).register(registry);
        writeBytes = Counter.builder("evasan.lun.write.bytes").baseUnit("bytes").description("bytes written by hosts")
                .tags(tags).register(registry);
        readLatency = Timer.builder("evasan.lun.read.latency").description("host read latency at the LUN")
                .tags(tags).serviceLevelObjectives(LATENCY_BUCKETS).register(registry);
        writeLatency = Timer.builder("evasan.lun.write.latency").description("host write latency at the LUN (cache ack)")
                .tags(tags).serviceLevelObjectives(LATENCY_BUCKETS).register(registry);
    }

    /** The LUN name of the {@code lun} tag. */
    public String lunName() {
        return lun;
    }

    /** One host read of {@code bytes} that took {@code nanos}. */
    public void recordRead(long bytes, long nanos) {
        reads.increment();
        readBytes.increment(bytes);
        readLatency.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** One host write of {@code bytes} that took {@code nanos}. */
    public void recordWrite(long bytes, long nanos) {
        writes.increment();
        writeBytes.increment(bytes);
        writeLatency.record(nanos, TimeUnit.NANOSECONDS);
    }

    public Counter reads() { return reads; }
    public Counter writes() { return writes; }
    public Counter readBytes() { return readBytes; }
    public Counter writeBytes() { return writeBytes; }
    public Timer readLatency() { return readLatency; }
    public Timer writeLatency() { return writeLatency; }

    /** Removes this LUN's meters from the registry (the LUN was deleted or its controller closed). */
    @Override
    public void close() {
        for (Meter m : List.of(reads, writes, readBytes, writeBytes, readLatency, writeLatency)) {
            registry.remove(m);
        }
    }
}
