package io.evasan.iscsi;

import io.evasan.iscsi.impl.TargetCore;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;

/**
 * An iSCSI target (RFC 7143) listening on one portal, feeding the {@link io.evasan.scsi.ScsiTarget}s
 * of its {@link IscsiTargetConfig}. Embeddable: {@link #start()} binds and returns the actual port
 * (useful with port 0), {@link #stop()} closes every connection and the listener, {@link #kill()} resets
 * them as a crash would, {@link #darken()} too but keeps the address (new connections wait unanswered) until
 * {@link #relight()} serves it again.
 *
 * <p>Invariant: after {@code start()} returns, the portal accepts logins; after {@code stop()}
 * returns, no session of this server is open and (when the server created its own Vert.x) no
 * thread of it remains.
 */
public final class IscsiTargetServer {
    private final IscsiTargetConfig config;
    private final Vertx vertx;
    private final boolean ownVertx;
    /** Serves the portal's connections; a fresh one after {@link #relight}. */
    private volatile TargetCore core;
    /** Connections that arrived while dark ({@link #darken}), unread until {@link #relight}; guarded by itself. */
    private final java.util.List<Held> held = new java.util.ArrayList<>();
    /** Guarded by {@link #held}. */
    private boolean dark;
    private NetServer server;
    private boolean vertxClosed;

    /** A connection held while the portal is dark, with the context it arrived on. */
    private record Held(NetSocket socket, Context context) {
    }

    /** A server on its own Vert.x instance. */
    public IscsiTargetServer(IscsiTargetConfig config) {
        this(Vertx.vertx(), config, true);
    }

    /** A server on the caller's Vert.x instance (not closed by {@link #stop()}). */
    public IscsiTargetServer(Vertx vertx, IscsiTargetConfig config) {
        this(vertx, config, false);
    }

    private IscsiTargetServer(Vertx vertx, IscsiTargetConfig config, boolean own) {
        config.validate();
        this.config = config;
        this.vertx = vertx;
        this.ownVertx = own;
        this.core = new TargetCore(vertx, config);
    }

    /** Binds the portal; completes with the bound port. */
    public synchronized Future<Integer> startAsync() {
        if (server != null || core.killed()) {
            return Future.failedFuture(new IllegalStateException(core.killed() ? "killed" : "already started"));
        }
        NetServerOptions o = new NetServerOptions()
                .setHost(config.host())
                .setPort(config.port())
                .setTcpNoDelay(true)
                .setReuseAddress(true); // socket buffer sizes left to the kernel's autotuning
        NetServer s = vertx.createNetServer(o);
        s.connectHandler(this::accept);
        server = s;
        return s.listen().map(ns -> {
            core.boundPort(ns.actualPort());
            if (config.meterRegistry() != null && core.portMeters() == null) {
                core.portMeters(io.evasan.scsi.target.ScsiStats.portMeters(config.meterRegistry(),
                        config.host() + ":" + ns.actualPort()));
            }
            return ns.actualPort();
        });
    }

    private void accept(NetSocket socket) {
        synchronized (held) {
            if (dark) {
                autoRead(socket, false);   // nothing read (it stays in the kernel), nothing answered until lit
                held.add(new Held(socket, Vertx.currentContext()));
                socket.closeHandler(v -> {
                    synchronized (held) {
                        held.removeIf(h -> h.socket() == socket);
                    }
                });
                return;
            }
        }
        core.accept(socket);
    }

    /** Binds the portal and waits; returns the bound port. Not to be called on an event loop. */
    public int start() {
        try {
            return startAsync().toCompletionStage().toCompletableFuture().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while binding", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("cannot bind " + config.host() + ":" + config.port() + ": "
                    + e.getCause().getMessage(), e.getCause());
        }
    }

    /** The configuration (its advertised portals and CHAP secrets may be changed while the server runs). */
    public IscsiTargetConfig config() {
        return config;
    }

    /** The bound port (0 before start). */
    public int port() {
        return core.boundPort();
    }

    /** Live sessions (normal sessions that reached full feature phase). */
    public int sessionCount() {
        return core.sessionCount();
    }

    /** The live normal sessions of this portal (a snapshot), oldest login first. */
    public java.util.List<IscsiSession> sessions() {
        return core.sessions();
    }

    /** Open TCP connections. */
    public int connectionCount() {
        return core.connectionCount();
    }

    /** PDUs answered with Reject, login failure or connection close since start. */
    public long protocolErrors() {
        return core.protocolErrors();
    }

    /** Connections refused for a connection cap (answered 03/02, or closed at accept) since start. */
    public long rejectedConnections() {
        return core.rejectedConnections();
    }

    /** Connections closed because a PDU or the login did not complete in time since start. */
    public long timedOutConnections() {
        return core.timedOutConnections();
    }

    /** Closes all connections (and those held while dark) and the listener; closes the Vert.x instance when owned. */
    public synchronized void stop() {
        closeHeld();
        core.closeAll();
        closeListenerAndVertx("stop");
        if (core.portMeters() != null) {
            core.portMeters().close();   // the portal is gone: its meters leave the registry
            core.portMeters(null);
        }
    }

    /**
     * An abrupt stop, as a crash of the controller: every connection is reset at once (no logout, no
     * response to commands in flight, nothing more written to its socket; a connection arriving
     * meanwhile is reset at accept), then the listener closes (and the Vert.x instance when owned).
     * When this returns the port can be bound again at once (SO_REUSEADDR), e.g. by the surviving
     * controller's server taking the portal over. The server cannot be started again. Not to be
     * called on an event loop.
     */
    public synchronized void kill() {
        closeHeld();
        core.killAll();
        closeListenerAndVertx("kill");
    }

    /**
     * A crash of the controller serving the portal while its partner will take the portal over: every connection
     * is reset at once as by {@link #kill}, but the address stays dark rather than gone: the listener stays, and
     * a connection arriving meanwhile is held unanswered (nothing read from it, nothing written) until
     * {@link #relight} serves it, as the address would once its new owner has it. Not to be called on an event loop.
     */
    public synchronized void darken() {
        synchronized (held) {
            dark = true;
        }
        core.killAll();
    }

    /** Connections waiting unanswered on the dark portal. */
    public int heldConnections() {
        synchronized (held) {
            return held.size();
        }
    }

    /** Whether the portal is dark ({@link #darken}, not yet {@link #relight lit}). */
    public boolean dark() {
        synchronized (held) {
            return dark;
        }
    }

    /**
     * The portal is served again, as a fresh server with the same configuration (the partner's, which took it
     * over): the connections held while dark are served from their login on, in the order they arrived.
     */
    public synchronized void relight() {
        TargetCore fresh = new TargetCore(vertx, config);
        fresh.boundPort(core.boundPort());
        fresh.portMeters(core.portMeters());
        core = fresh;
        java.util.List<Held> waiting;
        synchronized (held) {
            if (!dark) {
                throw new IllegalStateException("the portal is not dark");
            }
            dark = false;
            waiting = new java.util.ArrayList<>(held);
            held.clear();
        }
        for (Held h : waiting) {
            Runnable serve = () -> {
                h.socket().closeHandler(null);
                fresh.accept(h.socket());
                autoRead(h.socket(), true);
            };
            if (h.context() != null) {
                h.context().runOnContext(v -> serve.run());
            } else {
                serve.run();
            }
        }
    }

    private static void autoRead(NetSocket socket, boolean on) {
        ((NetSocketInternal) socket).channelHandlerContext().channel().config().setAutoRead(on);
    }

    private void closeHeld() {
        java.util.List<Held> waiting;
        synchronized (held) {
            waiting = new java.util.ArrayList<>(held);
            held.clear();
        }
        for (Held h : waiting) {
            h.socket().close();
        }
    }

    private void closeListenerAndVertx(String what) {
        try {
            if (server != null) {
                server.close().toCompletionStage().toCompletableFuture().get();
                server = null;
            }
            if (ownVertx && !vertxClosed) {
                vertxClosed = true;
                vertx.close().toCompletionStage().toCompletableFuture().get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(what + " failed", e.getCause());
        }
    }
}
