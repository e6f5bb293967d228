package io.evasan.nsc.cache;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToDoubleFunction;

/**
 * The cache's meters, all registered up front (tag {@code cache=<name>}):
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
 * Invariant: recording never allocates beyond what the registry's meters do; the gauges read the
 * cache's own counters.
 */
public final class CacheStats {
    private final MeterRegistry registry;
    private final AtomicLong dirtyBytes = new AtomicLong();
    private final AtomicLong capacityBytes = new AtomicLong();
    private final Counter destagedBytes;
    private final Counter destagedWrites;
    private final Counter destageErrors;
    private final Counter destageLostBytes;
    private final Timer ackLatency;
    private final Timer markerLatency;
    private final Counter backPressureWaits;
    private final Timer backPressureWait;
    private final AtomicLong backPressureWaitCount = new AtomicLong();

    /** Stats on a private {@link SimpleMeterRegistry}. */
    public CacheStats(String cacheName) {
        this(new SimpleMeterRegistry(), cacheName);
    }

    public CacheStats(MeterRegistry registry, String cacheName) {
        this.registry = registry;
        String[] tags = {"cache", cacheName};
        ToDoubleFunction<AtomicLong> get = AtomicLong::doubleValue;
        Gauge.builder("evasan.cache.dirty.bytes", dirtyBytes, get).tags(tags).baseUnit("bytes").register(registry);
        Gauge.builder("evasan.cache.capacity.bytes", capacityBytes, get).tags(tags).baseUnit("bytes").register(registry);
        destagedBytes = Counter.builder("evasan.cache.destaged.bytes").tags(tags).baseUnit("bytes").register(registry);
        destagedWrites = Counter.builder("evasan.cache.destaged.writes").tags(tags).register(registry);
        destageErrors = Counter.builder("evasan.cache.destage.errors").tags(tags).register(registry);
        destageLostBytes = Counter.builder("evasan.cache.destage.lost.bytes").tags(tags).baseUnit("bytes")
                .description("bytes of acknowledged writes given up because their backend lost its data").register(registry);
        ackLatency = Timer.builder("evasan.cache.ack.latency").tags(tags).publishPercentiles(0.5, 0.99)
                .register(registry);
        markerLatency = Timer.builder("evasan.cache.marker.latency").tags(tags).register(registry);
        backPressureWaits = Counter.builder("evasan.cache.backpressure.waits").tags(tags).register(registry);
        backPressureWait = Timer.builder("evasan.cache.backpressure.wait").tags(tags).register(registry);
    }

    public MeterRegistry registry() { return registry; }

    public void setCapacity(long bytes) { capacityBytes.set(bytes); }
    public void addDirty(long delta) { dirtyBytes.addAndGet(delta); }

    public void destaged(int bytes) {
        destagedBytes.increment(bytes);
        destagedWrites.increment();
    }

    public void destageError() { destageErrors.increment(); }
    /** A write of {@code bytes} was given up after bounded attempts: its backend lost the data. */
    public void destageLost(int bytes) { destageLostBytes.increment(bytes); }
    public double destageLostBytes() { return destageLostBytes.count(); }
    public void ack(long nanos) { ackLatency.record(nanos, TimeUnit.NANOSECONDS); }
    public void marker(long nanos) { markerLatency.record(nanos, TimeUnit.NANOSECONDS); }

    public void backPressure(long nanos) {
        backPressureWaits.increment();
        backPressureWaitCount.incrementAndGet();
        backPressureWait.record(nanos, TimeUnit.NANOSECONDS);
    }

    public long dirtyBytes() { return dirtyBytes.get(); }
    public double destagedBytes() { return destagedBytes.count(); }
    public double destagedWrites() { return destagedWrites.count(); }
    public double destageErrors() { return destageErrors.count(); }
    public long backPressureWaits() { return backPressureWaitCount.get(); }
    public Timer ackLatency() { return ackLatency; }
    public Timer markerLatency() { return markerLatency; }
    public Timer backPressureWait() { return backPressureWait; }
}
