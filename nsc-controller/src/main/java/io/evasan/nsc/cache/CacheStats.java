package io.evasan.nsc.cache;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One cache's counters and its share of the meters of its name ({@link CacheMeters}, tag {@code cache=<name>}):
 * <ul>
 * <li>{@code evasan.cache.dirty.bytes} (gauge): acknowledged bytes not yet destaged;</li>
 * <li>{@code evasan.cache.capacity.bytes} (gauge);</li>
 * <li>{@code evasan.cache.destaged.bytes} / {@code evasan.cache.destaged.writes} (counters; the
 *     destage rate is their rate);</li>
 * <li>{@code evasan.cache.destage.errors} (counter): backend failures, each retried;</li>
 * <li>{@code evasan.cache.ack.latency} (timer): write call to acknowledgement;</li>
 * <li>{@code evasan.cache.marker.latency} (timer): marker insertion to snapshot taken;</li>
 * <li>{@code evasan.cache.backpressure.waits} (counter) and {@code evasan.cache.backpressure.wait}
 *     (timer): writes that had to wait for room, and how long.</li>
 * </ul>
 * Invariant: recording never allocates beyond what the registry's meters do; the gauges read this cache's own
 * counters while it is its name's current generation; the counters and timers are shared by the name's generations
 * (so the accessors below that read them count across a controller's restarts).
 */
public final class CacheStats {
    private final CacheMeters meters;
    private final AtomicLong dirtyBytes = new AtomicLong();
    private final AtomicLong capacityBytes = new AtomicLong();
    private final AtomicLong backPressureWaitCount = new AtomicLong();

    /** Stats on a private {@link SimpleMeterRegistry}. */
    public CacheStats(String cacheName) {
        this(new SimpleMeterRegistry(), cacheName);
    }

    /**
     * The one cache of {@code cacheName} in {@code registry} (a name whose cache is reopened, as a restarted
     * controller's is, takes each generation's stats from one {@link CacheMeters}).
     */
    public CacheStats(MeterRegistry registry, String cacheName) {
        this(new CacheMeters(registry, cacheName));
    }

    /** The next generation of {@code meters}' name: from now on its gauges read this ({@link CacheMeters#nextGeneration}). */
    CacheStats(CacheMeters meters) {
        this.meters = meters;
        meters.current(this);   // last: the gauges see every field set
    }

    public MeterRegistry registry() { return meters.registry(); }

    public void setCapacity(long bytes) { capacityBytes.set(bytes); }
    public void addDirty(long delta) { dirtyBytes.addAndGet(delta); }

    public void destaged(int bytes) {
        meters.destagedBytes.increment(bytes);
        meters.destagedWrites.increment();
    }

    public void destageError() { meters.destageErrors.increment(); }
    /** A write of {@code bytes} was given up after bounded attempts: its backend lost the data. */
    public void destageLost(int bytes) { meters.destageLostBytes.increment(bytes); }
    public double destageLostBytes() { return meters.destageLostBytes.count(); }
    public void ack(long nanos) { meters.ackLatency.record(nanos, TimeUnit.NANOSECONDS); }
    public void marker(long nanos) { meters.markerLatency.record(nanos, TimeUnit.NANOSECONDS); }

    public void backPressure(long nanos) {
        meters.backPressureWaits.increment();
        backPressureWaitCount.incrementAndGet();
        meters.backPressureWait.record(nanos, TimeUnit.NANOSECONDS);
    }

    public long dirtyBytes() { return dirtyBytes.get(); }
    public long capacityBytes() { return capacityBytes.get(); }
    public double destagedBytes() { return meters.destagedBytes.count(); }
    public double destagedWrites() { return meters.destagedWrites.count(); }
    public double destageErrors() { return meters.destageErrors.count(); }
    public long backPressureWaits() { return backPressureWaitCount.get(); }
    public Timer ackLatency() { return meters.ackLatency; }
    public Timer markerLatency() { return meters.markerLatency; }
    public Timer backPressureWait() { return meters.backPressureWait; }
}
