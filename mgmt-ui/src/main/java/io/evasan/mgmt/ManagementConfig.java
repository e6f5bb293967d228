package io.evasan.mgmt;

import io.evasan.nsc.api.Records;

import java.nio.file.Path;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Options of the {@link ManagementServer}: where it listens and where the admin credential's hash
 * lives. Invariant: the defaults bind loopback only (127.0.0.1:8080); a credential store is always
 * named before start (the MLD, or a state directory for a file), so a token is never kept only in memory.
 */
public final class ManagementConfig {
    /** MLD record kind holding the admin token's salted hash (key {@link #AUTH_KEY}). */
    public static final String AUTH_KIND = "mgmt.auth";
    public static final String AUTH_KEY = "admin-token";

    private String host = "127.0.0.1";
    private int port = 8080;
    private Records records;
    private String controllerName = "nsc0";
    private long snapshotTimeoutMillis = 30_000;
    private Path tlsCert;
    private Path tlsKey;
    private LongSupplier clock = System::currentTimeMillis;
    private long backgroundTickMillis = 1000;
    private long alertRetryMillis = 1000;
    private InitiatorSecrets initiatorSecrets;
    private FabricControl fabric;
    private IscsiSessions iscsiSessions;
    private Path perfHistoryDir;
    private int perfMaxSeries = 64;

    /** Listen address (default 127.0.0.1). */
    public ManagementConfig host(String v) { this.host = Objects.requireNonNull(v, "host"); return this; }

    /** TCP port (default 8080; 0 = a free port, see {@link ManagementServer#start()}). */
    public ManagementConfig port(int v) {
        if (v < 0 || v > 65535) {
            throw new IllegalArgumentException("port " + v + " outside 0..65535");
        }
        this.port = v;
        return this;
    }

    /**
     * Store the token hash, the hosts and the snapshot schedules in the cell's records (the MLD: record
     * {@value #AUTH_KIND}/{@value #AUTH_KEY}, kinds {@code mgmt.host}, {@code mgmt.schedule}; mirrored on the quorum
     * drives), through the cell API. Unset: the managed cell's own {@link io.evasan.nsc.api.Cell#records()} (each change then
     * becomes one record of the cell log).
     */
    public ManagementConfig records(Records v) { this.records = v; return this; }
    /** Receives the CHAP secrets of registered hosts (the iSCSI target's configuration); null = no target to enforce them. */
    public ManagementConfig initiatorSecrets(InitiatorSecrets v) { this.initiatorSecrets = v; return this; }
    /** The FC fabric the zoning routes configure and GET /api/fabric shows; null = no fabric (zones are only stored). */
    public ManagementConfig fabric(FabricControl v) { this.fabric = v; return this; }
    /** The live iSCSI sessions GET /api/iscsi/sessions and the health model show; null = no portals (none listed). */
    public ManagementConfig iscsiSessions(IscsiSessions v) { this.iscsiSessions = v; return this; }


    /**
     * Directory of the performance and capacity history (Chronicle Map files, kept across restarts); null (the
     * default) keeps the history in memory only.
     */
    public ManagementConfig perfHistoryDir(Path v) { this.perfHistoryDir = v; return this; }
    /** How many series (LUNs, controllers, ports, disk groups) the history files are sized for at creation (default 64; about 2.5 MB of file per series, allocated when the files are created). */
    public ManagementConfig perfMaxSeries(int v) {
        if (v < 1 || v > 100_000) {
            throw new IllegalArgumentException("perfMaxSeries " + v + " outside 1..100000");
        }
        this.perfMaxSeries = v;
        return this;
    }

    /** Name shown for the controller in GET /api/controllers (default "nsc0"). */
    public ManagementConfig controllerName(String v) { this.controllerName = Objects.requireNonNull(v); return this; }

    /** How long POST .../snapshots waits for the cache marker to be taken before answering 202 (default 30 s). */
    public ManagementConfig snapshotTimeoutMillis(long v) {
        if (v <= 0) {
            throw new IllegalArgumentException("snapshot timeout must be > 0");
        }
        this.snapshotTimeoutMillis = v;
        return this;
    }

    /**
     * Serve HTTPS with this PEM certificate (chain) and PEM private key (PKCS#8 or PKCS#1); both are
     * read at start. Null for both = plain HTTP.
     *
     * @throws IllegalArgumentException when only one of them is given
     */
    public ManagementConfig tls(Path certPem, Path keyPem) {
        if ((certPem == null) != (keyPem == null)) {
            throw new IllegalArgumentException("TLS needs both a certificate and a key file (or neither)");
        }
        this.tlsCert = certPem;
        this.tlsKey = keyPem;
        return this;
    }

    /** Tests only: the wall clock schedules and rates use (epoch millis). */
    ManagementConfig clock(LongSupplier v) { this.clock = Objects.requireNonNull(v); return this; }

    /** Tests only: period of the background timer (schedule ticks, destage-rate samples); default 1000 ms. */
    ManagementConfig backgroundTickMillis(long v) {
        if (v <= 0) {
            throw new IllegalArgumentException("tick must be > 0");
        }
        this.backgroundTickMillis = v;
        return this;
    }

    public String host() { return host; }
    public Path perfHistoryDir() { return perfHistoryDir; }
    public int perfMaxSeries() { return perfMaxSeries; }
    public Path tlsCert() { return tlsCert; }
    public Path tlsKey() { return tlsKey; }
    public boolean tlsEnabled() { return tlsCert != null; }
    /** "https" with {@link #tls}, else "http". */
    public String scheme() { return tlsCert != null ? "https" : "http"; }
    public LongSupplier clock() { return clock; }
    public long backgroundTickMillis() { return backgroundTickMillis; }
    /** First delay before a failed webhook delivery is retried (doubled each retry); default 1 s. */
    public long alertRetryMillis() { return alertRetryMillis; }
    public ManagementConfig alertRetryMillis(long v) {
        if (v < 1) {
            throw new IllegalArgumentException("alert retry delay must be at least 1 ms, not " + v);
        }
        this.alertRetryMillis = v;
        return this;
    }
    public int port() { return port; }
    public Records records() { return records; }
    public InitiatorSecrets initiatorSecrets() { return initiatorSecrets; }
    public FabricControl fabric() { return fabric; }

    public IscsiSessions iscsiSessions() { return iscsiSessions; }
    public String controllerName() { return controllerName; }
    public long snapshotTimeoutMillis() { return snapshotTimeoutMillis; }
}
