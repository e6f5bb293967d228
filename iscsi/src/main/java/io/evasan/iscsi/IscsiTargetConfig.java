package io.evasan.iscsi;

import io.evasan.scsi.ScsiTarget;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Configuration of an {@link IscsiTargetServer}: portal, target IQNs (each fed to a
 * {@link ScsiTarget}, which presents the LUNs), per-initiator CHAP secrets and the target's side of
 * the operational parameter negotiation (RFC 7143 section 13). Invariant: every value is validated
 * by its setter (IllegalArgumentException) so a started server never runs with an impossible
 * negotiation limit; {@link #validate()} (run by the server) checks FirstBurstLength &lt;= MaxBurstLength.
 */
public final class IscsiTargetConfig {

    /** A target node: IQN, optional alias, and the SCSI target behind it. */
    /**
     * Told of every login this target refuses (after the refusal is sent): the initiator name it gave (null before
     * it gave one), the remote address, the RFC 7143 status (class and detail, e.g. 0x0201 authentication failure).
     * Called on the connection's event loop: it must not block.
     */
    public interface LoginFailureListener {
        void loginRefused(String initiatorName, String remoteAddress, int status);
    }

    public record TargetNode(String iqn, String alias, ScsiTarget scsiTarget) {
    }

    /**
     * CHAP secrets for one initiator: the name and secret the initiator must answer with, and for
     * mutual CHAP the name and secret the target answers with (null when mutual is not allowed).
     */
    public record ChapSecret(String userName, String secret, String targetUserName, String targetSecret) {
    }

    /**
     * A portal advertised in SendTargets answers: address (IPv4, IPv6 literal with or without
     * brackets, or DNS name), TCP port and target portal group tag; {@code present} false while no
     * controller serves it (left out of the answers).
     */
    public record Portal(String host, int port, int tpgt, boolean present) {
        public Portal {
            check(host != null && !host.isEmpty(), "portal host");
            host = unbracketed(host);
            check(!host.equals("0.0.0.0") && !host.equals("::"), "wildcard portal host " + host);
            check(port >= 1 && port <= 65535, "portal port " + port);
            check(tpgt >= 1 && tpgt <= 65535, "portal tpgt " + tpgt);
        }

        public Portal(String host, int port, int tpgt) {
            this(host, port, tpgt, true);
        }

        public Portal present(boolean p) {
            return new Portal(host, port, tpgt, p);
        }

        /** True when this portal is at {@code h} (brackets ignored) and port {@code p}. */
        public boolean at(String h, int p) {
            return p == port && h != null && unbracketed(h).equalsIgnoreCase(host);
        }

        private static String unbracketed(String h) {
            return h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
        }

        /** {@code host:port,tpgt} as a TargetAddress value (RFC 7143 13.8, Appendix C): an IPv6 literal in brackets. */
        public String targetAddress() {
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + port + "," + tpgt;
        }
    }

    private String host = "127.0.0.1";
    private int port = 3260;
    private int portalGroupTag = 1;
    /** 0: the portal group tag (the value before relative target port ids were configurable). */
    private int relativeTargetPortId;
    /** Immutable, replaced whole (read at each SendTargets); empty: the server's own portal. */
    private volatile List<Portal> advertisedPortals = List.of();
    private final Map<String, TargetNode> targets = new LinkedHashMap<>();
    /** Concurrent: the management API changes secrets while the target serves logins (read at each login). */
    private final Map<String, ChapSecret> chap = new java.util.concurrent.ConcurrentHashMap<>();
    private boolean chapRequired;
    private volatile LoginFailureListener loginFailureListener;
    private int maxRecvDataSegmentLength = 262144;
    private int maxBurstLength = 16776192;
    private int firstBurstLength = 262144;
    private int maxOutstandingR2T = 16;
    private boolean immediateData = true;
    private boolean initialR2T = false;
    private boolean digestsAllowed = true;
    private boolean headerDigestRequired;
    private int defaultTime2Wait = 2;
    private int defaultTime2Retain = 20;
    private int commandWindow = 128;
    private long maxCommandBytes = 64L << 20;
    private long maxConnectionBufferBytes = 256L << 20;
    private long nopInIntervalMillis = 5000;
    private long nopInTimeoutMillis = 30000;
    private long pduTimeoutMillis = 10000;
    private long loginTimeoutMillis = 15000;
    private int maxConnections = 256;
    private int maxConnectionsPerInitiator = 16;
    private int maxConnectionsPerAddress = 64;

    public static IscsiTargetConfig create() {
        return new IscsiTargetConfig();
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalArgumentException(what);
        }
    }

    private io.micrometer.core.instrument.MeterRegistry meterRegistry;

    /**
     * Meter the portal's commands ({@code evasan.port.*} tagged {@code portal=<host>:<bound port>}, see
     * {@link io.evasan.scsi.target.ScsiStats#portMeters}); null (the default): no per-portal meters.
     */
    public IscsiTargetConfig meterRegistry(io.micrometer.core.instrument.MeterRegistry r) { this.meterRegistry = r; return this; }
    public io.micrometer.core.instrument.MeterRegistry meterRegistry() { return meterRegistry; }

    public IscsiTargetConfig host(String h) { check(h != null && !h.isEmpty(), "host"); this.host = h; return this; }
    /** Port to bind; 0 picks a free port (see {@link IscsiTargetServer#port()}). */
    public IscsiTargetConfig port(int p) { check(p >= 0 && p <= 65535, "port " + p); this.port = p; return this; }
    public IscsiTargetConfig portalGroupTag(int t) { check(t >= 1 && t <= 65535, "tpgt " + t); this.portalGroupTag = t; return this; }

    /**
     * The relative target port identifier of this portal (SPC-4; VPD 83h, persistent reservations),
     * passed to {@link ScsiTarget#openNexus}: distinct for every portal of the cell. Default: the
     * portal group tag.
     */
    public IscsiTargetConfig relativeTargetPortId(int id) { check(id >= 1 && id <= 65535, "relative target port id " + id); this.relativeTargetPortId = id; return this; }

    /**
     * Replaces the portals SendTargets answers for every target of this server (each present one,
     * in this order, as a {@code TargetAddress}). Thread-safe, also while the server runs: the next
     * SendTargets reads the new list. Empty: only the server's own portal (the default). A portal
     * appears at most once (host and port).
     */
    public IscsiTargetConfig advertisedPortals(List<Portal> portals) {
        check(portals != null, "portals");
        List<Portal> copy = List.copyOf(portals);
        for (int i = 0; i < copy.size(); i++) {
            for (int j = 0; j < i; j++) {
                Portal a = copy.get(i);
                check(!copy.get(j).at(a.host(), a.port()), "portal listed twice: " + a.targetAddress());
            }
        }
        synchronized (this) {
            advertisedPortals = copy;
        }
        return this;
    }

    /**
     * Marks an advertised portal present or absent (absent: no controller serves it, SendTargets
     * leaves it out). Thread-safe, also while the server runs.
     *
     * @throws IllegalArgumentException when {@code host:port} is not in {@link #advertisedPortals()}
     */
    public synchronized IscsiTargetConfig portalPresent(String host, int port, boolean present) {
        List<Portal> next = new ArrayList<>(advertisedPortals);
        boolean found = false;
        for (int i = 0; i < next.size(); i++) {
            if (next.get(i).at(host, port)) {
                next.set(i, next.get(i).present(present));
                found = true;
            }
        }
        check(found, "portal " + host + ":" + port + " not advertised");
        advertisedPortals = List.copyOf(next);
        return this;
    }

    /** Adds a target node; the IQN must be an iqn./eui./naa. name. */
    public IscsiTargetConfig addTarget(String iqn, String alias, ScsiTarget target) {
        check(iqn != null && (iqn.startsWith("iqn.") || iqn.startsWith("eui.") || iqn.startsWith("naa.")), "target name " + iqn);
        check(target != null, "scsi target");
        check(!targets.containsKey(iqn.toLowerCase()), "duplicate target " + iqn);
        targets.put(iqn.toLowerCase(), new TargetNode(iqn.toLowerCase(), alias, target));
        return this;
    }

    /**
     * One-way CHAP secret for an initiator IQN. The CHAP setters are thread-safe and may be called while
     * the server runs: each login reads the initiator's secret when it starts; sessions already logged in stay.
     */
    public IscsiTargetConfig chap(String initiatorIqn, String userName, String secret) {
        return chap(initiatorIqn, userName, secret, null, null);
    }

    /** CHAP secret for an initiator IQN, with the target's credentials for mutual CHAP. */
    public IscsiTargetConfig chap(String initiatorIqn, String userName, String secret, String targetUser, String targetSecret) {
        check(initiatorIqn != null && !initiatorIqn.isEmpty(), "initiator");
        check(userName != null && !userName.isEmpty() && secret != null && !secret.isEmpty(), "chap user/secret");
        check((targetUser == null) == (targetSecret == null), "mutual chap needs both name and secret");
        check(targetSecret == null || !targetSecret.equals(secret), "mutual secret must differ from the initiator's");
        chap.put(initiatorIqn.toLowerCase(), new ChapSecret(userName, secret, targetUser, targetSecret));
        return this;
    }

    /**
     * Removes the CHAP secret of an initiator (thread-safe, also while the server runs: the next login
     * of that initiator needs no CHAP unless {@link #chapRequired()}). Sessions already logged in stay.
     */
    public IscsiTargetConfig removeChap(String initiatorIqn) {
        check(initiatorIqn != null && !initiatorIqn.isEmpty(), "initiator");
        chap.remove(initiatorIqn.toLowerCase());
        return this;
    }

    /** When true, initiators without a configured CHAP secret cannot log in at all. */
    public IscsiTargetConfig chapRequired(boolean b) { this.chapRequired = b; return this; }
    /** Who is told of refused logins (null: nobody). */
    public IscsiTargetConfig loginFailureListener(LoginFailureListener l) { this.loginFailureListener = l; return this; }
    public IscsiTargetConfig maxRecvDataSegmentLength(int n) { check(n >= 512 && n <= 16777215, "MaxRecvDataSegmentLength " + n); this.maxRecvDataSegmentLength = n; return this; }
    public IscsiTargetConfig maxBurstLength(int n) { check(n >= 512 && n <= 16777215, "MaxBurstLength " + n); this.maxBurstLength = n; return this; }
    public IscsiTargetConfig firstBurstLength(int n) { check(n >= 512 && n <= 16777215, "FirstBurstLength " + n); this.firstBurstLength = n; return this; }
    public IscsiTargetConfig maxOutstandingR2T(int n) { check(n >= 1 && n <= 65535, "MaxOutstandingR2T " + n); this.maxOutstandingR2T = n; return this; }
    public IscsiTargetConfig immediateData(boolean b) { this.immediateData = b; return this; }
    public IscsiTargetConfig initialR2T(boolean b) { this.initialR2T = b; return this; }
    /** Whether CRC32C header/data digests may be negotiated (None is always accepted). */
    public IscsiTargetConfig digestsAllowed(boolean b) { this.digestsAllowed = b; return this; }
    /**
     * When true, None is not an acceptable HeaderDigest: an initiator offering "None,CRC32C" gets
     * CRC32C; one offering only None (or not negotiating HeaderDigest) fails the login with 02/00.
     */
    public IscsiTargetConfig headerDigestRequired(boolean b) { this.headerDigestRequired = b; return this; }
    public IscsiTargetConfig defaultTime2Wait(int n) { check(n >= 0 && n <= 3600, "DefaultTime2Wait"); this.defaultTime2Wait = n; return this; }
    public IscsiTargetConfig defaultTime2Retain(int n) { check(n >= 0 && n <= 3600, "DefaultTime2Retain"); this.defaultTime2Retain = n; return this; }
    /** Commands a session may have queued beyond ExpCmdSN (MaxCmdSN - ExpCmdSN + 1). */
    public IscsiTargetConfig commandWindow(int n) { check(n >= 1 && n <= 4096, "command window " + n); this.commandWindow = n; return this; }
    /** Largest Expected Data Transfer Length accepted for one command. */
    public IscsiTargetConfig maxCommandBytes(long n) { check(n >= 4096 && n <= (1L << 30), "max command bytes " + n); this.maxCommandBytes = n; return this; }
    /**
     * Data buffer bytes one connection's commands may hold at once (Data-Out being collected and
     * Data-In being produced); a command that would exceed it completes with TASK SET FULL.
     */
    public IscsiTargetConfig maxConnectionBufferBytes(long n) { check(n >= 65536 && n <= (1L << 34), "connection buffer bytes " + n); this.maxConnectionBufferBytes = n; return this; }
    /** Idle time before the target pings the initiator with a NOP-In (0 disables). */
    public IscsiTargetConfig nopInIntervalMillis(long n) { check(n >= 0, "nop interval"); this.nopInIntervalMillis = n; return this; }
    /** Time without an answer to a NOP-In ping after which the connection is dropped. */
    public IscsiTargetConfig nopInTimeoutMillis(long n) { check(n >= 100, "nop timeout"); this.nopInTimeoutMillis = n; return this; }

    /**
     * Once the first byte of a PDU has arrived, the whole PDU (header, data, digests) must arrive
     * within this time, else the connection is closed and logged. A connection idle between PDUs
     * is not affected (hosts keep idle sessions; NOP-In pings cover those).
     */
    public IscsiTargetConfig pduTimeoutMillis(long n) { check(n >= 50 && n <= 3_600_000, "PDU timeout " + n); this.pduTimeoutMillis = n; return this; }
    /** Time from TCP accept to the end of the login phase; a connection still logging in then is closed. */
    public IscsiTargetConfig loginTimeoutMillis(long n) { check(n >= 50 && n <= 3_600_000, "login timeout " + n); this.loginTimeoutMillis = n; return this; }
    /**
     * Open TCP connections the portal serves at once. The next one is answered at its first Login
     * Request with status 03/02 (Out of resources) and closed; beyond this plus a grace of
     * {@link #REJECT_GRACE} a new connection is closed at accept without an answer.
     */
    public IscsiTargetConfig maxConnections(int n) { check(n >= 1 && n <= 1_000_000, "max connections " + n); this.maxConnections = n; return this; }
    /** Connections one initiator name may hold at once (all its sessions, discovery included); the next login gets 03/02. */
    public IscsiTargetConfig maxConnectionsPerInitiator(int n) { check(n >= 1 && n <= 1_000_000, "max connections per initiator " + n); this.maxConnectionsPerInitiator = n; return this; }
    /** Connections one source IP address may hold at once; the next login gets 03/02 (beyond the grace: closed at accept). */
    public IscsiTargetConfig maxConnectionsPerAddress(int n) { check(n >= 1 && n <= 1_000_000, "max connections per address " + n); this.maxConnectionsPerAddress = n; return this; }

    /** Connections over a cap that still get a Login Response (03/02) before the portal closes new ones at accept. */
    public static final int REJECT_GRACE = 16;

    /** Checks cross-field constraints; called by {@link IscsiTargetServer}. */
    public void validate() {
        check(firstBurstLength <= maxBurstLength, "FirstBurstLength " + firstBurstLength + " > MaxBurstLength " + maxBurstLength);
        check(!targets.isEmpty(), "no target configured");
        check(digestsAllowed || !headerDigestRequired, "header digest required but digests not allowed");
        check(maxCommandBytes <= maxConnectionBufferBytes, "maxCommandBytes above the connection buffer budget");
    }

    public String host() { return host; }
    public int port() { return port; }
    public int portalGroupTag() { return portalGroupTag; }
    /** The relative target port id of this portal (the portal group tag unless set). */
    public int relativeTargetPortId() { return relativeTargetPortId != 0 ? relativeTargetPortId : portalGroupTag; }
    /** The advertised portals, present and absent (empty: the server's own portal only). */
    public List<Portal> advertisedPortals() { return advertisedPortals; }
    public Map<String, TargetNode> targets() { return Collections.unmodifiableMap(targets); }
    public TargetNode target(String iqn) { return iqn == null ? null : targets.get(iqn.toLowerCase()); }
    public ChapSecret chapFor(String initiatorIqn) { return initiatorIqn == null ? null : chap.get(initiatorIqn.toLowerCase()); }
    public boolean chapRequired() { return chapRequired; }
    public LoginFailureListener loginFailureListener() { return loginFailureListener; }
    public int maxRecvDataSegmentLength() { return maxRecvDataSegmentLength; }
    public int maxBurstLength() { return maxBurstLength; }
    public int firstBurstLength() { return firstBurstLength; }
    public int maxOutstandingR2T() { return maxOutstandingR2T; }
    public boolean immediateData() { return immediateData; }
    public boolean initialR2T() { return initialR2T; }
    public boolean digestsAllowed() { return digestsAllowed; }
    public boolean headerDigestRequired() { return headerDigestRequired; }
    public int defaultTime2Wait() { return defaultTime2Wait; }
    public int defaultTime2Retain() { return defaultTime2Retain; }
    public int commandWindow() { return commandWindow; }
    public long maxCommandBytes() { return maxCommandBytes; }
    public long maxConnectionBufferBytes() { return maxConnectionBufferBytes; }
    public long nopInIntervalMillis() { return nopInIntervalMillis; }
    public long nopInTimeoutMillis() { return nopInTimeoutMillis; }
    public long pduTimeoutMillis() { return pduTimeoutMillis; }
    public long loginTimeoutMillis() { return loginTimeoutMillis; }
    public int maxConnections() { return maxConnections; }
    public int maxConnectionsPerInitiator() { return maxConnectionsPerInitiator; }
    public int maxConnectionsPerAddress() { return maxConnectionsPerAddress; }
}
