package io.evasan.mgmt.impl;

import io.evasan.mgmt.impl.EventRecordDescriptor.Severity;
import io.evasan.nsc.api.DiskGroupView;
import io.evasan.nsc.api.HealthState;
import io.evasan.nsc.api.NscView;
import io.evasan.nsc.api.ObjectHealth;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Turns changes of the array's state into events of the {@link EventLog}: every health transition of an object
 * (a drive failed or restored, a LUN that lost data, a snapshot invalidated, a controller failed, the cache
 * unmirrored, ...), a rebuild started or finished, a disk group crossing {@link #THRESHOLDS} of its capacity
 * (up or back down), a leveling job started or ended, and a controller takeover. Called by the management layer's background timer.
 *
 * <p>Invariant: the first {@link #tick} only takes the baseline (nothing is logged for the state found at start);
 * every later tick logs each change since the previous tick exactly once. An object that appears counts as having
 * been OK (a LUN created and failed between two ticks is logged); one that disappears is not a transition (its
 * deletion is audited where it is made).
 */
final class EventWatcher {
    /** Capacity thresholds, per cent of a disk group's PSEGs in use. */
    static final int[] THRESHOLDS = {80, 90};

    private final EventLog log;
    private final Supplier<List<ObjectHealth>> health;
    private final Supplier<List<DiskGroupView>> groups;
    private final Supplier<List<NscView>> nscs;
    private Map<String, ObjectHealth> lastHealth;
    private final Map<Integer, Boolean> lastRebuild = new HashMap<>();
    private final Map<Integer, Integer> lastLevel = new HashMap<>();
    private final Map<String, Long> lastTakeovers = new HashMap<>();
    private final java.util.function.IntFunction<java.util.Optional<io.evasan.nsc.api.LevelingView>> leveling;
    /** Per group: the leveling job last seen and whether it had ended then. */
    private final Map<Integer, io.evasan.nsc.api.LevelingView> lastLeveling = new HashMap<>();

    EventWatcher(EventLog log, Supplier<List<ObjectHealth>> health, Supplier<List<DiskGroupView>> groups,
                 Supplier<List<NscView>> nscs) {
        this(log, health, groups, nscs, g -> java.util.Optional.empty());
    }

    EventWatcher(EventLog log, Supplier<List<ObjectHealth>> health, Supplier<List<DiskGroupView>> groups,
                 Supplier<List<NscView>> nscs,
                 java.util.function.IntFunction<java.util.Optional<io.evasan.nsc.api.LevelingView>> leveling) {
        this.log = log;
        this.health = health;
        this.groups = groups;
        this.nscs = nscs;
        this.leveling = leveling;
    }

    /**
     * A leveling job of {@code g} new since the last tick is "started" (and "ended" too when it already ended); one
     * seen running that ended since is "ended": BALANCED is INFO, STOPPED INFO, STUCK / FAILED a WARNING with why.
     */
    private int levelingEvents(DiskGroupView g, boolean baseline) {
        io.evasan.nsc.api.LevelingView now = leveling.apply(g.id()).orElse(null);
        io.evasan.nsc.api.LevelingView before = now == null ? lastLeveling.get(g.id()) : lastLeveling.put(g.id(), now);
        if (baseline || now == null) {
            return 0;
        }
        int n = 0;
        boolean isNew = before == null || before.job() != now.job();
        if (isNew) {
            log.append(Severity.INFO, "leveling", "disk-group " + g.name(), "", "leveling started");
            n++;
        }
        if (now.finished() && (isNew || !before.finished())) {
            boolean bad = now.state().equals("STUCK") || now.state().equals("FAILED");
            log.append(bad ? Severity.WARNING : Severity.INFO, "leveling", "disk-group " + g.name(), "",
                    "leveling ended " + now.state() + ": " + now.movesDone() + " move(s), " + now.bytesMoved() + " bytes moved"
                            + (bad && now.lastError() != null ? "; " + now.lastError() : ""));
            n++;
        }
        return n;
    }

    /** Compares the state now with the previous tick's and logs what changed; returns how many events it logged. */
    synchronized int tick() {
        boolean baseline = lastHealth == null;
        int n = 0;
        Map<String, ObjectHealth> now = new HashMap<>();
        for (ObjectHealth o : health.get()) {
            now.put(o.kind() + "/" + o.id(), o);
        }
        if (!baseline) {
            for (Map.Entry<String, ObjectHealth> e : now.entrySet()) {
                ObjectHealth before = lastHealth.get(e.getKey());
                HealthState was = before == null ? HealthState.OK : before.state();   // a new object starts OK
                ObjectHealth o = e.getValue();
                if (was != o.state()) {
                    log.append(severity(o.state()), category(o), o.kind() + " " + o.name(), "",
                            was + " -> " + o.state() + (o.reason().isEmpty() ? "" : ": " + o.reason()));
                    n++;
                }
            }
        }
        lastHealth = now;
        for (DiskGroupView g : groups.get()) {
            Boolean was = lastRebuild.put(g.id(), g.rebuildInProgress());
            if (!baseline && was != null && was != g.rebuildInProgress()) {
                log.append(Severity.INFO, "rebuild", "disk-group " + g.name(), "",
                        g.rebuildInProgress() ? "rebuild started" : "rebuild finished");
                n++;
            }
            n += levelingEvents(g, baseline);
            long used = g.totalPsegs() == 0 ? 0 : (g.totalPsegs() - g.freePsegs()) * 100 / g.totalPsegs();
            int level = 0;
            while (level < THRESHOLDS.length && used >= THRESHOLDS[level]) {
                level++;
            }
            Integer before = lastLevel.put(g.id(), level);
            if (!baseline && before != null && before != level) {
                n++;
                if (level > before) {
                    log.append(level == THRESHOLDS.length ? Severity.CRITICAL : Severity.WARNING, "capacity",
                            "disk-group " + g.name(), "", used + " % full: crossed " + THRESHOLDS[level - 1] + " %");
                } else {
                    log.append(Severity.INFO, "capacity", "disk-group " + g.name(), "",
                            used + " % full: back below " + THRESHOLDS[level] + " %");
                }
            }
        }
        for (NscView v : nscs.get()) {
            Long was = lastTakeovers.put(v.id().name(), v.takeovers());
            if (!baseline && was != null && v.takeovers() > was) {
                log.append(Severity.CRITICAL, "controller", "controller " + v.id().name(), "",
                        "took over its partner's LUNs (failover; " + v.takeovers() + " takeover(s) so far)");
                n++;
            }
        }
        return n;
    }

    static Severity severity(HealthState s) {
        return s == HealthState.FAILED ? Severity.CRITICAL : s == HealthState.DEGRADED ? Severity.WARNING : Severity.INFO;
    }

    /** The event category of a health transition: the object's kind for drives, snapshots, controllers and the cache. */
    static String category(ObjectHealth o) {
        switch (o.kind()) {
            case "drive":
            case "snapshot":
            case "controller":
            case "cache":
                return o.kind();
            default:
                return "health";
        }
    }
}
