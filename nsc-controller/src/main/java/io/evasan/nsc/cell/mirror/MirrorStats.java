package io.evasan.nsc.cell.mirror;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToDoubleFunction;

/**
 * The meters of one cache's mirror channel, all registered up front (tags {@code self}, {@code partner},
 * {@code cache}):
 * <ul>
 * <li>{@code evasan.cell.mirror.latency} (timer, percentile histogram, p50/p99): a batch handed to the channel
 *     until the partner acknowledged it — the mirror's share of a host write's latency;</li>
 * <li>{@code evasan.cell.mirror.backlog.bytes} / {@code evasan.cell.mirror.backlog.batches} (gauges): kept until
 *     acknowledged;</li>
 * <li>{@code evasan.cell.mirror.frames} (counter): frames sent, resends included;</li>
 * <li>{@code evasan.cell.mirror.resends} (counter): go-backs (sending again from the first unacknowledged
 *     message after a timeout or a GAP / DAMAGED answer);</li>
 * <li>{@code evasan.cell.mirror.timeouts} (counter): frames that got no answer in time (or no endpoint);</li>
 * <li>{@code evasan.cell.mirror.window.full} (counter): sends that had to wait for room in the window;</li>
 * <li>{@code evasan.cell.mirror.lost} (gauge): 1 once the partner is given up, else 0.</li>
 * </ul>
 */
public final class MirrorStats {
    public static final String LATENCY = "evasan.cell.mirror.latency";

    private final MeterRegistry registry;
    private final Timer latency;
    private final Counter frames;
    private final Counter resends;
    private final Counter timeouts;
    private final Counter windowFull;
    private final AtomicLong backlogBytes = new AtomicLong();
    private final AtomicLong backlogBatches = new AtomicLong();
    private final AtomicLong lost = new AtomicLong();

    /** Stats on a private {@link SimpleMeterRegistry}. */
    public MirrorStats(String self, String partner, String cache) {
        this(new SimpleMeterRegistry(), self, partner, cache);
    }

    public MirrorStats(MeterRegistry registry, String self, String partner, String cache) {
        this.registry = registry;
        String[] tags = {"self", self, "partner", partner, "cache", cache};
        ToDoubleFunction<AtomicLong> get = AtomicLong::doubleValue;
        latency = Timer.builder(LATENCY).tags(tags)
                .description("a cache mirror batch handed to the channel until the partner acknowledged it")
                .publishPercentileHistogram().publishPercentiles(0.5, 0.99).register(registry);
        Gauge.builder("evasan.cell.mirror.backlog.bytes", backlogBytes, get).tags(tags).baseUnit("bytes")
                .description("mirror bytes kept until the partner acknowledges them").register(registry);
        Gauge.builder("evasan.cell.mirror.backlog.batches", backlogBatches, get).tags(tags)
                .description("mirror batches kept until the partner acknowledges them").register(registry);
        frames = Counter.builder("evasan.cell.mirror.frames").tags(tags).register(registry);
        resends = Counter.builder("evasan.cell.mirror.resends").tags(tags)
                .description("go-backs: sent again from the first unacknowledged message").register(registry);
        timeouts = Counter.builder("evasan.cell.mirror.timeouts").tags(tags).register(registry);
        windowFull = Counter.builder("evasan.cell.mirror.window.full").tags(tags)
                .description("sends that waited for room in the unacknowledged window").register(registry);
        Gauge.builder("evasan.cell.mirror.lost", lost, get).tags(tags)
                .description("1 once the partner is given up (the cache runs unmirrored)").register(registry);
    }

    public MeterRegistry registry() { return registry; }

    void acknowledged(long nanos) { latency.record(nanos, TimeUnit.NANOSECONDS); }
    void backlog(long batches, long bytes) {
        backlogBatches.set(batches);
        backlogBytes.set(bytes);
    }
    void frameSent() { frames.increment(); }
    void resend() { resends.increment(); }
    void timeout() { timeouts.increment(); }
    void windowFull() { windowFull.increment(); }
    void lost() { lost.set(1); }

    public Timer latency() { return latency; }
    public long backlogBatches() { return backlogBatches.get(); }
    public long backlogBytes() { return backlogBytes.get(); }
    public long frames() { return (long) frames.count(); }
    public long resends() { return (long) resends.count(); }
    public long timeouts() { return (long) timeouts.count(); }
    public long windowFullWaits() { return (long) windowFull.count(); }
    public boolean isLost() { return lost.get() != 0; }
}
