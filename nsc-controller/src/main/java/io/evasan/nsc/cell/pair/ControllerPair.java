package io.evasan.nsc.cell.pair;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.api.DrillReport;
import io.evasan.nsc.api.FailoverMode;
import io.evasan.nsc.api.LunOwnership;
import io.evasan.nsc.api.NscId;
import io.evasan.nsc.api.NscState;
import io.evasan.nsc.api.NscView;
import io.evasan.nsc.cache.CacheConfig;
import io.evasan.nsc.cache.CacheMeters;
import io.evasan.nsc.cache.CacheStats;
import io.evasan.nsc.cache.DestageTarget;
import io.evasan.nsc.cache.WriteCache;
import io.evasan.nsc.cache.impl.MirrorReplica;
import io.evasan.nsc.cache.impl.WriteBackCache;
import io.evasan.nsc.cell.heartbeat.PartnerEvent;
import io.evasan.nsc.cell.heartbeat.PartnerMonitor;
import io.evasan.nsc.cell.heartbeat.PartnerState;
import io.evasan.nsc.marker.SnapshotAction;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The storage cell's two controllers, A and B, over one backend: each has its own write-back cache with its own
 * non-volatile log, mirrored into a replica its partner holds, and owns a share of the units ({@link PairedCaches}
 * routes every call to the owner). A heartbeat of the pair's own on the event bus detects a crashed or hung
 * controller; the survivor then fences it, replays its mirrored cache (writes and markers, in order) and takes
 * its units. A controller that comes back takes a fresh mirror of its partner's cache and gets back the units that
 * prefer it with {@link FailoverMode#FAILOVER_FAILBACK}.
 *
 * <p>Invariants:
 * <ul>
 * <li>A host write is acknowledged only once the partner's replica holds it (while the partner is up), so every
 *     acknowledged write is in the survivor's replica or already in the backend when the owner dies.</li>
 * <li>Takeover order: the dead controller is fenced (no backend call of its own under way or to come), its cache
 *     halted (waiters fail, and are carried over to the survivor), its replica replayed by the survivor, and only
 *     then its units change owner (stored first, see {@link OwnershipTable}); calls on those units wait meanwhile.</li>
 * <li>At most one takeover decides between the two ({@code arbiter}, the embedded stand-in for the quorum-disk
 *     lease): when both see the other dead (a partition), the first claim wins and the loser is fenced and halted,
 *     so no unit ever has two writers.</li>
 * <li>At open, a controller's log replays only the units it owns: the rest were taken over by its partner.</li>
 * <li>Each mirror link's address is this pair's alone ({@code incarnation} and the cache's generation), so a replica
 *     receives the messages of exactly one cache.</li>
 * </ul>
 */
public final class ControllerPair implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ControllerPair.class.getName());

    /** Pairs made in this process so far: each names its mirror links with its own number. */
    private static final AtomicLong PAIRS = new AtomicLong();

    private final PairOptions options;
    /**
     * This pair among every pair that shares the event bus ("p" pid "i" number): each mirror link's address carries
     * it, so no link reaches the replica endpoint of an earlier pair that outlived it (a cell that crashed and was
     * reopened on the same bus: that endpoint would take every other frame and acknowledge messages the new replica
     * never holds, and the survivor's replay would miss them).
     */
    private final String incarnation = "p" + ProcessHandle.current().pid() + "i" + PAIRS.incrementAndGet();
    private final OwnershipTable table;
    private final Map<NscId, Nsc> nscs = new EnumMap<>(NscId.class);
    private final Object arbiter = new Object();
    /** Two threads: a standby contending for the lease must not hold up its partner's takeover of it. */
    private final java.util.concurrent.ScheduledExecutorService failovers = Executors.newScheduledThreadPool(2, r -> {
        Thread t = new Thread(r, "evasan-cell-failover");
        t.setDaemon(true);
        return t;
    });
    private final List<Drill> drills = new ArrayList<>();
    /** Runs the access-state listeners, one change at a time, off every caller's locks. */
    private final ExecutorService notifier = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "evasan-cell-notify");
        t.setDaemon(true);
        return t;
    });
    private final java.util.concurrent.CopyOnWriteArrayList<PairListener> listeners =
            new java.util.concurrent.CopyOnWriteArrayList<>();
    private final java.util.concurrent.CopyOnWriteArrayList<Runnable> accessListeners =
            new java.util.concurrent.CopyOnWriteArrayList<>();
    private final java.util.concurrent.atomic.AtomicBoolean notifyQueued = new java.util.concurrent.atomic.AtomicBoolean();
    private final AtomicLong drillIds = new AtomicLong();
    private final Timer takeoverTimer;
    private final Counter takeoverCounter;
    /** The quorum lease deciding who may write when the two cannot talk; null without one (tests without drives). */
    private final PairLease lease;
    private PairedCaches caches;
    private DestageTarget backend;
    private SnapshotAction action;
    private volatile boolean closed;
    /** This open is a clustered takeover: the dead leader's logs are set aside, not replayed ({@link #adopt}). */
    private volatile boolean settingAside;
    /** Drops the pair's own messages (heartbeat, mirror) between the two for the partition drill; null without a bus. */
    private io.evasan.nsc.cell.heartbeat.LinkSwitch links;

    /** One controller's half of the data path. */
    private final class Nsc {
        final NscId id;
        volatile NscState state = NscState.ONLINE;
        volatile WriteBackCache cache;
        volatile FencedDestage fence;
        /** The link this controller's cache mirrors over (to the replica its partner holds). */
        volatile MirrorLink link;
        /** Generation of this controller's cache (a restart opens the next), naming its mirror link. */
        int generation;
        volatile PartnerMonitor monitor;
        volatile String monitorDeployment;
        /** Whether its heartbeat monitor started with the cell (the boot grace applies) rather than at a restart. */
        volatile boolean bootMonitor;
        final AtomicLong takeovers = new AtomicLong();
        /** Its caches' meters (with a registry): registered with its first cache, fed by each one after it. */
        CacheMeters meters;

        Nsc(NscId id) {
            this.id = id;
        }

        String name() {
            return "nsc-" + id.name().toLowerCase();
        }

        Path directory() {
            return options.stateDirectory().resolve(name());
        }
    }

    /** One drill, filled in as it progresses. */
    private static final class Drill {
        final long id;
        final String kind;
        /** The controller that went down (for a partition: the one that lost the race, once known). */
        volatile NscId target;
        final long startedAtMillis = System.currentTimeMillis();
        final long t0 = System.nanoTime();
        volatile long detectedNanos = -1;
        volatile long takenOverNanos = -1;
        volatile long firstIoNanos = -1;
        volatile int unitsMoved;
        volatile String outcome = "running";
        /** The drill verifier's counts (0 without one), set once it read back. */
        volatile long writesAcknowledged;
        volatile long writesVerified;
        volatile long lostWrites;

        Drill(long id, String kind, NscId target) {
            this.id = id;
            this.kind = kind;
            this.target = target;
        }

        DrillReport report() {
            return new DrillReport(id, kind, target, startedAtMillis, ms(detectedNanos), ms(takenOverNanos),
                    ms(firstIoNanos), unitsMoved, writesAcknowledged, writesVerified, lostWrites, outcome);
        }

        private long ms(long at) {
            return at < 0 ? -1 : TimeUnit.NANOSECONDS.toMillis(at - t0);
        }
    }

    public ControllerPair(PairOptions options) {
        this.options = options;
        this.lease = options.leaseStore() == null ? null : new PairLease(options.leaseStore(),
                options.heartbeatTimeoutMillis());
        this.table = new OwnershipTable(options.records());
        table.onChange(this::accessChanged);
        for (NscId id : NscId.values()) {
            nscs.put(id, new Nsc(id));
        }
        if (options.registry() != null) {
            takeoverTimer = Timer.builder("evasan.cell.takeover").description("from the decision to take a dead "
                    + "partner's units over to serving them").publishPercentileHistogram().register(options.registry());
            takeoverCounter = Counter.builder("evasan.cell.failovers").description("takeovers of a partner's units")
                    .register(options.registry());
            for (NscId id : NscId.values()) {
                Gauge.builder("evasan.cell.nsc.online", this, p -> p.nscs.get(id).state == NscState.ONLINE ? 1 : 0)
                        .tag("nsc", id.name()).register(options.registry());
                Gauge.builder("evasan.cell.nsc.dirty.bytes", this, p -> {
                    WriteBackCache c = p.nscs.get(id).cache;
                    return c == null || c.halted() ? 0 : c.dirtyBytes();
                }).tag("nsc", id.name()).register(options.registry());
                if (lease != null) {
                    Gauge.builder("evasan.cell.lease.held", this, p -> p.lease.holds(id) ? 1 : 0)
                            .description("1 while this controller holds the quorum lease").tag("nsc", id.name())
                            .register(options.registry());
                }
                Gauge.builder("evasan.cell.nsc.mirrored", this, p -> {
                    WriteBackCache c = p.nscs.get(id).cache;
                    return c != null && !c.halted() && c.mirrorLost() == null ? 1 : 0;
                }).tag("nsc", id.name()).register(options.registry());
            }
        } else {
            takeoverTimer = null;
            takeoverCounter = null;
        }
    }

    // ------------------------------------------------------------------ access states

    /**
     * {@code listener} runs after every change of what hosts should see (an owner, a preference, a controller's
     * state): on one notifier thread, coalesced, never under the caller's locks. The SCSI target's
     * {@code accessStatesChanged} goes here.
     */
    public void onAccessChange(Runnable listener) {
        accessListeners.add(listener);
    }

    /** {@code l} follows crashes, takeovers and restarts (host ports, the fabric). */
    public void addListener(PairListener l) {
        listeners.add(l);
    }

    private void tell(java.util.function.Consumer<PairListener> event) {
        for (PairListener l : listeners) {
            try {
                event.accept(l);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "pair listener failed: " + e, e);
            }
        }
    }

    private void accessChanged() {
        if (closed || !notifyQueued.compareAndSet(false, true)) {
            return;
        }
        try {
            notifier.execute(() -> {
                notifyQueued.set(false);
                for (Runnable r : accessListeners) {
                    try {
                        r.run();
                    } catch (RuntimeException e) {
                        LOG.log(System.Logger.Level.WARNING, "access-state listener failed: " + e, e);
                    }
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            notifyQueued.set(false);
        }
    }

    /**
     * The controller serving the host ports of {@code nsc}'s target port group: itself while it is online, else its
     * partner (which takes the ports over with the units).
     */
    public NscId portsHostedBy(NscId nsc) {
        NscState st = nscs.get(nsc).state;
        return st == NscState.ONLINE || st == NscState.RESYNCHRONIZING ? nsc : nsc.partner();
    }

    /**
     * The unit's ownership as hosts see it, never assigning (safe under any lock): its stored ownership, or for a
     * unit not routed yet the one its first call will store ({@link #defaultOwner}).
     */
    public LunOwnership ownershipSeen(int unit) {
        LunOwnership o = table.get(unit);
        return o != null ? o : new LunOwnership(unit, defaultOwner(unit), null, FailoverMode.NO_PREFERENCE);
    }

    /**
     * Where a unit with no owner yet goes: even unit ids to A, odd to B (the pair shares the units without a
     * preference), or to the other controller while that one is not online.
     */
    NscId defaultOwner(int unit) {
        NscId d = unit % 2 == 0 ? NscId.A : NscId.B;
        return nscs.get(d).state == NscState.ONLINE ? d : d.partner();
    }

    // ------------------------------------------------------------------ opening

    /**
     * The controller's cache factory: opens both controllers' caches over {@code target} (each replays its own log,
     * the units it owns only), mirrors each into a replica its partner holds, and returns the router.
     */
    public synchronized WriteCache open(DestageTarget target, SnapshotAction action) {
        if (caches != null) {
            throw new IllegalStateException("the pair is open already");
        }
        this.backend = target;
        this.action = action;
        if (lease != null) {   // before anything is written: the caches' log replay needs a permission
            io.evasan.mld.lease.LeaseOptions lo = lease.options();
            lease.acquireAtStart(NscId.A, 4 * (lo.durationMillis() + lo.marginMillis()) + 2_000);
            for (NscId id : NscId.values()) {
                Nsc n = nscs.get(id);
                lease.contact(id, () -> {
                    PartnerMonitor m = n.monitor;
                    return m == null || n.monitorDeployment == null ? Long.MIN_VALUE : m.lastAnsweredPingNanos();
                });
            }
        }
        replayLegacyLog(options.legacyLog(), target, action);
        if (options.mirrorHost() != null && options.nonVolatile() && !settingAside) {
            // a takeover that crashed before the dead leader's replicas were destaged left its logs aside: the
            // writes they hold were acknowledged, so they go to the pool before anything newer
            for (NscId id : NscId.values()) {
                replayLegacyLog(takenOverLog(nscs.get(id)), target, action);
            }
        }
        PairedCaches router = null;
        for (NscId id : NscId.values()) {
            Nsc n = nscs.get(id);
            n.fence = newFence(n);
        }
        // each replica exists before its cache sends: A's replica is held by B and the other way round
        for (NscId id : NscId.values()) {
            nscs.get(id).link = newLink(nscs.get(id));
        }
        for (NscId id : NscId.values()) {
            Nsc n = nscs.get(id);
            n.cache = openCache(n, n.link);
        }
        router = new PairedCaches(table, this::defaultOwner, options.transitionMillis(),
                nscs.get(NscId.A).cache.maxWriteBytes());
        for (NscId id : NscId.values()) {
            router.install(id, nscs.get(id).cache);
        }
        this.caches = router;
        return router;
    }

    /** {@code n}'s door to the backend: fenced by its partner at a takeover, and asking the lease when there is one. */
    private FencedDestage newFence(Nsc n) {
        if (options.mirrorHost() != null) {
            return new FencedDestage(n.name(), backend, action, options.mirrorHost().permit(), options.transitionMillis());
        }
        return lease == null ? new FencedDestage(n.name(), backend, action)
                : new FencedDestage(n.name(), backend, action, lease.permit(n.id), options.transitionMillis());
    }

    private void replayLegacyLog(Path legacy, DestageTarget target, SnapshotAction action) {
        if (legacy == null || !Files.exists(legacy)) {
            return;
        }
        WriteBackCache old = new WriteBackCache(options.cacheConfig().get().nonVolatileLog(legacy), target, action,
                new CacheStats("legacy"));
        long writes = old.recoveredWrites();
        old.close();
        try {
            Files.delete(legacy);
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, "cannot remove the replayed cache log " + legacy + ": "
                    + e.getMessage(), e);
        }
        LOG.log(System.Logger.Level.INFO, "replayed " + writes + " writes of the cache log " + legacy
                + " before the pair's caches opened");
    }

    /** A fresh mirror link from {@code n}'s next cache into a replica its partner holds. */
    private MirrorLink newLink(Nsc n) {
        n.generation++;
        // the cache name carries this pair's incarnation: no later pair (a new leader's, a reopened cell's) reuses it
        String cache = n.name() + "-" + incarnation + "-g" + n.generation;
        MirrorHost host = options.mirrorHost();
        if (host != null) {
            String holder = host.holder();
            if (holder != null && host.hold(cache)) {
                return new RemoteLink(options.vertx(), host, n.name(), holder, cache, options.registry());
            }
            PartnerLink alone = new PartnerLink(new MirrorReplica());
            alone.cut("no partner process holds a mirror: " + n.name() + " runs unmirrored");
            return alone;
        }
        if (options.vertx() == null) {
            return new PartnerLink(new MirrorReplica());
        }
        return new BusLink(options.vertx(), n.name(), nscs.get(n.id.partner()).name(), cache, options.registry());
    }

    private WriteBackCache openCache(Nsc n, MirrorLink link) {
        CacheConfig cc = options.cacheConfig().get();
        if (options.nonVolatile()) {
            try {
                Files.createDirectories(n.directory());
            } catch (IOException e) {
                throw new StorageException(ErrorCode.IO_ERROR, "cannot create " + n.directory() + ": " + e.getMessage(), e);
            }
            cc.nonVolatileLog(n.directory().resolve("cache.log"));
        }
        cc.mirror(link.channel());
        FencedDestage f = n.fence;
        f.replayOnly(unit -> {
            // a logged write's unit had its ownership stored before the write entered the cache, so a unit without
            // one was deleted since (e.g. while this controller was down): its writes are moot and must not replay
            LunOwnership o = table.get(unit);
            return o != null && o.owner() == n.id;
        });
        try {
            WriteBackCache c = new WriteBackCache(cc, f, f, nextStats(n));
            if (f.droppedAtReplay() > 0) {
                LOG.log(System.Logger.Level.INFO, n.name() + ": " + f.droppedAtReplay() + " logged writes and markers of "
                        + "units its partner took over were not replayed");
            }
            return c;
        } finally {
            f.replayDone();
        }
    }

    /** The stats of {@code n}'s next cache: its meters are registered once and read the newest cache. */
    private CacheStats nextStats(Nsc n) {
        if (options.registry() == null) {
            return new CacheStats(n.name());
        }
        if (n.meters == null) {
            n.meters = new CacheMeters(options.registry(), n.name());
        }
        return n.meters.nextGeneration();
    }

    /**
     * Follows the cell's command log: a deleted LUN or snapshot loses its ownership record (on the notifier thread:
     * the log's subscribers run under its lock), so a later unit with the same id starts from its default.
     */
    public void follow(io.evasan.nsc.cell.CommandLog log) {
        log.subscribe(c -> {
            int gone = -1;
            if (c.record() instanceof io.evasan.nsc.api.CellRecord.LunDeleted d) {
                gone = d.id();
            } else if (c.record() instanceof io.evasan.nsc.api.CellRecord.SnapshotDeleted d) {
                gone = d.id();
            }
            if (gone >= 0 && table.get(gone) != null) {
                int unit = gone;
                try {
                    notifier.execute(() -> table.remove(unit));
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    // closing: the record stays until the unit id is used again
                }
            }
        });
    }

    /**
     * Starts the cell (after the controller opened over {@link #open}'s router): every unit with a preferred controller
     * goes there (both are online at start: a unit the survivor kept after a failover before the last stop returns to
     * its preferred controller, as the EVA places a LUN at boot), then the heartbeat starts.
     */
    public synchronized void start() {
        for (LunOwnership o : table.all()) {
            if (o.preferred() != null && o.owner() != o.preferred()) {
                move(o.unitId(), o.preferred());
            }
        }
        if (options.vertx() == null || options.mirrorHost() != null) {
            return;
        }
        links = io.evasan.nsc.cell.heartbeat.LinkSwitch.install(options.vertx());
        for (NscId id : NscId.values()) {
            startMonitor(nscs.get(id));
            nscs.get(id).bootMonitor = true;
        }
        if (lease != null) {   // from now on a standby writes only while its partner answers it
            lease.heartbeatRunning(true);
        }
    }

    private void startMonitor(Nsc n) {
        n.bootMonitor = false;
        Nsc partner = nscs.get(n.id.partner());
        PartnerMonitor m = new PartnerMonitor(options.heartbeatOf(n.name(), partner.name()),
                e -> onPartnerEvent(n.id, e), options.registry());
        n.monitor = m;
        try {
            n.monitorDeployment = options.vertx().deployVerticle(m).await(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new StorageException(ErrorCode.BUSY, n.name() + ": heartbeat did not start within 10 s");
        }
    }

    private void stopMonitor(Nsc n) {
        String d = n.monitorDeployment;
        n.monitorDeployment = null;
        if (d != null) {
            try {
                options.vertx().undeploy(d).await(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.log(System.Logger.Level.WARNING, n.name() + ": heartbeat did not stop: " + e);
            }
        }
    }

    private void onPartnerEvent(NscId self, PartnerEvent e) {
        if (e.to() != PartnerState.DEAD || closed) {
            return;
        }
        long grace = Math.max(2_000, 4 * options.heartbeatTimeoutMillis());
        Nsc me = nscs.get(self);
        if (e.from() == PartnerState.UNKNOWN && me.bootMonitor && !drillRunning()) {
            // never seen alive since the cell started: both start together, and a loaded machine can delay the
            // partner's first answer past the timeout. Act only if it stays silent for the boot grace. (After a
            // restart drill the partner was seen starting: no grace.)
            LOG.log(System.Logger.Level.WARNING, e + "; never seen alive: takeover only if it stays silent " + grace
                    + " ms");
            PartnerMonitor m = nscs.get(self).monitor;
            try {
                failovers.schedule(() -> {
                    if (!closed && m == nscs.get(self).monitor && m.partnerState() == PartnerState.DEAD
                            && m.repliesReceived() == 0) {
                        takeOverLogged(self, "heartbeat: no answer since start (" + grace + " ms)");
                    }
                }, grace, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException ignored) {
                // closing
            }
            return;
        }
        LOG.log(System.Logger.Level.WARNING, e.toString());
        failovers.execute(() -> takeOverLogged(self, "heartbeat: " + e));
    }

    private void takeOverLogged(NscId self, String why) {
        try {
            takeOver(self, why);
        } catch (RuntimeException ex) {
            LOG.log(System.Logger.Level.ERROR, "takeover by " + self + " failed: " + ex, ex);
        }
    }

    // ------------------------------------------------------------------ takeover

    /**
     * {@code survivor} takes its partner's units over: fences and halts the partner, replays the replica of its
     * cache, moves its units. Does nothing if the partner is already down (taken over) or the survivor itself is
     * not online (it lost the race: the partner took it over first).
     */
    void takeOver(NscId survivor, String why) {
        Nsc s = nscs.get(survivor);
        Nsc d = nscs.get(survivor.partner());
        long t0 = System.nanoTime();
        Drill seen = currentDrill(d.id, false);   // a partition's loser is known only once the lease decided
        if (seen != null && seen.detectedNanos < 0) {
            seen.detectedNanos = t0;
        }
        if (lease != null && !lease.holds(survivor)) {
            // a standby takes its partner over only with the quorum lease, i.e. once the partner's tenure lapsed: a
            // partner that is alive behind a partition keeps renewing, and takes this one over instead
            if (!lease.contend(survivor, () -> !closed && s.state == NscState.ONLINE && d.state != NscState.FAILED)) {
                LOG.log(System.Logger.Level.WARNING, s.name() + " does not take " + d.name() + " over (" + why
                        + "): the quorum lease stays with its holder; " + s.name() + " " + lease.describe(survivor));
                return;
            }
        }
        Drill drill = currentDrill(d.id, true);
        synchronized (arbiter) {   // with the lease decided, the in-process state: the first claim wins
            if (s.state != NscState.ONLINE || d.state == NscState.FAILED && d.cache == null) {
                return;
            }
            if (d.state == NscState.ONLINE || d.state == NscState.RESYNCHRONIZING) {
                d.state = NscState.FAILED;
            }
        }
        LOG.log(System.Logger.Level.WARNING, s.name() + " takes over " + d.name() + " (" + why + ")");
        stopMonitor(d);   // a fenced controller answers no heartbeat
        d.fence.fence();
        WriteBackCache dead = d.cache;
        if (dead != null) {
            dead.halt();
        }
        d.link.cut(d.name() + " is down");
        s.link.cut(d.name() + " is down: " + s.name() + " runs unmirrored");
        MirrorReplica replica = d.link.replica();
        long[] done = new long[1];
        int moved = caches.exclusive(() -> {
            replica.takeOver(s.fence, request -> {
                // a snapshot that fails fails its request only; the takeover goes on
                RuntimeException failure = null;
                try {
                    s.fence.takeSnapshot(request);
                } catch (RuntimeException e) {
                    failure = e;
                    LOG.log(System.Logger.Level.WARNING, s.name() + ": snapshot " + request.name() + " of "
                            + d.name() + "'s replica failed at takeover: " + e);
                }
                caches.replayedMarker(request, failure);
            });
            if (dead != null) {
                caches.failMarkersNotReplayed(dead, d.name());
            }
            int n = 0;
            for (LunOwnership o : table.all()) {
                if (o.owner() == d.id) {
                    table.put(o.ownedBy(s.id));
                    n++;
                }
            }
            d.cache = null;
            caches.install(d.id, null);
            done[0] = System.nanoTime();   // before any call can run on the moved units
            caches.armFirstIo();
            return n;
        });
        long t1 = done[0];
        s.takeovers.incrementAndGet();
        if (takeoverTimer != null) {
            takeoverTimer.record(t1 - t0, TimeUnit.NANOSECONDS);
            takeoverCounter.increment();
        }
        if (drill != null) {   // takenOverNanos last: awaitDrill returns once it is set
            drill.unitsMoved = moved;
            drill.outcome = "taken over by " + s.id;
            drill.takenOverNanos = t1;
        }
        tell(l -> l.takenOver(d.id, s.id));
        accessChanged();
        LOG.log(System.Logger.Level.WARNING, s.name() + " took over " + moved + " units of " + d.name() + " in "
                + TimeUnit.NANOSECONDS.toMillis(t1 - t0) + " ms");
    }

    private boolean drillRunning() {
        synchronized (drills) {
            for (Drill d : drills) {
                if ("running".equals(d.outcome)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The running drill on {@code target} (a partition's names it as its loser when {@code assign}). */
    private Drill currentDrill(NscId target, boolean assign) {
        synchronized (drills) {
            for (int i = drills.size() - 1; i >= 0; i--) {
                Drill d = drills.get(i);
                if ((d.target == target || "partition".equals(d.kind) && d.target == null) && "running".equals(d.outcome)) {
                    if (assign) {
                        d.target = target;
                    }
                    return d;
                }
            }
        }
        return null;
    }

    // ------------------------------------------------------------------ drills

    /**
     * Kill drill: {@code nsc} crashes (its cache stops at once, acknowledging nothing more; its heartbeat stops).
     * Its partner detects it by the heartbeat (or at once without one) and takes over. Returns once the takeover is
     * done or {@code transitionMillis} passed.
     */
    public DrillReport kill(NscId nsc) {
        Nsc d = checkOnline(nsc);
        Drill drill = newDrill("kill", nsc);
        if (lease != null) {
            lease.stopRenewing(nsc);   // a crashed controller renews nothing
        }
        WriteBackCache c = d.cache;
        if (c != null) {
            c.halt();
        }
        stopMonitor(d);
        tell(l -> l.crashed(nsc));
        if (options.vertx() == null) {
            failovers.execute(() -> takeOver(nsc.partner(), "crash seen without heartbeat"));
        }
        return awaitDrill(drill);
    }

    /**
     * Hang drill: {@code nsc} stops responding without exiting: its heartbeat falls silent and its destage stops;
     * host calls on its units wait. Its partner detects the silence and takes over (fencing it first, so when it
     * "resumes" it writes nothing).
     */
    public DrillReport hang(NscId nsc) {
        Nsc d = checkOnline(nsc);
        Drill drill = newDrill("hang", nsc);
        if (lease != null) {
            lease.stopRenewing(nsc);   // a hung controller runs no code: its tenure lapses
        }
        WriteBackCache c = d.cache;
        if (c != null) {
            c.pauseDestage();
        }
        caches.install(nsc, null);   // host calls wait, as on a controller that answers nothing
        stopMonitor(d);
        if (options.vertx() == null) {
            failovers.execute(() -> takeOver(nsc.partner(), "hang seen without heartbeat"));
        }
        return awaitDrill(drill);
    }

    /**
     * Partition drill: the event bus between A and B is cut both ways (heartbeat and mirror) while both keep the
     * drives. Each sees the other dead; the first takeover claim wins (the embedded stand-in for the quorum-disk
     * lease) and fences the other, so exactly one writes each unit. The cut heals when the loser is restarted.
     * Needs the heartbeat (a bus).
     */
    public DrillReport partition() {
        refuseInClusteredCell();
        if (links == null) {
            throw new StorageException(ErrorCode.INVALID_STATE, "a partition drill needs the pair's event bus");
        }
        checkOnline(NscId.A);
        Drill drill = newDrill("partition", null);
        links.partition(nscs.get(NscId.A).name(), nscs.get(NscId.B).name());
        return awaitDrill(drill);
    }

    private Nsc checkOnline(NscId nsc) {
        refuseInClusteredCell();
        Nsc n = nscs.get(nsc);
        Nsc p = nscs.get(nsc.partner());
        if (n.state != NscState.ONLINE || p.state != NscState.ONLINE) {
            throw new StorageException(ErrorCode.INVALID_STATE, "a drill needs both controllers online: " + n.name()
                    + " is " + n.state + ", " + p.name() + " is " + p.state);
        }
        return n;
    }

    private void refuseInClusteredCell() {
        if (options.mirrorHost() != null) {
            throw new StorageException(ErrorCode.INVALID_STATE, "in the clustered cell each controller is a process of "
                    + "its own: its drills act on those processes (SIGKILL, SIGSTOP then SIGCONT, the partition file, a "
                    + "new process), run by the leader's cell API (POST /api/controllers/{id}/drills, sanctl drill) or "
                    + "by deploy/cell.sh drill, not on this pair");
        }
    }

    // ------------------------------------------------------------------ the clustered cell's leader

    /** Where a clustered takeover puts a dead leader's log of {@code n} until its replicas are in the pool. */
    private Path takenOverLog(Nsc n) {
        return n.directory().resolve("cache.log.taken-over");
    }

    /**
     * Clustered cell, a process becoming leader: the dead leader's non-volatile logs are set aside unread (its
     * acknowledged writes come from the replicas this process held, {@link #adopt}); they are replayed only if this
     * process dies before {@link #adopt} finished, at the next start. Call before {@link #open}.
     */
    public void setAsideDeadLeadersLogs() {
        settingAside = true;   // the replicas supersede them; a hung leader may even hold their locks
        for (NscId id : NscId.values()) {
            Nsc n = nscs.get(id);
            Path log = n.directory().resolve("cache.log");
            try {
                if (Files.exists(log)) {
                    Files.move(log, takenOverLog(n), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                            java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                }
            } catch (IOException e) {
                throw new StorageException(ErrorCode.IO_ERROR, "cannot set " + log + " aside: " + e.getMessage(), e);
            }
        }
    }

    /**
     * Clustered cell, a process becoming leader: writes every write and takes every snapshot of the dead leader's
     * mirrored caches ({@code replicas}, in mirror order each) into the pool through the door of this process, flushes,
     * then drops the dead leader's set-aside logs. Returns the items replayed.
     */
    public synchronized int adopt(List<MirrorReplica> replicas) {
        FencedDestage door = nscs.get(NscId.A).fence;
        int n = 0;
        for (MirrorReplica r : replicas) {
            if (r.pendingSeqs().isEmpty()) {
                continue;   // nothing held: no flush either (a flush forces every LUN's maps)
            }
            n += r.takeOver(door, request -> {
                try {
                    door.takeSnapshot(request);
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "snapshot " + request.name() + " of the dead leader's replica "
                            + "failed at takeover: " + e);
                }
            });
        }
        for (NscId id : NscId.values()) {
            try {
                Files.deleteIfExists(takenOverLog(nscs.get(id)));
            } catch (IOException e) {
                throw new StorageException(ErrorCode.IO_ERROR, "cannot drop " + takenOverLog(nscs.get(id)) + ": "
                        + e.getMessage(), e);
            }
        }
        return n;
    }

    /**
     * Clustered cell: the partner process is gone (its heartbeat fell silent, or it never came): both caches run
     * unmirrored from now on, every acknowledged write durable in this process's own logs.
     */
    public void partnerProcessLost(String why) {
        for (NscId id : NscId.values()) {
            MirrorLink l = nscs.get(id).link;
            if (l != null) {
                l.cut(why);
            }
        }
    }

    /**
     * Clustered cell: the partner process is (back) up: each cache is drained and reopened mirrored into a fresh
     * replica the partner holds (a brief pause of host calls, as at a restart). Returns whether both caches are
     * mirrored now.
     */
    public synchronized boolean remirror() {
        if (closed || caches == null || options.mirrorHost() == null) {
            return false;
        }
        boolean all = true;
        for (NscId id : NscId.values()) {
            Nsc n = nscs.get(id);
            MirrorLink fresh = newLink(n);
            all &= fresh instanceof RemoteLink;
            caches.exclusive(() -> {
                WriteBackCache old = n.cache;
                old.close();   // drains: the fresh replica starts from an empty cache
                n.link.close();
                n.link = fresh;
                n.cache = openCache(n, fresh);
                caches.install(n.id, n.cache);
                return null;
            });
        }
        return all;
    }

    /** Whether every cache of this pair is mirrored now (the clustered leader: into the partner process). */
    public boolean mirrored() {
        for (NscId id : NscId.values()) {
            WriteBackCache c = nscs.get(id).cache;
            if (c == null || c.halted() || c.mirrorLost() != null) {
                return false;
            }
        }
        return true;
    }

    /** Drill ids continue after {@code lastId} (the largest one a kept history holds). */
    public void continueDrillIds(long lastId) {
        drillIds.accumulateAndGet(lastId, Math::max);
    }

    /** A drill id for a drill run outside the pair (a drive pull), so ids stay unique across the history. */
    public long nextDrillId() {
        return drillIds.incrementAndGet();
    }

    /**
     * Records what drill {@code id}'s verifier found: {@code acknowledged} writes, of which {@code verified} read back
     * and {@code lost} did not; {@code note} (null: none) is appended to its outcome.
     */
    public void verified(long id, long acknowledged, long verified, long lost, String note) {
        synchronized (drills) {
            for (Drill d : drills) {
                if (d.id == id) {
                    d.writesAcknowledged = acknowledged;
                    d.writesVerified = verified;
                    d.lostWrites = lost;
                    if (note != null) {
                        d.outcome = d.outcome + "; " + note;
                    }
                }
            }
        }
    }

    private Drill newDrill(String kind, NscId target) {
        Drill d = new Drill(drillIds.incrementAndGet(), kind, target);
        synchronized (drills) {
            drills.add(d);
        }
        return d;
    }

    private DrillReport awaitDrill(Drill drill) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(options.transitionMillis());
        while (drill.takenOverNanos < 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (drill.takenOverNanos < 0) {
            drill.outcome = "not taken over within " + options.transitionMillis() + " ms";
        }
        return drill.report();
    }

    /**
     * Brings {@code nsc} back after a failure: a new cache (its log replays nothing its partner took over), fresh
     * mirrors both ways (the partner's cache is drained and reopened mirrored: a brief pause of host calls), then
     * the units that prefer it with failback move back. Returns the units moved back.
     */
    public synchronized List<Integer> restart(NscId nsc) {
        Nsc n = nscs.get(nsc);
        Nsc p = nscs.get(nsc.partner());
        if (n.state == NscState.ONLINE) {
            throw new StorageException(ErrorCode.INVALID_STATE, n.name() + " is online: nothing to restart");
        }
        if (p.state != NscState.ONLINE) {
            throw new StorageException(ErrorCode.INVALID_STATE, "cannot restart " + n.name() + " while " + p.name()
                    + " is " + p.state);
        }
        n.state = NscState.RESYNCHRONIZING;
        if (links != null) {
            links.heal();   // a partition drill ends when its loser comes back
        }
        if (lease != null) {
            lease.restart(nsc);   // it remembers no tenure; it watches its partner's
            if (options.vertx() != null) {
                // its heartbeat first: as a standby it may write (its log replay, the mirrors' resync) only while its
                // partner answers it
                startMonitor(n);
                awaitContact(n);
            }
        }
        n.fence = newFence(n);
        MirrorLink toP = newLink(n);   // n's cache into the replica p holds
        MirrorLink toN = newLink(p);   // p's cache into the replica n holds
        WriteBackCache fresh = openCache(n, toP);
        n.link = toP;
        caches.exclusive(() -> {
            WriteBackCache old = p.cache;
            old.close();   // drains p's dirty data: the new replica at n starts from an empty cache
            p.link.close();
            p.link = toN;
            p.cache = openCache(p, toN);
            caches.install(p.id, p.cache);
            n.cache = fresh;
            caches.install(n.id, fresh);
            return null;
        });
        n.state = NscState.ONLINE;
        tell(l -> l.restarted(nsc));
        accessChanged();
        if (options.vertx() != null) {
            // fresh trackers on both sides: the partner's old one says DEAD, and DEAD -> DEAD would report nothing if
            // the restarted controller failed again before its first answer
            stopMonitor(p);
            startMonitor(p);
            if (lease == null) {
                startMonitor(n);
            }
        }
        List<Integer> back = new ArrayList<>();
        for (LunOwnership o : table.all()) {
            if (o.preferred() == nsc && o.mode() == FailoverMode.FAILOVER_FAILBACK && o.owner() != nsc) {
                try {
                    move(o.unitId(), nsc);
                    back.add(o.unitId());
                } catch (StorageException e) {   // one unit that cannot move keeps the others from nothing
                    LOG.log(System.Logger.Level.WARNING, "failback of unit " + o.unitId() + " to " + n.name()
                            + " failed: " + e);
                }
            }
        }
        LOG.log(System.Logger.Level.INFO, n.name() + " is back; " + back.size() + " units failed back");
        return back;
    }

    /** Waits (up to a few heartbeat timeouts) for {@code n}'s first answer from its partner. */
    private void awaitContact(Nsc n) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(4 * options.heartbeatTimeoutMillis());
        while (n.monitor.lastAnsweredPingNanos() == Long.MIN_VALUE && System.nanoTime() - deadline < 0) {
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    // ------------------------------------------------------------------ ownership

    /** The ownership of {@code unit} (assigned now if it has none). */
    public LunOwnership ownership(int unit) {
        return table.getOrAssign(unit, this::defaultOwner);
    }

    /** Every unit's ownership known so far. */
    public List<LunOwnership> ownerships() {
        return table.all();
    }

    /**
     * Sets {@code unit}'s preferred controller and failover mode; a unit whose preferred controller is online and
     * not its owner moves there now.
     */
    public LunOwnership setPreference(int unit, NscId preferred, FailoverMode mode) {
        LunOwnership now = ownership(unit);
        LunOwnership next = new LunOwnership(unit, now.owner(), preferred, mode);
        table.put(next);
        if (preferred != null && preferred != now.owner() && nscs.get(preferred).state == NscState.ONLINE) {
            move(unit, preferred);
        }
        return table.get(unit);
    }

    /**
     * Moves {@code unit} to {@code to} (both controllers online): with no host call under way, drains the unit
     * from the old owner's cache (writes destaged, markers fired), then stores the new owner.
     */
    public void move(int unit, NscId to) {
        if (nscs.get(to).state != NscState.ONLINE) {
            throw new StorageException(ErrorCode.INVALID_STATE, "nsc-" + to.name().toLowerCase() + " is "
                    + nscs.get(to).state + ": units move only to an online controller");
        }
        caches.exclusive(() -> {
            LunOwnership o = ownership(unit);
            if (o.owner() == to) {
                return null;
            }
            WriteBackCache from = nscs.get(o.owner()).cache;
            if (from != null && !from.halted()) {
                try {
                    from.synchronize(unit, 0, 0);
                } catch (StorageException e) {
                    if (e.code() != ErrorCode.NOT_FOUND) {
                        throw e;
                    }
                    // the unit is gone (deleted): nothing of it is cached any more, only its record moves
                }
                from.awaitNothingPending(unit);   // its markers fired
            }
            table.put(o.ownedBy(to));
            return null;
        });
    }

    // ------------------------------------------------------------------ views

    public List<NscView> nscs() {
        List<NscView> out = new ArrayList<>();
        for (NscId id : NscId.values()) {
            Nsc n = nscs.get(id);
            WriteBackCache c = n.cache;
            boolean up = c != null && !c.halted();
            PartnerMonitor m = n.monitor;
            out.add(new NscView(id, n.state, table.ownedBy(id), up ? c.mirrorLost() : "down",
                    up ? c.dirtyBytes() : 0, m == null || n.monitorDeployment == null ? -1 : m.lastRttNanos(),
                    n.takeovers.get(), leaseState(id)));
        }
        return out;
    }

    /** Both serving caches' counters together; {@code mirrorLost} names a controller that is down or unmirrored. */
    public io.evasan.nsc.api.CacheView cacheView() {
        long dirty = 0;
        long capacity = 0;
        double destaged = 0;
        String lost = null;
        for (NscId id : NscId.values()) {
            WriteBackCache c = nscs.get(id).cache;
            if (c == null || c.halted()) {
                lost = nscs.get(id).name() + " is down";
                continue;
            }
            dirty += c.dirtyBytes();
            capacity += c.capacityBytes();
            destaged += c.stats().destagedBytes();
            if (lost == null && c.mirrorLost() != null) {
                lost = c.mirrorLost();
            }
        }
        return new io.evasan.nsc.api.CacheView(dirty, capacity, destaged, lost);
    }

    public NscState state(NscId nsc) {
        return nscs.get(nsc).state;
    }

    /** The drills so far, oldest first; a drill's first-I/O time is filled in once a host call completed. */
    public List<DrillReport> drills() {
        List<DrillReport> out = new ArrayList<>();
        long first = caches == null ? -1 : caches.firstIoNanos();
        synchronized (drills) {
            for (Drill d : drills) {
                if (d.firstIoNanos < 0 && d.takenOverNanos > 0 && first > 0 && first >= d.takenOverNanos) {
                    d.firstIoNanos = first;
                }
                out.add(d.report());
            }
        }
        return out;
    }

    /**
     * Releases the quorum lease (after the controller closed and every cache drained: a release before would stop
     * their last destage), so the next start claims it at once. A crash instead leaves it to lapse.
     */
    public void releaseLease() {
        if (lease != null) {
            lease.close();
        }
    }

    /** Test hook for a crash of the whole cell: the lease stops renewing but is not released. */
    void abandonLease() {
        if (lease != null) {
            lease.abandon();
        }
    }

    /**
     * Test hook for a mirror link that broke while both controllers run: {@code nsc}'s cache is told its partner is
     * lost and acknowledges what comes next unmirrored (in its own log only), so its replica misses it.
     */
    void cutMirror(NscId nsc, String why) {
        nscs.get(nsc).link.cut(why);
    }

    /**
     * Test hook (a clustered leader killed inside a test JVM): both caches of this process halt at once, as a killed
     * process's would: nothing more is acknowledged, destaged or mirrored, and their logs stay as they are, unlocked
     * for whichever process opens them next.
     */
    public void haltCachesForTest() {
        for (NscId id : NscId.values()) {
            WriteBackCache c = nscs.get(id).cache;
            if (c != null) {
                c.halt();
            }
        }
    }

    /** What controller {@code nsc} knows of the quorum lease ("holds generation 3", "standby (...)", or "none"). */
    public String leaseState(NscId nsc) {
        return lease == null ? "none" : lease.describe(nsc);
    }

    /** The quorum lease's blocks as controller {@code nsc} reads them now (tests, status pages); null without one. */
    io.evasan.mld.lease.DiskLease lease(NscId nsc) {
        return lease == null ? null : lease.lease(nsc);
    }

    /** The router the controller's services call (after {@link #open}). */
    public PairedCaches caches() {
        return caches;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (NscId id : NscId.values()) {
            stopMonitor(nscs.get(id));
        }
        if (lease != null) {   // closing is no partition: the standby may destage while the holder's lease runs
            lease.heartbeatRunning(false);
        }
        failovers.shutdownNow();
        notifier.shutdownNow();
        if (links != null) {
            links.close();
        }
    }
}
