package io.evasan.iscsi.impl;

import io.evasan.iscsi.IscsiTargetConfig;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.vertx.core.Vertx;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetSocket;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Server-wide state shared by all connections: configuration, the session table (for TSIH
 * allocation and session reinstatement by initiator name + ISID + target) and counters.
 * Thread-safe. Invariant: at most one live session per (initiator, ISID, target) key; TSIH is
 * never 0 and unique among live sessions.
 */
public final class TargetCore {
    private final Vertx vertx;
    private final IscsiTargetConfig config;
    private final ConcurrentHashMap<String, IscsiConnection> sessions = new ConcurrentHashMap<>();
    private final Set<IscsiConnection> connections = ConcurrentHashMap.newKeySet();
    private final AtomicInteger tsih = new AtomicInteger();
    private final AtomicLong protocolErrors = new AtomicLong();
    private volatile int boundPort;
    private volatile boolean killed;

    public TargetCore(Vertx vertx, IscsiTargetConfig config) {
        this.vertx = vertx;
        this.config = config;
    }

    public Vertx vertx() { return vertx; }
    public IscsiTargetConfig config() { return config; }
    public int boundPort() { return boundPort; }
    public void boundPort(int p) { boundPort = p; }

    private volatile io.evasan.scsi.target.ScsiStats.LuStats portMeters;

    /** The meters every completed command of this portal is recorded in, or null (none configured). */
    public io.evasan.scsi.target.ScsiStats.LuStats portMeters() { return portMeters; }
    public void portMeters(io.evasan.scsi.target.ScsiStats.LuStats m) { portMeters = m; }

    private static final System.Logger LOG = System.getLogger(TargetCore.class.getName());
    /** Open TCP connections (exact; {@code connections.size()} is only a view). */
    private final AtomicInteger open = new AtomicInteger();
    private final ConcurrentHashMap<String, Integer> perAddress = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Integer> perInitiator = new ConcurrentHashMap<>();
    private final AtomicLong rejectedConnections = new AtomicLong();
    private final AtomicLong timedOutConnections = new AtomicLong();

    /**
     * Accepts a new TCP connection. Over {@code maxConnections} (total) or
     * {@code maxConnectionsPerAddress} the connection is still served up to its first Login Request,
     * which is answered 03/02 (Out of resources); beyond the cap plus {@link IscsiTargetConfig#REJECT_GRACE}
     * it is closed at once.
     */
    public void accept(NetSocket socket) {
        if (killed) {
            reset(socket);
            return;
        }
        String addr = socket.remoteAddress() == null ? "?" : socket.remoteAddress().host();
        int total = open.incrementAndGet();
        int fromAddr = perAddress.merge(addr, 1, Integer::sum);
        String over = null;
        boolean hard = false;
        if (total > config.maxConnections()) {
            over = "the portal already serves " + (total - 1) + " connections (maxConnections " + config.maxConnections() + ")";
            hard = total > config.maxConnections() + IscsiTargetConfig.REJECT_GRACE;
        } else if (fromAddr > config.maxConnectionsPerAddress()) {
            over = addr + " already holds " + (fromAddr - 1) + " connections (maxConnectionsPerAddress "
                    + config.maxConnectionsPerAddress() + ")";
            hard = fromAddr > config.maxConnectionsPerAddress() + IscsiTargetConfig.REJECT_GRACE;
        }
        if (hard) {
            rejectedConnections.incrementAndGet();
            release(addr);
            LOG.log(System.Logger.Level.WARNING, "iSCSI connection from " + addr + " closed at accept: " + over);
            socket.close();
            return;
        }
        IscsiConnection c = new IscsiConnection(this, socket, vertx.getOrCreateContext(), addr, over);
        connections.add(c);
        c.start();
    }

    private void release(String addr) {
        open.decrementAndGet();
        perAddress.computeIfPresent(addr, (k, v) -> v <= 1 ? null : v - 1);
    }

    void removed(IscsiConnection c) {
        if (connections.remove(c)) {
            release(c.remoteHost());
        }
    }

    /**
     * Counts one more connection of {@code initiator} (case-insensitive) unless it already holds
     * {@code maxConnectionsPerInitiator}; true when counted (release with {@link #releaseInitiator}).
     */
    boolean admitInitiator(String initiator) {
        boolean[] ok = new boolean[1];
        perInitiator.compute(initiator.toLowerCase(), (k, v) -> {
            int n = v == null ? 0 : v;
            ok[0] = n < config.maxConnectionsPerInitiator();
            return ok[0] ? n + 1 : (v == null ? null : v);
        });
        return ok[0];
    }

    void releaseInitiator(String initiator) {
        perInitiator.computeIfPresent(initiator.toLowerCase(), (k, v) -> v <= 1 ? null : v - 1);
    }

    void connectionRejected() {
        rejectedConnections.incrementAndGet();
    }

    void connectionTimedOut() {
        timedOutConnections.incrementAndGet();
    }

    /** Connections refused for a cap (with 03/02 or closed at accept) since start. */
    public long rejectedConnections() { return rejectedConnections.get(); }

    /** Connections closed for a PDU or login deadline since start. */
    public long timedOutConnections() { return timedOutConnections.get(); }

    int newTsih() {
        int t;
        do {
            t = tsih.incrementAndGet() & 0xffff;
        } while (t == 0);
        return t;
    }

    /** Registers a session; returns the session it replaces (reinstatement), or null. */
    IscsiConnection register(String key, IscsiConnection c) {
        return sessions.put(key, c);
    }

    void unregister(String key, IscsiConnection c) {
        if (key != null) {
            sessions.remove(key, c);
        }
    }

    boolean tsihExists(int t) {
        for (IscsiConnection c : sessions.values()) {
            if (c.tsih() == t) {
                return true;
            }
        }
        return false;
    }

    void protocolError() {
        protocolErrors.incrementAndGet();
    }

    /** Number of PDUs answered with Reject or a connection close since start. */
    public long protocolErrors() { return protocolErrors.get(); }

    public int sessionCount() { return sessions.size(); }

    /** The live normal sessions, oldest login first. */
    public List<io.evasan.iscsi.IscsiSession> sessions() {
        List<io.evasan.iscsi.IscsiSession> out = new ArrayList<>();
        for (IscsiConnection c : sessions.values()) {
            io.evasan.iscsi.IscsiSession s = c.session();
            if (s != null) {
                out.add(s);
            }
        }
        out.sort(java.util.Comparator.comparingLong(io.evasan.iscsi.IscsiSession::loginEpochMillis)
                .thenComparingInt(io.evasan.iscsi.IscsiSession::tsih));
        return out;
    }

    public int connectionCount() { return connections.size(); }

    /**
     * Crash (server kill): from now on every connection is reset at accept, and every open one is
     * reset now (no logout, no response to commands in flight); returns once all their channels are
     * closed, so nothing more is written to any of them.
     */
    public void killAll() {
        killed = true;
        List<ChannelFuture> closing = new ArrayList<>();
        for (IscsiConnection c : connections) {
            closing.add(c.abort());
        }
        for (ChannelFuture f : closing) {
            f.awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    /** True after {@link #killAll()}. */
    public boolean killed() { return killed; }

    /** Resets a connection at once (SO_LINGER 0: data still queued is dropped); completes when its channel is closed. */
    static ChannelFuture reset(NetSocket socket) {
        Channel ch = ((NetSocketInternal) socket).channelHandlerContext().channel();
        try {
            ch.config().setOption(ChannelOption.SO_LINGER, 0);
        } catch (RuntimeException e) {
            // already closed: nothing to reset
        }
        return ch.close();
    }

    /** Closes every connection (server stop). */
    public void closeAll() {
        for (IscsiConnection c : connections) {
            c.closeFromOutside();
        }
    }
}
