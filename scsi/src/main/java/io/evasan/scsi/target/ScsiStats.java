package io.evasan.scsi.target;

import io.evasan.scsi.lu.LogicalUnit;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Per-LU SCSI I/O metrics (Micrometer): read/write operation and byte counters and latency
 * timers, tagged {@code lu=<name>}. Meters are created once when the LU is registered, so the
 * I/O path only increments preexisting meters.
 *
 * <p>Invariant: one {@link LuStats} per LU name for the registry's lifetime.
 */
public final class ScsiStats {
    private final MeterRegistry registry;
    private final Map<String, LuStats> byName = new ConcurrentHashMap<>();

    public ScsiStats(MeterRegistry registry) {
        this.registry = registry;
    }

    public ScsiStats() {
        this(new SimpleMeterRegistry());
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** Creates (or returns) the meters of an LU. */
    public LuStats register(LogicalUnit lu) {
        return byName.computeIfAbsent(lu.name(), n -> new LuStats(registry, n));
    }

    /** The meters of a registered LU, or null. */
    public LuStats of(String luName) {
        return byName.get(luName);
    }

    /** Meters of one LU. */
    public static final class LuStats {
        public final Counter readOps;
        public final Counter readBytes;
        public final Counter writeOps;
        public final Counter writeBytes;
        public final Timer readLatency;
        public final Timer writeLatency;
        public final Counter checkConditions;

        LuStats(MeterRegistry r, String lu) {
            readOps = Counter.builder("evasan.scsi.read.ops").tag("lu", lu).register(r);
            readBytes = Counter.builder("evasan.scsi.read.bytes").baseUnit("bytes").tag("lu", lu).register(r);
            writeOps = Counter.builder("evasan.scsi.write.ops").tag("lu", lu).register(r);
            writeBytes = Counter.builder("evasan.scsi.write.bytes").baseUnit("bytes").tag("lu", lu).register(r);
            readLatency = Timer.builder("evasan.scsi.read.latency").tag("lu", lu).register(r);
            writeLatency = Timer.builder("evasan.scsi.write.latency").tag("lu", lu).register(r);
            checkConditions = Counter.builder("evasan.scsi.check.conditions").tag("lu", lu).register(r);
        }

        public void recordRead(long bytes, long nanos) {
            readOps.increment();
            readBytes.increment(bytes);
            readLatency.record(nanos, TimeUnit.NANOSECONDS);
        }

        public void recordWrite(long bytes, long nanos) {
            writeOps.increment();
            writeBytes.increment(bytes);
            writeLatency.record(nanos, TimeUnit.NANOSECONDS);
        }
    }
}
