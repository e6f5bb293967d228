package io.evasan.deploy;

import io.evasan.mapping.Mapping;
import io.evasan.mgmt.ManagementConfig;
import io.evasan.mgmt.ManagementServer;
import io.evasan.mapping.MappingOptions;
import io.evasan.mapping.Mappings;
import io.evasan.nsc.Controller;
import io.evasan.nsc.ControllerConfig;
import io.evasan.nsc.api.NscId;
import io.evasan.nsc.cache.CacheConfig;
import io.evasan.nsc.cell.pair.ControllerPair;
import io.evasan.nsc.cell.pair.PairOptions;
import io.evasan.nsc.cell.pair.PairPortGroups;
import io.evasan.nsc.lun.LunRecord;
import io.evasan.raid.DiskGroup;
import io.evasan.raid.Pool;
import io.evasan.raid.PoolSpec;
import io.evasan.raid.Pools;
import io.evasan.raid.rstore.RaidLevel;
import io.evasan.sharing.SharingConfig;
import io.evasan.sharing.SharingStats;
import io.evasan.sharing.impl.SharingTreesImpl;
import io.evasan.sharing.spi.impl.MappingSegmentMaps;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * The whole appliance in one JVM, assembled bottom-up: pool (drives, RAID) → mapping (LUN maps,
 * MLD) → sharing trees (snapshots) → the cell: controllers A and B ({@link ControllerPair}: a write-back cache each,
 * mirrored into the other, a heartbeat on the local event bus, per-LUN ownership) behind one command path
 * (LUN table, SCSI target with ALUA, seed-003 engine) → four iSCSI portals, two per controller
 * ({@link CellPortals}: the first on the configured port, 3260 by default) and the FC fabric ({@link CellFabric}: a switch
 * on 127.0.0.1:7210 by default, each controller's two N_Ports logged in). Closing it tears down top-down so every acknowledged write is destaged and every
 * map is closed cleanly; a crash instead is recovered by each layer on the next start.
 *
 * <p>Invariants: the data directory and everything in it is private to the owner ({@link PrivateDataDirectory}:
 * directories 0700, files 0600, also for what earlier runs left and what is created while running). On first start (no pool in the data directory) it creates the embedded default
 * pool and one thin LUN presented to every initiator at LUN 0, so a fresh install answers
 * {@code iscsi-ls -s iscsi://127.0.0.1:3260} at once; later starts only reopen.
 */
public final class EmbeddedAppliance implements AutoCloseable {
    /**
     * System property set by {@code --mld-accept-rollback N}: the operator's consent to open the
     * MLD on generation N when a newer acknowledged generation is lost (quorum-mld/README.md).
     */
    public static final String MLD_ACCEPT_ROLLBACK_PROPERTY = "evasan.mld.acceptRollback";
    /** The product's heartbeat timeout: a silent controller is taken over after this long. */
    public static final long DEFAULT_HEARTBEAT_TIMEOUT_MS = 500;
    /** {@link Options#forTest}'s heartbeat timeout. */
    public static final long TEST_HEARTBEAT_TIMEOUT_MS = 5000;
    public static final String DEFAULT_IQN = "iqn.2026-11.io.evasan:nsc0";
    public static final String FIRST_LUN = "lun0";

    /**
     * Start options; {@code serve == false} opens and describes without starting the portal.
     * {@code mgmtTlsCert} / {@code mgmtTlsKey}: PEM files switching the management API to HTTPS (both or neither).
     * {@code physicalBlockBytes}: the physical block size the LUNs report to hosts, 4096 (default) or 512.
     * {@code bgcopyBytesPerSecond}: the snapclone BGCOPY throttle (0 = unthrottled), in force from the moment
     * the sharing trees open, so copies a restart resumes are throttled too.
     */
    public record Options(Path dataDir, String iscsiHost, int iscsiPort, String targetIqn, RaidLevel raid,
                          long firstLunSizeBytes, boolean serve, boolean metadataFsync, String mgmtHost, int mgmtPort,
                          Path mgmtTlsCert, Path mgmtTlsKey, int physicalBlockBytes, long bgcopyBytesPerSecond,
                          int fabricPort, long heartbeatTimeoutMillis, boolean perfHistoryFiles) {
        public Options {
            if (fabricPort < 0 || fabricPort > 65535) {
                throw new IllegalArgumentException("--fabric-port must be 0..65535, got " + fabricPort);
            }
            if (heartbeatTimeoutMillis < 50 || heartbeatTimeoutMillis > 60_000) {
                throw new IllegalArgumentException("--heartbeat-timeout-ms must be between 50 and 60000, got "
                        + heartbeatTimeoutMillis);
            }
            Objects.requireNonNull(dataDir, "dataDir");
            Objects.requireNonNull(raid, "raid");
            if ((mgmtTlsCert == null) != (mgmtTlsKey == null)) {
                throw new IllegalArgumentException("--mgmt-tls-cert and --mgmt-tls-key go together (both or neither)");
            }
            if (physicalBlockBytes != 512 && physicalBlockBytes != 4096) {
                throw new IllegalArgumentException("--physical-block-size must be 512 or 4096, got " + physicalBlockBytes);
            }
            if (bgcopyBytesPerSecond < 0) {
                throw new IllegalArgumentException("--bgcopy-rate must be >= 0, got " + bgcopyBytesPerSecond);
            }
        }

        /**
         * The fabric switch on {@value CellFabric#DEFAULT_PORT}, or on a free port when the iSCSI port is 0 (a test
         * asking for free ports gets a free fabric port too); the pair's default heartbeat timeout
         * ({@value #DEFAULT_HEARTBEAT_TIMEOUT_MS} ms).
         */
        public Options(Path dataDir, String iscsiHost, int iscsiPort, String targetIqn, RaidLevel raid,
                       long firstLunSizeBytes, boolean serve, boolean metadataFsync, String mgmtHost, int mgmtPort,
                       Path mgmtTlsCert, Path mgmtTlsKey, int physicalBlockBytes, long bgcopyBytesPerSecond) {
            this(dataDir, iscsiHost, iscsiPort, targetIqn, raid, firstLunSizeBytes, serve, metadataFsync, mgmtHost, mgmtPort,
                    mgmtTlsCert, mgmtTlsKey, physicalBlockBytes, bgcopyBytesPerSecond,
                    iscsiPort == 0 ? 0 : CellFabric.DEFAULT_PORT, DEFAULT_HEARTBEAT_TIMEOUT_MS,
                    !"memory".equals(System.getProperty(PERF_HISTORY_PROPERTY)));
        }

        /** The same options with the fabric switch listening on {@code port} (0 = a free port). */
        public Options withFabricPort(int port) {
            return new Options(dataDir, iscsiHost, iscsiPort, targetIqn, raid, firstLunSizeBytes, serve, metadataFsync,
                    mgmtHost, mgmtPort, mgmtTlsCert, mgmtTlsKey, physicalBlockBytes, bgcopyBytesPerSecond, port,
                    heartbeatTimeoutMillis, perfHistoryFiles);
        }

        /** The same options with the pair's heartbeat declaring a silent controller dead after {@code millis}. */
        public Options withHeartbeatTimeout(long millis) {
            return new Options(dataDir, iscsiHost, iscsiPort, targetIqn, raid, firstLunSizeBytes, serve, metadataFsync,
                    mgmtHost, mgmtPort, mgmtTlsCert, mgmtTlsKey, physicalBlockBytes, bgcopyBytesPerSecond, fabricPort,
                    millis, perfHistoryFiles);
        }

        /**
         * The same options with the management appliance's performance history kept in memory only (no Chronicle Map
         * files: ~150 MB allocated and seconds of code generation at the first open in a JVM). The default keeps
         * files unless the system property {@value #PERF_HISTORY_PROPERTY} is {@code memory} (the build's test JVMs).
         */
        public Options withPerfHistoryInMemory() {
            return new Options(dataDir, iscsiHost, iscsiPort, targetIqn, raid, firstLunSizeBytes, serve, metadataFsync,
                    mgmtHost, mgmtPort, mgmtTlsCert, mgmtTlsKey, physicalBlockBytes, bgcopyBytesPerSecond, fabricPort,
                    heartbeatTimeoutMillis, false);
        }

        /** Unthrottled BGCOPY. */
        public Options(Path dataDir, String iscsiHost, int iscsiPort, String targetIqn, RaidLevel raid,
                       long firstLunSizeBytes, boolean serve, boolean metadataFsync, String mgmtHost, int mgmtPort,
                       Path mgmtTlsCert, Path mgmtTlsKey, int physicalBlockBytes) {
            this(dataDir, iscsiHost, iscsiPort, targetIqn, raid, firstLunSizeBytes, serve, metadataFsync, mgmtHost, mgmtPort,
                    mgmtTlsCert, mgmtTlsKey, physicalBlockBytes, 0);
        }

        /** The same options with snapclone copies throttled to {@code bytesPerSecond} (0 = unthrottled). */
        public Options withBgcopyRate(long bytesPerSecond) {
            return new Options(dataDir, iscsiHost, iscsiPort, targetIqn, raid, firstLunSizeBytes, serve, metadataFsync,
                    mgmtHost, mgmtPort, mgmtTlsCert, mgmtTlsKey, physicalBlockBytes, bytesPerSecond, fabricPort,
                    heartbeatTimeoutMillis, perfHistoryFiles);
        }

        /** 4 KiB physical blocks. */
        public Options(Path dataDir, String iscsiHost, int iscsiPort, String targetIqn, RaidLevel raid,
                       long firstLunSizeBytes, boolean serve, boolean metadataFsync, String mgmtHost, int mgmtPort,
                       Path mgmtTlsCert, Path mgmtTlsKey) {
            this(dataDir, iscsiHost, iscsiPort, targetIqn, raid, firstLunSizeBytes, serve, metadataFsync, mgmtHost, mgmtPort,
                    mgmtTlsCert, mgmtTlsKey, 4096);
        }

        /** The same options with LUNs reporting {@code bytes} (512 or 4096) physical blocks. */
        public Options withPhysicalBlockBytes(int bytes) {
            return new Options(dataDir, iscsiHost, iscsiPort, targetIqn, raid, firstLunSizeBytes, serve, metadataFsync,
                    mgmtHost, mgmtPort, mgmtTlsCert, mgmtTlsKey, bytes, bgcopyBytesPerSecond, fabricPort,
                    heartbeatTimeoutMillis, perfHistoryFiles);
        }

        /** Plain-HTTP management API. */
        public Options(Path dataDir, String iscsiHost, int iscsiPort, String targetIqn, RaidLevel raid,
                       long firstLunSizeBytes, boolean serve, boolean metadataFsync, String mgmtHost, int mgmtPort) {
            this(dataDir, iscsiHost, iscsiPort, targetIqn, raid, firstLunSizeBytes, serve, metadataFsync, mgmtHost, mgmtPort,
                    null, null);
        }

        /** The same options with the management API on HTTPS (PEM certificate chain and private key). */
        public Options withMgmtTls(Path certPem, Path keyPem) {
            return new Options(dataDir, iscsiHost, iscsiPort, targetIqn, raid, firstLunSizeBytes, serve, metadataFsync,
                    mgmtHost, mgmtPort, certPem, keyPem, physicalBlockBytes, bgcopyBytesPerSecond, fabricPort,
                    heartbeatTimeoutMillis, perfHistoryFiles);
        }

        /** "https" with a TLS certificate and key, else "http". */
        public String mgmtScheme() {
            return mgmtTlsCert != null ? "https" : "http";
        }

        /**
         * Defaults for tests: data under {@code dir}, free loopback ports, and a heartbeat timeout of
         * {@value #TEST_HEARTBEAT_TIMEOUT_MS} ms (a test not about failover must not see one because the build machine
         * is loaded; failover tests set the product's {@link #withHeartbeatTimeout}).
         */
        public static Options forTest(Path dir) {
            return new Options(dir, "127.0.0.1", 0, DEFAULT_IQN, RaidLevel.RAID5, 1L << 30, true, false, "127.0.0.1", 0)
                    .withHeartbeatTimeout(TEST_HEARTBEAT_TIMEOUT_MS);   // fabric: a free port
        }
    }

    /** {@code -Devasan.perf.history=memory}: appliances started without explicit options keep no history files. */
    public static final String PERF_HISTORY_PROPERTY = "evasan.perf.history";

    private final Options options;
    private final boolean firstStart;
    private final MeterRegistry registry;
    private final Pool pool;
    private final Mapping mapping;
    private final SharingTreesImpl trees;
    private final Controller controller;
    private final ControllerPair pair;
    private final io.vertx.core.Vertx vertx;
    /** The four iSCSI portals (two per controller), or null when not serving. */
    private final CellPortals portals;
    /** The FC switch and the cell's four target N_Ports, or null when not serving. */
    private final CellFabric fabric;
    private final int iscsiPort;
    private final ManagementServer mgmt;
    private final int mgmtPort;
    private final Optional<String> createdToken;
    private final PrivateDataDirectory dataDirectory;
    private final io.evasan.nsc.api.Records records;
    /** The clustered leader's hooks, or null in the embedded cell. */
    private final LeaderHooks cluster;
    /** Clustered takeover: the dead leader's mirrored writes and markers replayed into the pool. */
    private volatile int adopted;
    private final StringBuilder phases = new StringBuilder();
    /** When the iSCSI portals were up (host I/O served from then on), System.nanoTime(); 0 before. */
    private volatile long servingAtNanos;
    private volatile Thread mgmtRetry;
    private volatile boolean closed;

    private EmbeddedAppliance(Options o) throws Exception {
        this(o, null);
    }

    private EmbeddedAppliance(Options o, LeaderHooks cl) throws Exception {
        this.options = o;
        this.cluster = cl;
        PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        this.registry = prometheus;
        PrivateDataDirectory dd = PrivateDataDirectory.open(o.dataDir());   // 0700 before anything is written into it
        this.firstStart = !Pools.exists(o.dataDir());
        Pool p = null;
        Mapping m = null;
        SharingTreesImpl t = null;
        Controller c = null;
        ControllerPair pr = null;
        io.vertx.core.Vertx v = null;
        io.evasan.nsc.api.Records records;
        CellPortals s = null;
        CellFabric f = null;
        ManagementServer g = null;
        try {
            p = Pools.openOrCreate(o.dataDir(), PoolSpec.embeddedDefault(), registry);
            phase("pool");
            if (cl != null) {
                cl.poolOpened().accept(p);   // the leader holds the quorum lease before anything above writes
            }
            // Map changes are written (kill -9 safe) before the write that needed them is
            // acknowledged; they reach stable storage with the data at FUA / SYNCHRONIZE CACHE,
            // or on every change with --metadata-fsync.
            m = Mappings.open(p, o.dataDir().resolve("mapping"),
                    MappingOptions.defaults().withFsync(o.metadataFsync()).withRegistry(registry)
                            .withMldAcceptRollbackTo(Long.getLong(MLD_ACCEPT_ROLLBACK_PROPERTY, -1)));
            phase("maps");
            int group = p.diskGroups().get(0).id();
            t = new SharingTreesImpl(new MappingSegmentMaps(m, p, group, o.raid(), "st-"),
                    SharingConfig.defaults().withRate(o.bgcopyBytesPerSecond()), new SharingStats(registry));
            Pool poolRef = p;
            // the cell: two controllers (A, B), each with its own mirrored cache, over the one backend
            io.evasan.nsc.cell.CommandLog log = new io.evasan.nsc.cell.CommandLog();
            records = new io.evasan.nsc.cell.impl.MldRecords(m.mld(), log);
            v = cl != null ? cl.vertx() : io.vertx.core.Vertx.vertx();
            long heartbeatTimeout = o.heartbeatTimeoutMillis();
            PairOptions po = PairOptions.defaults(o.dataDir().resolve("cell"), CacheConfig::new, registry, records, v)
                    .withLegacyLog(o.dataDir().resolve("nsc0").resolve("cache.log"))
                    .withHeartbeat(Math.max(10, heartbeatTimeout / 5), heartbeatTimeout);
            // who may write when A and B cannot talk: a lease in the drives' quorum areas (the clustered leader's
            // is its process's, taken in poolOpened)
            po = cl != null ? po.withMirrorHost(cl.host())
                    : po.withLease(io.evasan.mld.lease.LeaseStore.open(PairOptions.leaseAreas(p)));
            pr = new ControllerPair(po);
            ControllerPair pairRef = pr;
            if (cl != null && cl.takeover()) {
                pr.setAsideDeadLeadersLogs();
            }
            c = Controller.open(new ControllerConfig(o.dataDir().resolve("nsc0"))
                    .poolIdentity(p.id().toString())
                    .rebuildInProgress(() -> poolRef.diskGroups().stream().anyMatch(DiskGroup::rebuildInProgress))
                    .consistencyCheckInProgress(() -> poolRef.diskGroups().stream().anyMatch(DiskGroup::resyncInProgress))
                    .lunCatalog(m.mld())
                    .commandLog(log)
                    .cacheFactory((target, action) -> {
                        phase("trees");
                        io.evasan.nsc.cache.WriteCache router = pairRef.open(target, action);
                        phase("caches");
                        if (cl != null && cl.takeover()) {   // the dead leader's acknowledged writes, before any new one
                            adopted = pairRef.adopt(cl.replicas());
                            phase("replay");
                        }
                        return router;
                    })
                    .targetPortGroups(new PairPortGroups(pairRef))
                    .physicalBlockExponent(Integer.numberOfTrailingZeros(o.physicalBlockBytes() / 512))
                    .meterRegistry(registry), t);
            phase("controller");
            pr.onAccessChange(c.diskTarget()::accessStatesChanged);
            pr.follow(log);
            pr.start();
            if (c.listLuns().isEmpty() && firstStart) {
                c.createLun(FIRST_LUN, o.firstLunSizeBytes());
                c.presentLun("*", 0, FIRST_LUN);
            }
            int port = -1;
            int gport = -1;
            Optional<String> token = Optional.empty();
            if (o.serve()) {
                s = cl != null ? new CellPortals(o.iscsiHost(), cl.bindPorts(), cl.publicPorts(), o.targetIqn(), c.scsiTarget(), registry)
                        : new CellPortals(o.iscsiHost(), o.iscsiPort(), o.targetIqn(), c.scsiTarget(), registry);
                pr.addListener(s);
                phase("portals");
                servingAtNanos = System.nanoTime();
                // the FC fabric beside the portals: the switch on loopback, each NSC's two N_Ports logged in (the
                // clustered cell serves iSCSI only: its switch as a process of its own is not built)
                if (cl == null) {
                    f = new CellFabric(p.id().toString(), o.iscsiHost(), o.fabricPort(), c.scsiTarget(), registry);
                    pr.addListener(f);
                }
                io.evasan.nsc.api.Cell cell = new io.evasan.nsc.cell.impl.StorageCell(p, t, c, records, pr,
                        cl != null ? cl.faults() : null);
                g = new ManagementServer(new ManagementConfig().host(o.mgmtHost()).port(o.mgmtPort())
                        .records(cell.records()).tls(o.mgmtTlsCert(), o.mgmtTlsKey()).initiatorSecrets(s).iscsiSessions(s).fabric(f)
                        .perfHistoryDir(o.perfHistoryFiles() ? o.dataDir().resolve("mgmt-perf") : null),   // Chronicle Map
                        cell, prometheus);
                s.onLoginRefused(g::loginRefused);   // CHAP and login failures into the event log
                if (cl != null && cl.takeover()) {
                    gport = startAfterTheDeadLeader(g, o.mgmtPort());
                } else {
                    gport = g.start();   // applies the stored zone set (or the default zone) to the switch
                }
                if (f != null) {
                    f.listen();          // only then may hosts connect to the fabric
                }
                phase("management");
                token = g.createdToken();
                port = s.port(NscId.A, 0);
            }
            this.iscsiPort = port;
            this.mgmtPort = gport;
            this.createdToken = token;
            dd.tightenNow();   // what this start created, whatever the process umask
        } catch (Exception | Error e) {
            closeQuietly(g, s, f, c, pr, cl != null ? null : v, t, m, p);
            dd.close();
            throw e;
        }
        this.dataDirectory = dd;
        this.records = records;
        this.mgmt = g;
        this.pool = p;
        this.mapping = m;
        this.trees = t;
        this.controller = c;
        this.pair = pr;
        this.vertx = v;
        this.portals = s;
        this.fabric = f;
    }

    /**
     * A clustered takeover: the management API's address may still be held by the hung leader (until it is fenced
     * and exits); hosts' I/O does not wait for it: it is bound from a thread of its own, retried every 200 ms.
     */
    private int startAfterTheDeadLeader(ManagementServer g, int port) {
        try {
            return g.start();
        } catch (RuntimeException first) {
            System.err.println("evasan: cluster: management port " + port + " still held (" + first.getMessage()
                    + "); retrying until the old leader lets it go");
            Thread t = new Thread(() -> {
                while (!closed) {
                    try {
                        Thread.sleep(200);
                        g.start();
                        System.out.println("evasan: cluster: management API up on port " + port);
                        return;
                    } catch (InterruptedException e) {
                        return;
                    } catch (RuntimeException again) {
                        // still held
                    }
                }
            }, "evasan-mgmt-rebind");
            t.setDaemon(true);
            mgmtRetry = t;
            t.start();
            return port;
        }
    }

    /** The clustered leader's way in (package-private: {@link ClusterNode} only). */
    static EmbeddedAppliance startLeader(Options o, LeaderHooks hooks) throws Exception {
        return new EmbeddedAppliance(o, hooks);
    }

    private long phaseStart = System.nanoTime();

    private void phase(String name) {
        long now = System.nanoTime();
        if (phases.length() > 0) {
            phases.append(", ");
        }
        phases.append(name).append(' ').append(java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(now - phaseStart))
                .append(" ms");
        phaseStart = now;
    }

    /** When the portals were up (System.nanoTime()), 0 when not serving. */
    long servingAtNanos() {
        return servingAtNanos;
    }

    /** How long each part of the start took ("pool 120 ms, maps 300 ms, ..."). */
    String phases() {
        return phases.toString();
    }

    /** Clustered takeover: the dead leader's mirrored items replayed into the pool (0 otherwise). */
    int adopted() {
        return adopted;
    }

    /**
     * Test hook (a clustered leader killed inside a test JVM): the caches halt with their logs as they are, the
     * portals and the management API close; nothing is drained or flushed, the maps and the pool stay as a kill leaves
     * them, and a later {@link #close} does nothing.
     */
    synchronized void crashForTest() {
        if (closed) {
            return;
        }
        closed = true;
        pair.haltCachesForTest();
        closeQuietly(mgmt, portals, null, null, null, null, null, null, null);
    }

    /** Opens (or on first start creates) everything under {@code o.dataDir()} and starts serving. */
    public static EmbeddedAppliance start(Options o) throws Exception {
        return new EmbeddedAppliance(o);
    }

    public Pool pool() { return pool; }
    public Mapping mapping() { return mapping; }
    public SharingTreesImpl trees() { return trees; }
    public Controller controller() { return controller; }
    /** The cell's two controllers. */
    public ControllerPair pair() { return pair; }

    /** The bound port of NSC {@code nsc}'s {@code index}-th iSCSI portal (0 or 1), or -1 when not serving. */
    public int iscsiPort(NscId nsc, int index) {
        return portals == null ? -1 : portals.port(nsc, index);
    }
    public MeterRegistry registry() { return registry; }

    /** The TCP port of the FC switch (hosts' links connect there), or -1 when not serving. */
    public int fabricPort() {
        return fabric == null ? -1 : fabric.port();
    }

    /** The cell's WWNN (NAA 5, derived from the pool id), or 0 when not serving. */
    public long fabricWwnn() {
        return fabric == null ? 0 : fabric.wwnn();
    }

    /** Which controller serves each target N_Port now (A1, A2, B1, B2; "" while dark); empty when not serving. */
    public java.util.List<String> fabricServedBy() {
        if (fabric == null) {
            return java.util.List.of();
        }
        java.util.List<String> out = new java.util.ArrayList<>();
        for (io.evasan.mgmt.FabricControl.Port p : fabric.ports()) {
            if (p.servedBy() != null) {
                out.add(p.servedBy());
            }
        }
        return out;
    }

    /** The FC switch, or null when not serving (tests). */
    public io.evasan.fabric.switching.FabricSwitch fabricSwitch() {
        return fabric == null ? null : fabric.fabricSwitch();
    }
    public boolean firstStart() { return firstStart; }

    /** The bound management (REST API, /metrics) port, or -1 when not serving. */
    public int mgmtPort() { return mgmtPort; }

    /** The admin API token, present only on the start that created it (print it once). */
    public Optional<String> createdToken() { return createdToken; }

    /** The cell's records (the mirrored MLD behind the command log): LUN catalog, hosts, the admin token's hash. */
    public io.evasan.nsc.api.Records records() { return records; }

    /** The bound iSCSI port, or -1 when not serving. */
    public int iscsiPort() { return iscsiPort; }

    /** iscsi:// URL of host LUN {@code lun} of the target. */
    public String iscsiUrl(int lun) {
        return "iscsi://" + options.iscsiHost() + ":" + iscsiPort + "/" + options.targetIqn() + "/" + lun;
    }

    /** Human-readable state: pool, LUNs, presentations, the portal. */
    public String describe() {
        StringBuilder b = new StringBuilder();
        b.append(firstStart ? "evasan: created a new pool in " : "evasan: opened the pool in ")
                .append(options.dataDir().toAbsolutePath()).append('\n');
        b.append(pool.describe()).append('\n');
        b.append("LUNs:\n");
        for (LunRecord l : controller.listLuns()) {
            b.append(String.format("  %-16s %-8s %,16d bytes%n", l.name(), l.kind(), l.sizeBytes()));
        }
        java.util.Map<Integer, String> names = new java.util.HashMap<>();
        controller.listLuns().forEach(l -> names.put(l.id(), l.name()));
        controller.listPresentations().forEach(pr -> b.append("  presented: ").append(inWords(pr, names)).append('\n'));
        if (iscsiPort > 0) {
            b.append("iSCSI target ").append(options.targetIqn()).append(", portals (host:port,tpgt):\n");
            for (String portal : portals.describe()) {
                b.append("  ").append(portal).append('\n');
            }
            b.append("connect: ").append(iscsiUrl(0)).append('\n');
        }
        if (fabric != null) {
            b.append("FC fabric: switch domain ").append(CellFabric.DOMAIN).append(" on ").append(fabric.listenAddress())
                    .append(", WWNN ").append(io.evasan.fabric.switching.Wwn.format(fabric.wwnn())).append(", target ports:\n");
            for (String port : fabric.describe()) {
                b.append("  ").append(port).append('\n');
            }
        }
        if (mgmtPort > 0) {
            b.append("management API ").append(options.mgmtScheme()).append("://").append(options.mgmtHost()).append(':').append(mgmtPort)
                    .append("/api (OpenAPI: /api/openapi.json, metrics: /metrics; Authorization: Bearer <token>)\n");
        }
        return b.toString();
    }

    /** "lun0 to every initiator (*) as host LUN 0": a presentation as the startup banner prints it (no record syntax). */
    static String inWords(io.evasan.nsc.lun.Presentation p, java.util.Map<Integer, String> lunNames) {
        String lun = lunNames.getOrDefault(p.lunId(), "LUN id " + p.lunId());
        String to = "*".equals(p.initiator()) ? "every initiator (*)" : p.initiator();
        return lun + " to " + to + " as host LUN " + p.hostLun();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        Thread r = mgmtRetry;
        if (r != null) {
            r.interrupt();
        }
        // the clustered bus belongs to the cluster node, which outlives this appliance
        closeQuietly(mgmt, portals, fabric, controller, pair, cluster != null ? null : vertx, trees, mapping, pool);
        try {
            dataDirectory.tightenNow();   // what closing wrote, before the watch ends
        } catch (IOException | RuntimeException e) {
            System.err.println("evasan: data directory modes: " + e);
        }
        dataDirectory.close();
    }

    private static void closeQuietly(ManagementServer g, CellPortals s, CellFabric f, Controller c, ControllerPair pr,
                                     io.vertx.core.Vertx v, SharingTreesImpl t, Mapping m, Pool p) {
        if (g != null) {
            try { g.stop(); } catch (RuntimeException e) { System.err.println("evasan: management stop: " + e); }
        }
        if (s != null) {
            s.close();
        }
        if (f != null) {   // the target N_Ports log out with the switch: hosts see the link go
            try { f.close(); } catch (RuntimeException e) { System.err.println("evasan: fabric close: " + e); }
        }
        if (pr != null) {   // heartbeat off first: closing is not a failure
            try { pr.close(); } catch (RuntimeException e) { System.err.println("evasan: controller pair close: " + e); }
        }
        if (c != null) {
            try { c.close(); } catch (RuntimeException e) { System.err.println("evasan: controller close: " + e); }
        }
        if (pr != null) {   // after the caches drained: the next start claims the quorum lease at once
            try { pr.releaseLease(); } catch (RuntimeException e) { System.err.println("evasan: lease release: " + e); }
        }
        if (v != null) {
            try { v.close().await(10, java.util.concurrent.TimeUnit.SECONDS); } catch (Exception e) { System.err.println("evasan: event bus close: " + e); }
        }
        if (t != null) {
            try { t.close(); } catch (RuntimeException e) { System.err.println("evasan: sharing trees close: " + e); }
        }
        if (m != null) {
            try { m.close(); } catch (Exception e) { System.err.println("evasan: mapping close: " + e); }
        }
        if (p != null) {
            try { p.close(); } catch (RuntimeException e) { System.err.println("evasan: pool close: " + e); }
        }
    }
}
