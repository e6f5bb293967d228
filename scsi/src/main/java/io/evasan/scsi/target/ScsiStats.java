package io.evasan.scsi.target;

import io.evasan.scsi.lu.LogicalUnit;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The one set of per-LU host I/O meters of the appliance (Micrometer), recorded by the SCSI target
 * where every host command of every LU passes (READ / WRITE / WRITE SAME / WRITE ATOMIC / COMPARE AND
 * WRITE / EXTENDED COPY …, whatever the LU behind it), tagged {@code lun=<meter name>} (by default the LU's
 * {@linkplain LogicalUnit#name() name}): counters {@code evasan.lun.reads} / {@code evasan.lun.writes}
 * (commands: IOPS as a rate), {@code evasan.lun.read.bytes} / {@code evasan.lun.write.bytes}, timers
 * {@code evasan.lun.read.latency} / {@code evasan.lun.write.latency} with a published histogram of fixed
 * buckets ({@link #LATENCY_BUCKETS}, 20 µs to 5 s), and {@code evasan.lun.check.conditions}. A command is
 * counted once, when it completes GOOD; a failed one counts as a CHECK CONDITION instead.
 *
 * <p>Invariants: at most one {@link LuStats} per LU object (by identity) at a time, created by
 * {@link #register} (by the LU's owner when it creates the LU, or by the target when the LU is first
 * presented), so the I/O path only increments meters it already holds; {@link #remove} (the LU was
 * deleted) takes exactly that LU's meters out of the registry.
 */
public final class ScsiStats {
    /** Upper bounds of the published latency histogram's buckets. */
    public static final Duration[] LATENCY_BUCKETS = {
        Duration.ofNanos(20_000), Duration.ofNanos(50_000), Duration.ofNanos(100_000), Duration.ofNanos(200_000),
        Duration.ofNanos(500_000), Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5),
        Duration.ofMillis(10), Duration.ofMillis(20), Duration.ofMillis(50), Duration.ofMillis(100),
        Duration.ofMillis(200), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(5)};

    private final MeterRegistry registry;
    private final Map<LogicalUnit, LuStats> byUnit = new ConcurrentHashMap<>();

    public ScsiStats(MeterRegistry registry) {
        if (registry == null) {
            throw new IllegalArgumentException("registry is required");
        }
        this.registry = registry;
    }

    public ScsiStats() {
        this(new SimpleMeterRegistry());
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** Creates (or returns) the meters of an LU, tagged with its name. */
    public LuStats register(LogicalUnit lu) {
        return register(lu, lu.name());
    }

    /**
     * Creates (or returns) the meters of an LU tagged {@code lun=meterName} (an owner whose LUs may share a
     * name, e.g. a snapshot named like a LUN, picks distinct meter names). An LU already registered keeps
     * its meters and name.
     */
    public LuStats register(LogicalUnit lu, String meterName) {
        if (meterName == null || meterName.isEmpty()) {
            throw new IllegalArgumentException("meter name is required");
        }
        return byUnit.computeIfAbsent(lu, k -> new LuStats(registry, meterName));
    }

    /** The meters of a registered LU, or null. */
    public LuStats of(LogicalUnit lu) {
        return byUnit.get(lu);
    }

    /** Removes the LU's meters from the registry (the LU was deleted); nothing if it has none. */
    public void remove(LogicalUnit lu) {
        LuStats s = byUnit.remove(lu);
        if (s != null) {
            s.close();
        }
    }

    /**
     * The same seven meters for a host port (an iSCSI portal, an FC port) instead of an LU: {@code evasan.port.*}
     * tagged {@code portal=<name>}, recorded by the transport for every command it completes on that port.
     * {@link LuStats#close()} removes them.
     */
    public static LuStats portMeters(MeterRegistry r, String portal) {
        if (portal == null || portal.isEmpty()) {
            throw new IllegalArgumentException("portal name is required");
        }
        return new LuStats(r, "evasan.port", "portal", portal);
    }

    /** Removes the meters of every registered LU (the owner of the target closed). */
    public void removeAll() {
        for (LogicalUnit lu : List.copyOf(byUnit.keySet())) {
            remove(lu);
        }
    }

    /**
     * Meters of one LU. Invariant: all seven are registered in the constructor; {@link #close()} removes
     * exactly these seven (with a registry's synthetic histogram meters), after which recording into this
     * object no longer shows in the registry.
     */
    public static final class LuStats {
        private final MeterRegistry registry;
        private final String lun;
        private final Counter reads;
        private final Counter writes;
        private final Counter readBytes;
        private final Counter writeBytes;
        private final Timer readLatency;
        private final Timer writeLatency;
        private final Counter checkConditions;

        LuStats(MeterRegistry r, String lun) {
            this(r, "evasan.lun", "lun", lun);
        }

        LuStats(MeterRegistry r, String prefix, String tag, String name) {
            this.registry = r;
            this.lun = name;
            Tags tags = Tags.of(tag, name);
            reads = Counter.builder(prefix + ".reads").description("host read commands").tags(tags).register(r);
            writes = Counter.builder(prefix + ".writes").description("host write commands").tags(tags).register(r);
            readBytes = Counter.builder(prefix + ".read.bytes").baseUnit("bytes").description("bytes read by hosts")
                    .tags(tags).register(r);
            writeBytes = Counter.builder(prefix + ".write.bytes").baseUnit("bytes").description("bytes written by hosts")
                    .tags(tags).register(r);
            readLatency = Timer.builder(prefix + ".read.latency").description("host read latency at the SCSI target")
                    .tags(tags).serviceLevelObjectives(LATENCY_BUCKETS).register(r);
            writeLatency = Timer.builder(prefix + ".write.latency")
                    .description("host write latency at the SCSI target (cache ack; FUA: stable)")
                    .tags(tags).serviceLevelObjectives(LATENCY_BUCKETS).register(r);
            checkConditions = Counter.builder(prefix + ".check.conditions")
                    .description("commands answered CHECK CONDITION").tags(tags).register(r);
        }

        /** The {@code lun} tag of these meters. */
        public String lunName() {
            return lun;
        }

        /** One host read command of {@code bytes} that took {@code nanos}. */
        public void recordRead(long bytes, long nanos) {
            reads.increment();
            readBytes.increment(bytes);
            readLatency.record(nanos, TimeUnit.NANOSECONDS);
        }

        /** One host write command of {@code bytes} that took {@code nanos}. */
        public void recordWrite(long bytes, long nanos) {
            writes.increment();
            writeBytes.increment(bytes);
            writeLatency.record(nanos, TimeUnit.NANOSECONDS);
        }

        /** One command answered CHECK CONDITION. */
        public void recordCheckCondition() {
            checkConditions.increment();
        }

        public Counter reads() { return reads; }
        public Counter writes() { return writes; }
        public Counter readBytes() { return readBytes; }
        public Counter writeBytes() { return writeBytes; }
        public Timer readLatency() { return readLatency; }
        public Timer writeLatency() { return writeLatency; }
        public Counter checkConditions() { return checkConditions; }

        /** Takes these meters out of the registry. */
        public void close() {
            for (Meter m : List.of(reads, writes, readBytes, writeBytes, readLatency, writeLatency, checkConditions)) {
                registry.remove(m);
            }
        }
    }
}
