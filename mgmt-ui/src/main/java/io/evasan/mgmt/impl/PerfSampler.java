package io.evasan.mgmt.impl;

import io.evasan.mgmt.impl.PerfHistory.Resolution;
import io.evasan.scsi.target.ScsiStats;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Turns the cumulative per-LUN meters the SCSI target keeps ({@link ScsiStats}: {@code evasan.lun.*} tagged
 * {@code lun}) and the per-portal meters of the iSCSI portals ({@link ScsiStats#portMeters}: {@code evasan.port.*}
 * tagged {@code portal}) into history points: once per 10 s window it reads every LUN's and portal's counters and
 * latency histograms, writes the difference since the previous read as the 10 s point of series {@code lun/<name>}
 * or {@code port/<host:port>} (and the sum over all LUNs as {@code controller/<controller>}, the I/O this
 * controller's target served), and adds the same point
 * into the running 5 min point ({@link PerfHistory#addIo}). Nothing is read on the I/O path: the meters exist
 * already; this runs on the management timer.
 *
 * <p>Invariant: each command counted by the meters lands in exactly one 10 s point per series (the previous read is
 * the baseline of the next; a meter that went backwards — its LUN was deleted and recreated — counts from zero).
 */
final class PerfSampler {
    private final MeterRegistry registry;
    private final PerfHistory history;
    private final String controllerSeries;
    private final LongSupplier clock;
    private Map<String, PerfPoint> previous;
    private long window = Long.MIN_VALUE;
    private boolean warnedFull;

    PerfSampler(MeterRegistry registry, PerfHistory history, String controllerName, LongSupplier clock) {
        this.registry = registry;
        this.history = history;
        this.controllerSeries = "controller/" + controllerName;
        this.clock = clock;
    }

    /**
     * Samples when a new 10 s window began since the last call (the first call only takes the baseline).
     *
     * @return the number of series written (0 when the window has not changed)
     */
    synchronized int tick() {
        long now = clock.getAsLong();
        long w = Resolution.TEN_SECONDS.floor(now);
        if (w == window) {
            return 0;
        }
        Map<String, PerfPoint> current = read("evasan.lun", "lun", "lun/");
        current.putAll(read("evasan.port", "portal", "port/"));
        if (previous == null) {
            previous = current;
            window = w;
            return 0;
        }
        long start = w - Resolution.TEN_SECONDS.stepMillis();
        PerfPoint total = PerfPoint.empty(start);
        int written = 0;
        for (Map.Entry<String, PerfPoint> e : current.entrySet()) {
            PerfPoint d = delta(e.getValue(), previous.get(e.getKey()), start);
            if (e.getKey().startsWith("lun/")) {
                total = total.plus(d, start);
            }
            written += write(e.getKey(), d);
        }
        written += write(controllerSeries, total);
        previous = current;
        window = w;
        return written;
    }

    private int write(String series, PerfPoint p) {
        boolean ok = history.putIo(series, Resolution.TEN_SECONDS, p) && history.addIo(series, Resolution.FIVE_MINUTES, p);
        if (!ok && !warnedFull) {
            warnedFull = true;
            System.err.println("evasan mgmt: performance history is full; " + series + " and later new series are not kept");
        }
        return ok ? 1 : 0;
    }

    private static PerfPoint delta(PerfPoint now, PerfPoint before, long start) {
        if (before == null || now.reads() < before.reads() || now.writes() < before.writes()) {
            return now.plus(PerfPoint.empty(start), start);
        }
        long[] a = now.buckets();
        long[] b = before.buckets();
        for (int i = 0; i < a.length; i++) {
            a[i] = Math.max(0, a[i] - b[i]);
        }
        return new PerfPoint(start, now.reads() - before.reads(), now.writes() - before.writes(),
                Math.max(0, now.readBytes() - before.readBytes()), Math.max(0, now.writeBytes() - before.writeBytes()), a);
    }

    /** The cumulative counts of the {@code prefix.*} meters now, by series {@code series + <tag value>}. */
    private Map<String, PerfPoint> read(String prefix, String tag, String series) {
        Map<String, PerfPoint> out = new HashMap<>();
        for (Counter reads : registry.find(prefix + ".reads").counters()) {
            String lun = reads.getId().getTag(tag);
            if (lun == null) {
                continue;
            }
            Counter writes = registry.find(prefix + ".writes").tag(tag, lun).counter();
            Counter rb = registry.find(prefix + ".read.bytes").tag(tag, lun).counter();
            Counter wb = registry.find(prefix + ".write.bytes").tag(tag, lun).counter();
            Timer rl = registry.find(prefix + ".read.latency").tag(tag, lun).timer();
            Timer wl = registry.find(prefix + ".write.latency").tag(tag, lun).timer();
            if (lun == null || writes == null || rb == null || wb == null || rl == null || wl == null) {
                continue; // being registered or removed right now: next window
            }
            long[] buckets = buckets(rl);
            long[] w = buckets(wl);
            for (int i = 0; i < buckets.length; i++) {
                buckets[i] += w[i];
            }
            out.put(series + lun, new PerfPoint(0, (long) reads.count(), (long) writes.count(), (long) rb.count(),
                    (long) wb.count(), buckets));
        }
        return out;
    }

    /** The timer's cumulative histogram as non-cumulative counts over {@link ScsiStats#LATENCY_BUCKETS} plus overflow. */
    static long[] buckets(Timer t) {
        Duration[] bounds = ScsiStats.LATENCY_BUCKETS;
        long[] cumulative = new long[bounds.length];
        for (CountAtBucket c : t.takeSnapshot().histogramCounts()) {
            for (int i = 0; i < bounds.length; i++) {
                if ((long) c.bucket() == bounds[i].toNanos()) {
                    cumulative[i] = (long) c.count();
                }
            }
        }
        long[] out = new long[PerfPoint.BUCKETS];
        long below = 0;
        for (int i = 0; i < bounds.length; i++) {
            out[i] = Math.max(0, cumulative[i] - below);
            below = Math.max(below, cumulative[i]);
        }
        out[bounds.length] = Math.max(0, t.count() - below);
        return out;
    }
}
