package io.evasan.deploy;

import io.evasan.error.StorageException;
import io.evasan.raid.rstore.RaidLevel;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * The embedded appliance launcher: one command that opens the pool under the data directory
 * (creating the default pool of sparse-file drives, and a first thin LUN, on first start), starts
 * the controller and the iSCSI target, prints the state and the URL to connect with, and serves
 * until stopped. Everything binds 127.0.0.1 unless configured otherwise.
 *
 * <p>Stopping: SIGINT (Ctrl-C) and SIGTERM are a clean stop — the appliance is closed (cache destaged, maps
 * closed), {@code evasan: stopped} is printed and the process exits 0. A JVM cannot catch a signal its parent
 * left ignored (a background job of a non-interactive shell starts with SIGINT ignored; the JVM then refuses any
 * handler for it): the launcher says so on stderr, and {@code appliance.sh} restores SIGINT's default before it
 * starts the JVM ({@code env --default-signal=INT}).
 */
@Command(name = "evasan", mixinStandardHelpOptions = true, version = "evasan 0.1.0",
        description = "Runs the embedded SAN appliance over a pool of drives under --data-dir.")
public final class Appliance implements Callable<Integer> {

    @Option(names = "--data-dir", defaultValue = "data",
            description = "State directory: drives, pool list, metadata, cache log (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--status", description = "Print the pool state and exit instead of serving.")
    boolean statusOnly;

    @Option(names = "--rotate-admin-token",
            description = "Replace the management API token with a new one, print it once and exit (only its salted hash is"
                    + " stored; the old token stops working). For a lost token: run it with the appliance stopped, as the"
                    + " user owning --data-dir.")
    boolean rotateAdminToken;

    @Option(names = "--iscsi-host", defaultValue = "127.0.0.1",
            description = "Address the iSCSI portal binds (default: ${DEFAULT-VALUE}).")
    String iscsiHost;

    @Option(names = "--iscsi-port", defaultValue = "3260",
            description = "iSCSI portal port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int iscsiPort;

    @Option(names = "--fabric-port", paramLabel = "PORT",
            description = "TCP port of the built-in Fibre Channel switch on the iSCSI host address, where hosts (sanhost)"
                    + " connect their links (default 7210; 0 = a free port; with --iscsi-port 0 and no --fabric-port: a free port).")
    Integer fabricPort;

    @Option(names = "--target-iqn", defaultValue = EmbeddedAppliance.DEFAULT_IQN,
            description = "IQN of the iSCSI target (default: ${DEFAULT-VALUE}).")
    String targetIqn;

    @Option(names = "--raid", defaultValue = "RAID5",
            description = "RAID level of LUN data (RAID0, RAID1, RAID5; default: ${DEFAULT-VALUE}).")
    RaidLevel raid;

    @Option(names = "--first-lun-size", defaultValue = "1073741824",
            description = "Size in bytes of the thin LUN created on first start (default: 1 GiB).")
    long firstLunSize;

    @Option(names = "--mgmt-host", defaultValue = "127.0.0.1",
            description = "Address the management API binds (default: ${DEFAULT-VALUE}).")
    String mgmtHost;

    @Option(names = "--mgmt-port", defaultValue = "8080",
            description = "Management API port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int mgmtPort;

    @Option(names = "--mgmt-tls-cert", paramLabel = "FILE",
            description = "PEM certificate (chain) for HTTPS on the management API; needs --mgmt-tls-key.")
    Path mgmtTlsCert;

    @Option(names = "--mgmt-tls-key", paramLabel = "FILE",
            description = "PEM private key (PKCS#8 or PKCS#1) for HTTPS on the management API; needs --mgmt-tls-cert.")
    Path mgmtTlsKey;

    @Option(names = "--physical-block-size", defaultValue = "4096", paramLabel = "BYTES",
            description = "Physical block size the LUNs report to hosts (READ CAPACITY 16): 4096 or 512 (default: ${DEFAULT-VALUE}).")
    int physicalBlockSize;

    @Option(names = "--metadata-fsync",
            description = "Force the map log to disk on every map change, not only at FUA / SYNCHRONIZE CACHE.")
    boolean metadataFsync;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--cluster", paramLabel = "NAME",
            description = "Run as one controller of the clustered cell NAME: a process of its own on the clustered event bus"
                    + " (Hazelcast on the --iscsi-host address), sharing --data-dir's drives with its partner (deploy/cell.sh"
                    + " starts both). Needs --nsc.")
    String cluster;

    @Option(names = "--nsc", paramLabel = "A|B", description = "With --cluster: which controller this process is.")
    io.evasan.nsc.api.NscId nsc;

    @Option(names = "--mld-accept-rollback", paramLabel = "GENERATION",
            description = "Recovery only: open the MLD on this older generation when the start was refused because a newer,"
                    + " acknowledged generation is damaged on every copy (quorum-mld/README.md, Recovery).")
    void mldAcceptRollback(long generation) {
        if (generation < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--mld-accept-rollback takes the generation named by the refusal message (>= 0), got " + generation);
        }
        System.setProperty(EmbeddedAppliance.MLD_ACCEPT_ROLLBACK_PROPERTY, Long.toString(generation));
    }

    @Option(names = "--heartbeat-timeout-ms", paramLabel = "MS",
            description = "How long controller A or B may stay silent on the pair's heartbeat before its partner takes its"
                    + " LUNs over (default 500; the heartbeat runs every timeout/5 ms).")
    void heartbeatTimeout(long millis) {
        if (millis < 50 || millis > 60_000) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--heartbeat-timeout-ms must be between 50 and 60000, got " + millis);
        }
        this.heartbeatTimeoutMs = millis;
    }

    long heartbeatTimeoutMs = EmbeddedAppliance.DEFAULT_HEARTBEAT_TIMEOUT_MS;

    long bgcopyRate;

    @Option(names = "--bgcopy-rate", defaultValue = "0", paramLabel = "BYTES_PER_S",
            description = "Throttle of snapclone background copies (BGCOPY) in bytes per second; 0 = unlimited (default: ${DEFAULT-VALUE}).")
    void bgcopyRate(long bytesPerSecond) {
        if (bytesPerSecond < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--bgcopy-rate must be 0 (unlimited) or a positive number of bytes per second, got " + bytesPerSecond);
        }
        this.bgcopyRate = bytesPerSecond;
    }

    /** One controller of the clustered cell: joins the bus, takes a role, serves until stopped. */
    private int runClustered(EmbeddedAppliance.Options o) throws Exception {
        if (statusOnly) {
            System.err.println("evasan: --status does not apply to a clustered controller");
            return 2;
        }
        if (iscsiPort < 1 || iscsiPort > 65532) {
            // the four portals' addresses move between the processes: they must be fixed and known to both
            System.err.println("evasan: --cluster needs a fixed --iscsi-port (1..65532, the first of four), got "
                    + iscsiPort);
            return 2;
        }
        io.vertx.core.Vertx bus = ClusterBus.start(cluster, iscsiHost);
        ClusterNode node;
        try {
            node = ClusterNode.start(o, nsc, bus, System.out);
        } catch (StorageException e) {
            System.err.println("evasan: cluster " + cluster + ": " + nsc + " cannot start: " + e.getMessage() + " ["
                    + e.code() + "]");
            bus.close();
            return 2;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            node.close();
            try {
                bus.close().await(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception e) {
                System.err.println("evasan: event bus close: " + e);
            }
            System.out.println("evasan: stopped");
            System.out.flush();
            stopped.countDown();
        }, "evasan-shutdown"));
        StopSignals.install("TERM");
        StopSignals.install("INT");
        System.out.println("evasan: cluster " + cluster + ": controller " + nsc + " running as " + node.role()
                + " (pid " + ProcessHandle.current().pid() + ")");
        System.out.flush();
        stopped.await();
        return 0;
    }

    /**
     * {@code --rotate-admin-token}: opens the stopped appliance's data directory without serving, stores the hash of a
     * new token, prints the token once. Refused (exit 2, nothing written) when there is no appliance in the directory
     * or one is running on it.
     */
    private int rotateToken(EmbeddedAppliance.Options o) throws Exception {
        Path dir = dataDir.toAbsolutePath();
        if (cluster != null || statusOnly) {
            System.err.println("evasan: --rotate-admin-token goes alone (with --data-dir): stop the appliance (both controllers"
                    + " of a clustered cell) and run ./appliance.sh --data-dir DIR --rotate-admin-token");
            return 2;
        }
        if (!io.evasan.raid.Pools.exists(dataDir)) {
            System.err.println("evasan: --rotate-admin-token: no appliance in " + dir + " (its first start creates the token)");
            return 2;
        }
        java.util.Optional<Path> locked = RunningAppliance.lockedCacheLog(dataDir);
        if (locked.isPresent()) {
            System.err.println("evasan: --rotate-admin-token: the appliance is running on " + dir + " (" + locked.get()
                    + " is locked); stop it first (Ctrl-C or SIGTERM), then run this again");
            return 2;
        }
        EmbeddedAppliance app;
        try {
            app = EmbeddedAppliance.start(o);
        } catch (StorageException e) {
            System.err.println("evasan: cannot open " + dir + ": " + e.getMessage() + " [" + e.code() + "]");
            return 2;
        }
        try {
            String token = io.evasan.mgmt.ManagementServer.rotateAdminToken(app.records());
            System.out.println("evasan: new management API token (shown once, only its hash is stored; the old token no"
                    + " longer works): " + token);
        } finally {
            app.close();
        }
        return 0;
    }

    public static void main(String[] args) {
        int rc = new CommandLine(new Appliance()).execute(args);
        if (rc != 0) {
            System.exit(rc);
        }
    }

    @Override
    public Integer call() throws Exception {
        if ((mgmtTlsCert == null) != (mgmtTlsKey == null)) {
            System.err.println("evasan: --mgmt-tls-cert and --mgmt-tls-key go together: give both (HTTPS) or neither (HTTP)");
            return 2;
        }
        for (Path f : new Path[] {mgmtTlsCert, mgmtTlsKey}) {
            if (f != null && !java.nio.file.Files.isReadable(f)) {
                System.err.println("evasan: cannot read TLS file " + f.toAbsolutePath());
                return 2;
            }
        }
        if (physicalBlockSize != 512 && physicalBlockSize != 4096) {
            System.err.println("evasan: --physical-block-size must be 512 or 4096, got " + physicalBlockSize);
            return 2;
        }
        EmbeddedAppliance.Options o = new EmbeddedAppliance.Options(dataDir, iscsiHost, iscsiPort, targetIqn, raid,
                firstLunSize, !statusOnly && !rotateAdminToken, metadataFsync, mgmtHost, mgmtPort, mgmtTlsCert, mgmtTlsKey, physicalBlockSize, bgcopyRate)
                .withHeartbeatTimeout(heartbeatTimeoutMs);
        if (fabricPort != null) {
            if (fabricPort < 0 || fabricPort > 65535) {
                System.err.println("evasan: --fabric-port must be 0..65535, got " + fabricPort);
                return 2;
            }
            o = o.withFabricPort(fabricPort);
        }
        if ((cluster == null) != (nsc == null)) {
            System.err.println("evasan: --cluster and --nsc go together");
            return 2;
        }
        if (rotateAdminToken) {
            return rotateToken(o);
        }
        if (cluster != null) {
            return runClustered(o);
        }
        EmbeddedAppliance app;
        try {
            app = EmbeddedAppliance.start(o);
        } catch (StorageException e) {
            System.err.println("evasan: cannot start from " + dataDir.toAbsolutePath() + ": " + e.getMessage()
                    + " [" + e.code() + "]");
            return 2;
        }
        System.out.println(app.describe());
        app.createdToken().ifPresent(t -> System.out.println(
                "evasan: management API token (shown once, only its hash is stored): " + t));
        if (app.mgmtPort() > 0) {
            System.out.println("evasan: web console " + o.mgmtScheme() + "://" + mgmtHost + ":" + app.mgmtPort()
                    + "/ (log in with the token)");
        }
        if (statusOnly) {
            app.close();
            return 0;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            app.close();
            System.out.println("evasan: stopped");
            System.out.flush();
            stopped.countDown();
        }, "evasan-shutdown"));
        boolean term = StopSignals.install("TERM");
        boolean interrupt = StopSignals.install("INT");
        long pid = ProcessHandle.current().pid();
        if (!interrupt) {
            System.err.println("evasan: SIGINT is ignored by this process (it was started in the background by a"
                    + " non-interactive shell, which makes a JVM unable to catch it); ./appliance.sh restores it,"
                    + " or stop with SIGTERM: kill " + pid);
        }
        System.out.println("evasan: running; stop with " + (interrupt ? "Ctrl-C (SIGINT) or " : "")
                + (term ? "SIGTERM (kill " + pid + ")" : "kill " + pid));
        System.out.flush();
        stopped.await();
        return 0;
    }
}
