package io.evasan.deploy;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.mld.lease.DiskLease;
import io.evasan.mld.lease.LeaseOptions;
import io.evasan.mld.lease.LeaseStore;
import io.evasan.nsc.api.NscId;
import io.evasan.nsc.cache.impl.MirrorReplica;
import io.evasan.nsc.cell.heartbeat.HeartbeatOptions;
import io.evasan.nsc.cell.heartbeat.LinkSwitch;
import io.evasan.nsc.cell.heartbeat.PartnerEvent;
import io.evasan.nsc.cell.heartbeat.PartnerMonitor;
import io.evasan.nsc.cell.heartbeat.PartnerState;
import io.evasan.nsc.cell.mirror.MirrorEndpoint;
import io.evasan.nsc.cell.pair.MirrorHost;
import io.evasan.raid.Pool;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One controller of the clustered cell, a process of its own on the clustered event bus (DESIGN.md §7): the two
 * processes, A and B, share the drives; one, the <em>leader</em>, holds the quorum lease and runs both controllers'
 * caches over the pool and maps; the other, the <em>follower</em>, holds the mirror of every one of those caches (a
 * host write is acknowledged only once it holds it) and relays its own two host ports to the leader.
 *
 * <p>Invariants:
 * <ul>
 * <li>Only the lease holder writes the pool: a process opens the pool only once it holds the lease, and every
 *     destage of the leader passes its lease's door check. A leader that finds its lease claimed by the other halts
 *     at once (a controller reboots when fenced), so one resumed after a hang writes nothing.</li>
 * <li>The follower takes over only with the lease (a partitioned leader keeps renewing it, so it stays leader). It
 *     then replays the mirrored caches it holds into the pool before serving, unless the leader had recorded
 *     ({@code cell/unmirrored}) that it was running unmirrored: then the follower's mirror is stale and the dead
 *     leader's own non-volatile logs hold its acknowledged writes, replayed as after a whole-cell crash.</li>
 * <li>A follower (re)joining drops every replica it held; the leader then drains and reopens its caches mirrored into
 *     fresh replicas, and only then removes the unmirrored record. It mirrors only into a partner its heartbeat hears
 *     alive, and a partner's death is acted on only while the heartbeat still says so, so a verdict from before the
 *     join (the partner not heard since the monitor started) never cuts the fresh mirror.</li>
 * <li>The leader's drills act on the processes ({@link ProcessFaults}): one on its partner is measured and reported
 *     here; one on itself is stored as started before it acts, and the process that takes over completes it.</li>
 * </ul>
 */
final class ClusterNode implements AutoCloseable {
    enum Role { STARTING, FOLLOWER, LEADER, STOPPED }

    static final String UNMIRRORED = "unmirrored";
    private static final long ASK_MS = 1_000;
    /** How long a host connection to a dead partner's address is held while this process takes over. */
    private static final long PARTNER_HOLD_MS = 30_000;
    private static final long PARTITION_POLL_MS = 50;

    private final EmbeddedAppliance.Options options;
    private final NscId self;
    private final String me;
    private final String partner;
    private final Vertx vertx;
    private final Path cellDir;
    /** The host addresses of the four portals: A1, A2, B1, B2. */
    private final int[] publicPorts;
    private final PrintStream out;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> daemon(r, "evasan-cluster"));
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> daemon(r,
            "evasan-cluster-lease"));
    private final Map<String, MirrorEndpoint> held = new LinkedHashMap<>();
    private final List<PortalRelay> relays = new ArrayList<>();
    private final MessageConsumer<JsonObject> control;
    private final LeaseOptions leaseOptions;
    /** Cuts this process's side of the bus to its partner while a partition drill says so. */
    private final LinkSwitch links;
    private final PartitionDrill partitionDrill;
    /** The drills the management API runs while this process leads. */
    private final ProcessFaults faults;
    private volatile boolean cut;
    /** A follower that has joined its leader (holds the mirror, relays its addresses); false while it joins. */
    private volatile boolean following;
    private final java.util.concurrent.atomic.AtomicBoolean warming = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile Role role = Role.STARTING;
    private volatile EmbeddedAppliance app;
    private volatile boolean partnerJoined;
    private volatile boolean closed;
    private QuorumFiles quorum;
    private volatile DiskLease lease;
    private PartnerMonitor monitor;
    /** The partner's two host addresses, held here while the partner is down ({@link PortalRelay}s to this process). */
    private final List<PortalRelay> partnerRelays = new ArrayList<>();
    /** Where those relays carry connections: this process's servers of the partner's portals (0: none yet, hold). */
    private volatile int[] partnerTargets = new int[2];
    /** Whether this process should hold the partner's addresses (its partner is down, or it is being taken over). */
    private volatile boolean holdPartner;
    private boolean partnerServedSaid;
    private Thread partnerBinder;
    private volatile java.util.concurrent.ScheduledFuture<?> observer;
    private volatile java.util.concurrent.ScheduledFuture<?> renewal;
    /** When a takeover claimed the quorum lease (System.nanoTime()). */
    private volatile long leaseClaimedNanos;

    private ClusterNode(EmbeddedAppliance.Options options, NscId self, Vertx vertx, PrintStream out) {
        this.options = options;
        this.self = self;
        this.me = procName(self);
        this.partner = procName(self.partner());
        this.vertx = vertx;
        this.out = out;
        this.cellDir = options.dataDir().resolve("cell");
        int p = options.iscsiPort();
        this.publicPorts = new int[] {p, p + 1, p + 2, p + 3};
        long duration = Math.max(150, options.heartbeatTimeoutMillis());
        this.leaseOptions = new LeaseOptions(duration, Math.max(1, duration / 5));
        this.control = vertx.eventBus().consumer(controlAddress(me), this::onControl);
        this.links = LinkSwitch.install(vertx);
        this.partitionDrill = new PartitionDrill(cellDir, System::currentTimeMillis);
        this.faults = new ProcessFaults(self, new FollowerView(), new OsProcessActions(options.dataDir()),
                Math.max(5_000, 10 * options.heartbeatTimeoutMillis()),
                4 * (leaseOptions.durationMillis() + leaseOptions.marginMillis()) + 30_000);
    }

    /** The follower as this process, leading, sees it for a drill. */
    private final class FollowerView implements ProcessFaults.Partner {
        @Override
        public String whyNotFollowing() {
            if (role != Role.LEADER) {
                return me + " is " + role + ", not the leader";
            }
            if (cut) {
                return "the bus to " + partner + " is cut (a partition drill runs)";
            }
            if (!partnerJoined) {
                return partner + " has not joined (it is down or starting: restart it, then wait for it to follow)";
            }
            PartnerState st = monitor.partnerState();
            return st == PartnerState.ALIVE ? null : partner + "'s heartbeat is " + st;
        }

        @Override
        public long pid() {
            JsonObject r = ask(partner, new JsonObject().put("op", "role"), ASK_MS);
            return r == null ? -1 : r.getLong("pid", -1L);
        }
    }

    static String procName(NscId id) {
        return "proc-" + id.name().toLowerCase();
    }

    static String controlAddress(String proc) {
        return "evasan.cluster.ctl." + proc;
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** Joins the cluster on {@code vertx} (clustered) as controller {@code self} and takes a role. */
    static ClusterNode start(EmbeddedAppliance.Options options, NscId self, Vertx vertx, PrintStream out)
            throws Exception {
        if (options.iscsiPort() <= 0 || options.iscsiPort() > 65532) {
            throw new IllegalArgumentException("the clustered cell needs fixed portal ports (--iscsi-port 1..65532)");
        }
        ClusterNode n = new ClusterNode(options, self, vertx, out);
        try {
            n.control.completion().await(10, TimeUnit.SECONDS);
            n.watchPartitionDrill();
            n.startMonitor();
            n.takeRole();
        } catch (Exception | Error e) {
            n.close();
            throw e;
        }
        return n;
    }

    Role role() {
        return role;
    }

    /** Whether this process's quorum lease permits writing the pool now (false before it opened one). */
    boolean mayWritePool() {
        DiskLease l = lease;
        return l != null && l.mayWrite();
    }

    /** The appliance while this process leads, else null. */
    EmbeddedAppliance appliance() {
        return app;
    }

    private void say(String line) {
        out.println("evasan: cluster: " + me + ": " + line);
        out.flush();
    }

    // ------------------------------------------------------------------ partition drill

    /** Polls {@code cell/partition} ({@link PartitionDrill}) and cuts or heals this process's side of the bus. */
    private void watchPartitionDrill() {
        timer.scheduleWithFixedDelay(() -> {
            long until = partitionDrill.cutUntil();
            if (until != 0 && !cut) {
                cut = true;
                links.isolate(me).isolate(partner);
                say("the bus to " + partner + " is cut until " + java.time.Instant.ofEpochMilli(until)
                        + " (partition drill): nothing more is sent to it");
            } else if (until == 0 && cut) {
                cut = false;
                links.unisolate(me).unisolate(partner);
                say("the bus to " + partner + " is whole again (" + links.dropped() + " messages dropped)");
            }
        }, 0, PARTITION_POLL_MS, TimeUnit.MILLISECONDS);
    }

    // ------------------------------------------------------------------ heartbeat

    private void startMonitor() throws Exception {
        long timeout = options.heartbeatTimeoutMillis();
        HeartbeatOptions ho = new HeartbeatOptions(me, partner, Math.max(10, timeout / 5), Math.max(10, timeout / 2),
                timeout);
        monitor = new PartnerMonitor(ho, e -> {
            if (!closed) {
                long seen = System.nanoTime();
                worker.execute(() -> onPartner(e, seen));
            }
        }, null);
        vertx.deployVerticle(monitor).await(10, TimeUnit.SECONDS);
    }

    private void onPartner(PartnerEvent e, long seen) {
        if (closed || e.to() != PartnerState.DEAD || monitor.partnerState() != PartnerState.DEAD) {
            return;   // a verdict reversed since it was queued (behind a join, say) is stale
        }
        if (role == Role.LEADER) {
            faults.partnerSilent(seen);
            partnerLost("heartbeat: " + e);
        } else if (role == Role.FOLLOWER && following && e.from() != PartnerState.UNKNOWN) {
            // only a follower that has joined takes over: one still joining finds a dead leader through its join
            // (the ask fails, it takes its role anew), and two threads joining at once undid each other's replicas
            takeOver(e);
        }
    }

    // ------------------------------------------------------------------ control messages

    private void onControl(Message<JsonObject> m) {
        JsonObject b = m.body();
        String op = b.getString("op", "");
        switch (op) {
            case "role" -> m.reply(new JsonObject().put("role", role.name()).put("nsc", self.name())
                    .put("pid", ProcessHandle.current().pid()));
            case "hold" -> hold(m, b.getString("cache"));
            case "release" -> {
                MirrorEndpoint ep;
                synchronized (held) {
                    ep = held.remove(b.getString("cache"));
                }
                if (ep != null) {
                    ep.close();
                }
                m.reply(new JsonObject().put("ok", true));
            }
            case "join" -> worker.execute(() -> join(m));
            default -> m.fail(400, "unknown op " + op);
        }
    }

    /** Follower: holds the replica of cache {@code cache}; answers once its endpoint is known to the cluster. */
    private void hold(Message<JsonObject> m, String cache) {
        if (role != Role.FOLLOWER || cache == null) {
            m.fail(409, me + " is " + role + ", not a follower");
            return;
        }
        MirrorEndpoint ep = new MirrorEndpoint(vertx, me, cache, new MirrorReplica());
        synchronized (held) {
            held.put(cache, ep);
        }
        ep.ready().onComplete(ar -> {
            if (ar.succeeded()) {
                m.reply(new JsonObject().put("ok", true));
            } else {
                m.fail(500, "endpoint of " + cache + ": " + ar.cause());
            }
        });
    }

    private JsonObject ask(String proc, JsonObject msg, long timeoutMillis) {
        try {
            Message<JsonObject> r = vertx.eventBus().<JsonObject>request(controlAddress(proc), msg,
                    toPartner().setSendTimeout(timeoutMillis)).await(timeoutMillis + 1_000,
                    TimeUnit.MILLISECONDS);
            return r.body();
        } catch (Exception e) {
            return null;
        }
    }

    /** Control messages name both ends, so a partition drill ({@link LinkSwitch}) cuts them with the rest. */
    private DeliveryOptions toPartner() {
        return new DeliveryOptions().addHeader(LinkSwitch.FROM, me).addHeader(LinkSwitch.TO, partner);
    }

    private String partnerRole() {
        JsonObject r = ask(partner, new JsonObject().put("op", "role"), ASK_MS);
        return r == null ? null : r.getString("role");
    }

    // ------------------------------------------------------------------ taking a role

    private void takeRole() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(4 * (leaseOptions.durationMillis()
                + leaseOptions.marginMillis()) + 60_000);
        while (!closed) {
            if ("LEADER".equals(partnerRole())) {
                becomeFollower();
                return;
            }
            if (QuorumFiles.exists(cellDir)) {
                openLease();
                if (self == NscId.B) {   // both starting together: A goes first
                    Thread.sleep(leaseOptions.renewIntervalMillis() * 2);
                    if ("LEADER".equals(partnerRole())) {
                        becomeFollower();
                        return;
                    }
                }
                if (lease.tryAcquire()) {
                    becomeLeader(false, List.of(), System.nanoTime());
                    return;
                }
            } else if (createPoolIfFirst()) {
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new StorageException(ErrorCode.BUSY, me + " could neither claim the quorum lease nor find a "
                        + "leader to follow");
            }
            Thread.sleep(Math.max(10, leaseOptions.renewIntervalMillis() / 2));
        }
    }

    /**
     * No pool yet: the process holding the creation lock ({@code cell/create.lock}, released by the OS if it dies)
     * creates the pool and leads; the other waits for it. False when the partner holds the lock.
     */
    private boolean createPoolIfFirst() throws Exception {
        Files.createDirectories(cellDir);
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(cellDir.resolve("create.lock"),
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE)) {
            java.nio.channels.FileLock l;
            try {
                l = ch.tryLock();
            } catch (java.nio.channels.OverlappingFileLockException e) {
                l = null;
            }
            if (l == null) {
                return false;
            }
            try {
                if (QuorumFiles.exists(cellDir)) {
                    return false;   // created meanwhile: the caller claims the lease
                }
                becomeLeader(false, List.of(), System.nanoTime());
                return true;
            } finally {
                l.release();
            }
        }
    }

    private synchronized void openLease() {
        if (lease == null) {
            quorum = QuorumFiles.open(cellDir);
            lease = new DiskLease(LeaseStore.open(quorum.areas()), self.ordinal(), leaseOptions, System::nanoTime);
        }
    }

    /**
     * Opens the appliance as leader; {@code replicas}: a takeover's mirrored caches (empty at a normal start);
     * {@code t0}: when the partner was seen dead (for the report).
     */
    private void becomeLeader(boolean takeover, List<MirrorReplica> replicas, long t0) throws Exception {
        int[] bind = publicPorts.clone();
        for (int i : partnerPortalIndexes()) {
            bind[i] = 0;   // served on internal ports, relayed from the partner's addresses while it lives
        }
        boolean useReplicas = takeover && !Files.exists(cellDir.resolve(UNMIRRORED));
        LeaderHooks hooks = new LeaderHooks(vertx, new Host(), useReplicas, replicas, this::poolOpened, bind,
                publicPorts, faults);
        app = EmbeddedAppliance.startLeader(options, hooks);
        role = Role.LEADER;
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        if (takeover) {
            say("took over as leader " + ms + " ms after its partner was seen dead (serving host I/O after "
                    + TimeUnit.NANOSECONDS.toMillis(app.servingAtNanos() - t0) + " ms); lease generation "
                    + lease.heldGeneration() + "; " + (useReplicas ? app.adopted() + " mirrored writes and markers "
                    + "replayed from the mirror it held" : "the dead leader ran unmirrored: its own logs were replayed")
                    + " (" + app.phases() + ")");
            long now = System.nanoTime();
            long seenDeadAt = System.currentTimeMillis() - TimeUnit.NANOSECONDS.toMillis(now - t0);
            if (faults.tookOver(new io.evasan.nsc.cell.drill.TakeoverTimes(me, seenDeadAt,
                    TimeUnit.NANOSECONDS.toMillis(leaseClaimedNanos - t0), ms,
                    TimeUnit.NANOSECONDS.toMillis(app.servingAtNanos() - t0), app.phases()))) {
                say("completed the drill report " + partner + " stored before its drill");
            }
        } else {
            say("leads the cell (lease generation " + lease.heldGeneration() + "), opened in " + ms + " ms ("
                    + app.phases() + ")");
        }
        app.createdToken().ifPresent(t -> out.println(
                "evasan: management API token (shown once, only its hash is stored): " + t));
        out.println(app.describe());
        out.flush();
        if (!partnerJoined) {
            holdPartnerAddresses();
            servePartnerAddresses();
        }
    }

    /** Pool open, nothing above written yet: claim (or keep) the lease, record its areas, mark unmirrored. */
    private void poolOpened(Pool pool) {
        QuorumFiles.write(cellDir, pool);
        openLease();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(4 * (leaseOptions.durationMillis()
                + leaseOptions.marginMillis()) + 2_000);
        while (!lease.tryAcquire()) {
            if (System.nanoTime() - deadline > 0) {
                throw new StorageException(ErrorCode.BUSY, me + " could not claim the quorum lease: " + lease);
            }
            sleep(leaseOptions.renewIntervalMillis() / 4);
        }
        markUnmirrored();   // until a follower holds fresh replicas of both caches
        long every = Math.max(1, leaseOptions.renewIntervalMillis());
        renewal = timer.scheduleWithFixedDelay(this::renew, every, every, TimeUnit.MILLISECONDS);
    }

    private void renew() {
        DiskLease l = lease;
        long held = l.heldGeneration();
        if (held < 0 || closed) {
            return;
        }
        if (!l.renew() && l.fencedGeneration() == held) {
            // its partner claimed the lease: this process was taken for dead (a hang, a partition it lost)
            say("lost the quorum lease (generation " + held + " fenced: " + l + "); halting without writing");
            Runtime.getRuntime().halt(75);
        }
    }

    private void markUnmirrored() {
        try {
            Files.createDirectories(cellDir);
            Path f = cellDir.resolve(UNMIRRORED);
            if (!Files.exists(f)) {
                Files.writeString(f, me + " runs unmirrored\n");
                try (java.nio.channels.FileChannel c = java.nio.channels.FileChannel.open(f,
                        java.nio.file.StandardOpenOption.WRITE)) {
                    c.force(true);
                }
                try (java.nio.channels.FileChannel d = java.nio.channels.FileChannel.open(cellDir,
                        java.nio.file.StandardOpenOption.READ)) {
                    d.force(true);
                }
            }
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, "cannot record that " + me + " runs unmirrored: "
                    + e.getMessage(), e);
        }
    }

    private int[] partnerPortalIndexes() {
        return self == NscId.A ? new int[] {2, 3} : new int[] {0, 1};
    }

    private int[] ownPortalIndexes() {
        return self == NscId.A ? new int[] {0, 1} : new int[] {2, 3};
    }

    // ------------------------------------------------------------------ leader

    /**
     * Leader: the follower is gone. Only once a renewal proves on the drives that this process still holds the lease
     * (a leader resumed after a hang sees its partner silent too, but its partner has taken over: it must halt, not
     * acknowledge unmirrored writes) does it record that the caches run unmirrored and cut them loose; until then
     * host writes wait for the mirror.
     */
    private void partnerLost(String why) {
        partnerJoined = false;
        EmbeddedAppliance a = app;
        if (a == null) {
            return;
        }
        DiskLease l = lease;
        long held = l.heldGeneration();
        while (!closed && !l.renew()) {
            if (l.fencedGeneration() == held || l.heldGeneration() < 0) {
                say("its partner is silent and the quorum lease is lost (" + l + "): it took over; halting without "
                        + "writing");
                Runtime.getRuntime().halt(75);
            }
            sleep(Math.max(1, leaseOptions.renewIntervalMillis() / 4));
        }
        markUnmirrored();
        a.pair().partnerProcessLost(partner + " is down (" + why + "): " + me + " runs unmirrored");
        say("its partner is down (" + why + "); the caches run unmirrored; serving its host ports");
        holdPartnerAddresses();
        servePartnerAddresses();
        faults.partnerHandled(System.nanoTime(), "runs unmirrored and serves its host ports");
    }

    /**
     * Binds the partner's two host addresses here (retrying while a hung partner still holds them); connections wait
     * there until {@link #servePartnerAddresses} names this process's servers for them.
     */
    private synchronized void holdPartnerAddresses() {
        holdPartner = true;
        if (partnerBinder != null && partnerBinder.isAlive()) {
            return;
        }
        Thread t = daemon(() -> {
            int[] idx = partnerPortalIndexes();
            for (int k = 0; k < idx.length; k++) {
                int slot = k;
                while (!closed && holdPartner) {
                    synchronized (this) {
                        if (partnerRelays.size() > slot) {
                            break;   // bound by an earlier binder
                        }
                    }
                    try {
                        PortalRelay r = new PortalRelay(vertx, options.iscsiHost(), publicPorts[idx[k]],
                                () -> partnerTargets[slot], PARTNER_HOLD_MS);
                        synchronized (this) {
                            if (holdPartner && !closed) {
                                partnerRelays.add(r);
                                break;
                            }
                        }
                        r.close();
                    } catch (Exception e) {
                        sleep(50);   // still held by the partner's process (hung, or not yet gone)
                    }
                }
            }
            announcePartnerAddresses();
        }, "evasan-cluster-ports");
        partnerBinder = t;
        t.start();
    }

    /** The partner's addresses held here carry their connections to this process's servers of those portals. */
    private void servePartnerAddresses() {
        EmbeddedAppliance a = app;
        partnerTargets = new int[] {a.iscsiPort(self.partner(), 0), a.iscsiPort(self.partner(), 1)};
        announcePartnerAddresses();
    }

    private synchronized void announcePartnerAddresses() {
        if (!partnerServedSaid && holdPartner && partnerRelays.size() == 2 && partnerTargets[0] > 0) {
            partnerServedSaid = true;
            say("serves its partner's host ports " + publicPorts[partnerPortalIndexes()[0]] + " and "
                    + publicPorts[partnerPortalIndexes()[1]]);
        }
    }

    /** Frees the partner's addresses (it serves or relays them itself again); connections held there close. */
    private void releasePartnerAddresses() {
        Thread b;
        synchronized (this) {
            holdPartner = false;
            b = partnerBinder;
        }
        if (b != null) {
            try {
                b.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        closePartnerRelays();
    }

    /** Closes the relays of the partner's addresses held here (a binder still running adds none after this). */
    private synchronized void closePartnerRelays() {
        holdPartner = false;
        for (PortalRelay r : partnerRelays) {
            r.close();
        }
        partnerRelays.clear();
        partnerTargets = new int[2];
        partnerServedSaid = false;
    }

    /** Leader: the follower (re)joins. Its addresses go back to it, then the caches mirror into it afresh. */
    private void join(Message<JsonObject> m) {
        EmbeddedAppliance a = app;
        if (role != Role.LEADER || a == null) {
            m.fail(409, me + " is " + role + ", not the leader");
            return;
        }
        // the partner asks, but this monitor may not have heard its heartbeat yet: a partner never heard since the
        // monitor started is declared dead after the timeout, and that verdict must not cut the fresh mirror. So
        // the mirror goes only to a partner heard alive; a later loss is then a transition from ALIVE.
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2 * options.heartbeatTimeoutMillis());
        while (monitor.partnerState() != PartnerState.ALIVE) {
            if (closed || System.nanoTime() - deadline > 0) {
                m.fail(503, me + " does not hear " + partner + "'s heartbeat yet (" + monitor.partnerState() + ")");
                return;
            }
            sleep(10);
        }
        partnerJoined = true;
        releasePartnerAddresses();
        JsonArray ports = new JsonArray();
        for (int k = 0; k < 2; k++) {
            ports.add(a.iscsiPort(self.partner(), k));
        }
        boolean mirrored;
        try {
            mirrored = a.pair().remirror();
        } catch (RuntimeException e) {
            m.fail(500, "remirror failed: " + e);
            return;
        }
        if (mirrored) {
            try {
                Files.deleteIfExists(cellDir.resolve(UNMIRRORED));
            } catch (IOException e) {
                say("cannot remove the unmirrored record: " + e);
            }
        }
        say("its partner joined: caches " + (mirrored ? "mirrored into it" : "NOT mirrored") + "; its host ports are "
                + "relayed here");
        m.reply(new JsonObject().put("ports", ports).put("mirrored", mirrored));
    }

    /** What the leader's pair sees of the follower. */
    private final class Host implements MirrorHost {
        @Override
        public String holder() {
            return partnerJoined ? partner : null;
        }

        @Override
        public boolean hold(String cache) {
            JsonObject r = ask(partner, new JsonObject().put("op", "hold").put("cache", cache), 10_000);
            return r != null && r.getBoolean("ok", false);
        }

        @Override
        public void release(String cache) {
            vertx.eventBus().request(controlAddress(partner), new JsonObject().put("op", "release").put("cache", cache),
                    toPartner().setSendTimeout(5_000));
        }

        @Override
        public io.evasan.mld.lease.Fence permit() {
            return lease;
        }
    }

    // ------------------------------------------------------------------ follower

    private void becomeFollower() throws Exception {
        dropReplicas();
        following = false;
        role = Role.FOLLOWER;
        while (!closed) {
            // bounded: this worker also handles heartbeat events, and a leader that dies now must be taken over
            JsonObject r = ask(partner, new JsonObject().put("op", "join"), 15_000);
            if (r != null) {
                JsonArray ports = r.getJsonArray("ports");
                int[] own = ownPortalIndexes();
                for (int k = 0; k < own.length; k++) {
                    relays.add(new PortalRelay(vertx, options.iscsiHost(), publicPorts[own[k]], ports.getInteger(k)));
                }
 if (QuorumFiles.exists(cellDir)) {
                    openLease();
                    // watch the leader's renewals from now on: a claim after its death then waits only for the
                    // rest of its tenure, not for a whole lease duration counted from the first look
                    long every = Math.max(1, leaseOptions.renewIntervalMillis());
                    observer = timer.scheduleWithFixedDelay(() -> {
                        if (role == Role.FOLLOWER && !closed) {
                            lease.observe();
                        }
                    }, 0, every, TimeUnit.MILLISECONDS);
                }
                say("follows " + partner + ": holds the mirror of its caches (" + (r.getBoolean("mirrored", false)
                        ? "mirrored" : "NOT mirrored") + "), relays host ports " + publicPorts[own[0]] + " and "
                        + publicPorts[own[1]] + " to it");
                following = true;
                warmUp();
                return;
            }
            if (!"LEADER".equals(partnerRole())) {
                takeRole();
                return;
            }
            sleep(200);
        }
    }

    /**
     * Once per process, in the background: runs the leader's open path on a scratch cell ({@link StandbyWarmup}), so
     * a takeover runs loaded, compiled code. Off with {@code -Devasan.cluster.warmup=false}.
     */
    private void warmUp() {
        if (!Boolean.parseBoolean(System.getProperty("evasan.cluster.warmup", "true"))
                || !warming.compareAndSet(false, true)) {
            return;
        }
        Thread t = daemon(() -> {
            try {
                long ms = StandbyWarmup.run(options);
                say("standby warm: the leader's path ran on a scratch cell in " + ms + " ms");
            } catch (Exception | Error e) {
                say("standby warm-up failed (a takeover runs cold): " + e);
            }
        }, "evasan-cluster-warmup");
        t.setPriority(Thread.MIN_PRIORITY);
        t.start();
    }

    private void dropReplicas() {
        synchronized (held) {
            for (MirrorEndpoint ep : held.values()) {
                ep.close();
            }
            held.clear();
        }
    }

    /** Follower: the leader fell silent. With the lease, open the pool, replay the mirror, serve. */
    private void takeOver(PartnerEvent e) {
        long t0 = System.nanoTime();
        following = false;
        say("leader " + partner + " is silent (" + e + "); claiming the quorum lease");
        for (PortalRelay r : relays) {
            r.close();
        }
        relays.clear();
        // the dead leader's addresses are taken at once (free after a kill): an initiator reconnecting meanwhile
        // waits on an accepted connection, carried to this process's server once it serves
        holdPartnerAddresses();
        openLease();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(3 * (leaseOptions.durationMillis()
                + leaseOptions.marginMillis()) + 1_000);
        while (!lease.tryAcquire()) {
            if (closed || monitor.partnerState() == PartnerState.ALIVE || System.nanoTime() - deadline > 0) {
                say("the lease stays with " + partner + " (" + lease + "); following it again");
                releasePartnerAddresses();
                try {
                    becomeFollower();
                } catch (Exception ex) {
                    say("cannot rejoin: " + ex);
                }
                return;
            }
            sleep(Math.max(1, leaseOptions.renewIntervalMillis() / 8));
        }
        java.util.concurrent.ScheduledFuture<?> o = observer;
        if (o != null) {
            o.cancel(false);
        }
        leaseClaimedNanos = System.nanoTime();
        say("claimed the quorum lease (generation " + lease.heldGeneration() + ") "
                + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) + " ms after the leader was seen dead");
        List<MirrorReplica> replicas = new ArrayList<>();
        synchronized (held) {
            for (MirrorEndpoint ep : held.values()) {
                ep.close();   // frozen: nothing more is applied
                replicas.add(ep.replica());
            }
            held.clear();
        }
        // a takeover that has not finished within a minute says where it stands (an operator's first question)
        java.util.concurrent.ScheduledFuture<?> watchdog = timer.schedule(() -> {
            if (role != Role.LEADER && !closed) {
                StringBuilder b = new StringBuilder("takeover not finished after 60 s; threads:\n");
                Thread.getAllStackTraces().forEach((t, st) -> {
                    b.append('"').append(t.getName()).append("\" ").append(t.getState()).append('\n');
                    for (StackTraceElement el : st) {
                        b.append("    at ").append(el).append('\n');
                    }
                });
                say(b.toString());
            }
        }, 60, TimeUnit.SECONDS);
        try {
            becomeLeader(true, replicas, t0);
            watchdog.cancel(false);
        } catch (Exception | Error ex) {
            say("takeover failed: " + ex);
            ex.printStackTrace(out);
            Runtime.getRuntime().halt(70);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(Math.max(1, ms));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------ test hooks

    /** Test hook: the leader renews its lease no more, so its tenure lapses and its destage stops at the door. */
    void stopRenewingForTest() {
        java.util.concurrent.ScheduledFuture<?> r = renewal;
        if (r != null) {
            r.cancel(false);
        }
    }

    /**
     * Test hook: this process dies as under SIGKILL, short of its bus (the test closes that, so the partner hears
     * nothing more from it): its timers, heartbeat and relays stop, its appliance crashes undrained
     * ({@link EmbeddedAppliance#crashForTest}) and its lease is left to lapse.
     */
    synchronized void crashForTest() {
        if (closed) {
            return;
        }
        stopActivity();
        EmbeddedAppliance a = app;
        if (a != null) {
            a.crashForTest();
        }
    }

    // ------------------------------------------------------------------ stopping

    /** Clean stop: a leader drains and closes the appliance, then releases the lease (its partner takes over). */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        Role was = role;
        stopActivity();
        EmbeddedAppliance a = app;
        if (a != null) {
            a.close();
        }
        if (lease != null && lease.heldGeneration() >= 0 && was == Role.LEADER) {
            lease.release();
        }
        if (quorum != null) {
            quorum.close();
        }
        try {
            control.unregister().await(5, TimeUnit.SECONDS);
        } catch (Exception ignored) {
            // the bus is closing
        }
    }

    /** Stopping (closed or crashed): no more timers, heartbeat, relays or replicas; the appliance is the caller's. */
    private void stopActivity() {
        closed = true;
        role = Role.STOPPED;
        worker.shutdownNow();
        timer.shutdownNow();
        links.close();
        if (monitor != null) {
            try {
                monitor.stop();
            } catch (RuntimeException ignored) {
                // stopping
            }
        }
        for (PortalRelay r : relays) {
            r.close();
        }
        closePartnerRelays();
        dropReplicas();
    }
}
