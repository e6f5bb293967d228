package io.evasan.raid;

import io.evasan.raid.rstore.RaidLevel;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Micrometer meters of one disk group, all created up front (no lookup on the I/O path):
 * reads, writes and bytes per RAID level, degraded reads per level, unrecoverable reads, drive
 * errors, rebuild progress gauges, and the degraded RAID5 write journal (records written,
 * replayed at open, discarded at open). Tags: {@code group} and {@code level}.
 */
public final class RaidStats {
    private final MeterRegistry registry;
    private final Counter[] reads = new Counter[RaidLevel.values().length];
    private final Counter[] writes = new Counter[RaidLevel.values().length];
    private final Counter[] bytesRead = new Counter[RaidLevel.values().length];
    private final Counter[] bytesWritten = new Counter[RaidLevel.values().length];
    private final Counter[] degradedReads = new Counter[RaidLevel.values().length];
    private final Counter unrecoverableReads;
    private final Counter driveErrors;
    private final Counter rebuiltMembers;
    private final Counter journaledWrites;
    private final Counter journalReplayed;
    private final Counter journalDiscarded;
    private final Counter resyncStores;
    private final AtomicLong rebuildDone = new AtomicLong();
    private final AtomicLong rebuildTotal = new AtomicLong();

    public RaidStats(String group) {
        this(new SimpleMeterRegistry(), group);
    }

    public RaidStats(MeterRegistry registry, String group) {
        this.registry = registry;
        for (RaidLevel l : RaidLevel.values()) {
            int i = l.ordinal();
            String lv = l.name();
            reads[i] = Counter.builder("evasan.raid.reads").tag("group", group).tag("level", lv).register(registry);
            writes[i] = Counter.builder("evasan.raid.writes").tag("group", group).tag("level", lv).register(registry);
            bytesRead[i] = Counter.builder("evasan.raid.bytes.read").baseUnit("bytes").tag("group", group)
                    .tag("level", lv).register(registry);
            bytesWritten[i] = Counter.builder("evasan.raid.bytes.written").baseUnit("bytes").tag("group", group)
                    .tag("level", lv).register(registry);
            degradedReads[i] = Counter.builder("evasan.raid.degraded.reads").tag("group", group).tag("level", lv)
                    .register(registry);
        }
        unrecoverableReads = Counter.builder("evasan.raid.unrecoverable.reads").tag("group", group).register(registry);
        driveErrors = Counter.builder("evasan.raid.drive.errors").tag("group", group).register(registry);
        rebuiltMembers = Counter.builder("evasan.raid.rebuild.members").tag("group", group).register(registry);
        journaledWrites = Counter.builder("evasan.raid.journal.writes").tag("group", group)
                .description("degraded RAID5 row writes journaled before their in-place writes").register(registry);
        journalReplayed = Counter.builder("evasan.raid.journal.replayed").tag("group", group)
                .description("journal records replayed at open (writes interrupted by a crash)").register(registry);
        journalDiscarded = Counter.builder("evasan.raid.journal.discarded").tag("group", group)
                .description("journal records not replayed at open: torn, foreign or stale").register(registry);
        resyncStores = Counter.builder("evasan.raid.resync.rstores").tag("group", group)
                .description("RStores resynchronised after unclean stops (marked in the write-intent bitmap)")
                .register(registry);
        Gauge.builder("evasan.raid.rebuild.done", rebuildDone, AtomicLong::get).tag("group", group)
                .description("64 KiB rows rebuilt by the current/last rebuild").register(registry);
        // not "evasan.raid.rebuild.total": the Prometheus registry strips a trailing _total from a gauge's name
        Gauge.builder("evasan.raid.rebuild.total.rows", rebuildTotal, AtomicLong::get).tag("group", group)
                .description("64 KiB rows to rebuild in the current/last rebuild").register(registry);
    }

    public MeterRegistry registry() {
        return registry;
    }

    public void read(RaidLevel level, int bytes) {
        reads[level.ordinal()].increment();
        bytesRead[level.ordinal()].increment(bytes);
    }

    public void write(RaidLevel level, int bytes) {
        writes[level.ordinal()].increment();
        bytesWritten[level.ordinal()].increment(bytes);
    }

    public void degradedRead(RaidLevel level) {
        degradedReads[level.ordinal()].increment();
    }

    public void unrecoverableRead() {
        unrecoverableReads.increment();
    }

    public void driveError() {
        driveErrors.increment();
    }

    public void memberRebuilt() {
        rebuiltMembers.increment();
    }

    public void journaledWrite() {
        journaledWrites.increment();
    }

    public void journalReplay() {
        journalReplayed.increment();
    }

    public void journalDiscard(int n) {
        journalDiscarded.increment(n);
    }

    /** A resync after an unclean stop will cover {@code rstores} RStores (32 rows each). */
    public void resyncPlanned(int rstores) {
        resyncStores.increment(rstores);
    }

    public double resyncStores() {
        return resyncStores.count();
    }

    public double journaledWrites() {
        return journaledWrites.count();
    }

    public double journalReplayed() {
        return journalReplayed.count();
    }

    public double journalDiscarded() {
        return journalDiscarded.count();
    }

    public void rebuildProgress(long done, long total) {
        rebuildDone.set(done);
        rebuildTotal.set(total);
    }

    public double reads(RaidLevel level) {
        return reads[level.ordinal()].count();
    }

    public double writes(RaidLevel level) {
        return writes[level.ordinal()].count();
    }

    public double degradedReads(RaidLevel level) {
        return degradedReads[level.ordinal()].count();
    }

    public double driveErrors() {
        return driveErrors.count();
    }

    public double unrecoverableReads() {
        return unrecoverableReads.count();
    }
}
