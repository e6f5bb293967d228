package io.evasan.iscsi.impl;

import io.evasan.iscsi.IscsiTargetConfig;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetSocket;

import java.util.Set;
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

    public TargetCore(Vertx vertx, IscsiTargetConfig config) {
        this.vertx = vertx;
        this.config = config;
    }

    public Vertx vertx() { return vertx; }
    public IscsiTargetConfig config() { return config; }
    public int boundPort() { return boundPort; }
    public void boundPort(int p) { boundPort = p; }

    /** Accepts a new TCP connection. */
    public void accept(NetSocket socket) {
        IscsiConnection c = new IscsiConnection(this, socket, vertx.getOrCreateContext());
        connections.add(c);
        c.start();
    }

    void removed(IscsiConnection c) {
        connections.remove(c);
    }

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

    public int connectionCount() { return connections.size(); }

    /** Closes every connection (server stop). */
    public void closeAll() {
        for (IscsiConnection c : connections) {
            c.closeFromOutside();
        }
    }
}
