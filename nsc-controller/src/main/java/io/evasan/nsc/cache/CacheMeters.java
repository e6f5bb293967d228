package io.evasan.nsc.cache;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * The meters of one cache name in a registry (tag {@code cache=<name>}), registered once and fed by whichever
 * cache generation is current: a controller that restarts opens a new cache under the same name, and a registry
 * keeps the first registration of a meter id (a second {@code register} returns the first meter; for a gauge,
 * still bound to the first cache's state). {@link #nextGeneration} gives each new cache its {@link CacheStats}.
 *
 * <p>Invariant: the gauges ({@code evasan.cache.dirty.bytes}, {@code evasan.cache.capacity.bytes}) read the
 * current generation (the last {@link #nextGeneration}; 0 before the first); the counters and timers are the same
 * meters for every generation, so they count the name's events across restarts (their rates stay continuous).
 */
public final class CacheMeters {
    private final MeterRegistry registry;
    final Counter destagedBytes;
    final Counter destagedWrites;
    final Counter destageErrors;
    final Counter destageLostBytes;
    final Timer ackLatency;
    final Timer markerLatency;
    final Counter backPressureWaits;
    final Timer backPressureWait;
    private volatile CacheStats current;

    public CacheMeters(MeterRegistry registry, String cacheName) {
        this.registry = registry;
        String[] tags = {"cache", cacheName};
        Gauge.builder("evasan.cache.dirty.bytes", this, m -> m.current == null ? 0 : m.current.dirtyBytes())
                .tags(tags).baseUnit("bytes").strongReference(true).register(registry);
        Gauge.builder("evasan.cache.capacity.bytes", this, m -> m.current == null ? 0 : m.current.capacityBytes())
                .tags(tags).baseUnit("bytes").strongReference(true).register(registry);
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

    /** The stats of the name's next cache; from now on the gauges read it. */
    public CacheStats nextGeneration() {
        return new CacheStats(this);
    }

    void current(CacheStats generation) {
        current = generation;
    }

    MeterRegistry registry() {
        return registry;
    }
}
