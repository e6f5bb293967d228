package io.evasan.nsc.marker.impl;

import io.evasan.nsc.marker.MarkerSink;
import io.evasan.nsc.marker.SnapshotMarker;
import io.evasan.nsc.marker.SnapshotRequest;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Periodic snapshots (seed 000: "programmed to periodically take snapshots"; seed 002 claim 31):
 * every interval it inserts a marker for a fixed LUN set into a {@link MarkerSink}.
 *
 * <p>Invariants: at most one tick runs at a time (fixed-delay scheduling on one daemon thread);
 * request ids are {@code idBase + n} for the n-th tick (n from 1), names are
 * {@code namePrefix + "-" + n}; a failing tick is reported to the error handler and does not stop
 * later ticks; after {@link #close()} no further marker is inserted.
 */
public final class SnapshotScheduler implements AutoCloseable {
    private final MarkerSink sink;
    private final String namePrefix;
    private final SnapshotRequest.Kind kind;
    private final int[] lunIds;
    private final long idBase;
    private final Consumer<SnapshotMarker> onInserted;
    private final Consumer<Throwable> onError;
    private final AtomicLong ticks = new AtomicLong();
    private final ScheduledExecutorService exec;
    private final ScheduledFuture<?> task;

    /**
     * Starts the schedule; the first marker is inserted one interval from now.
     *
     * @param idBase     request ids are idBase + tick number (choose a range disjoint from API ids)
     * @param onInserted called with each inserted marker (e.g. to track {@link SnapshotMarker#taken()})
     * @param onError    called with anything a tick threw
     */
    public SnapshotScheduler(MarkerSink sink, long interval, TimeUnit unit, String namePrefix,
                             SnapshotRequest.Kind kind, long idBase, Consumer<SnapshotMarker> onInserted,
                             Consumer<Throwable> onError, int... lunIds) {
        if (interval <= 0) {
            throw new IllegalArgumentException("interval must be > 0: " + interval);
        }
        this.sink = sink;
        this.namePrefix = namePrefix;
        this.kind = kind;
        this.lunIds = lunIds.clone();
        this.idBase = idBase;
        this.onInserted = onInserted;
        this.onError = onError;
        // validate the LUN set and name once, up front
        new SnapshotRequest(idBase, namePrefix + "-0", kind, SnapshotRequest.Source.SCHEDULE, lunIds);
        this.exec = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "snapshot-scheduler-" + namePrefix);
            t.setDaemon(true);
            return t;
        });
        this.task = exec.scheduleWithFixedDelay(this::tick, interval, interval, unit);
    }

    private void tick() {
        long n = ticks.incrementAndGet();
        try {
            SnapshotMarker m = sink.insertMarker(new SnapshotRequest(idBase + n, namePrefix + "-" + n, kind,
                    SnapshotRequest.Source.SCHEDULE, lunIds));
            onInserted.accept(m);
        } catch (Throwable t) {
            onError.accept(t);
        }
    }

    /** Ticks run so far. */
    public long ticks() {
        return ticks.get();
    }

    @Override
    public void close() {
        task.cancel(false);
        exec.shutdown();
        try {
            exec.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
