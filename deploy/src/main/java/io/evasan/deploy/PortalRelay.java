package io.evasan.deploy;

import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntSupplier;

/**
 * A host address of the clustered cell (one portal's host:port) served by a process that does not run that portal's
 * server itself: it accepts iSCSI connections at the address hosts know and carries their bytes, both ways and
 * unchanged, to the leader's server for the same portal (which answers with this portal's identity: its group tag and
 * relative target port, so hosts see the portal as the path it is). A follower relays its own two addresses to the
 * leader; a survivor holds its dead partner's two addresses from the moment it sees the partner dead, before its
 * takeover has a server to carry them to.
 *
 * <p>Invariants: a connection is carried to exactly one leader connection and closes with it. While no server is
 * known ({@code target} answers 0: a takeover under way) or the known one refuses, an accepted connection is held,
 * unread, and carried to the first server that answers within {@code holdMillis}; then it is closed. An initiator
 * that reconnects meanwhile therefore waits on an accepted connection instead of being refused (libiscsi backs off a
 * second or more after a refusal). {@link #close} frees the address and closes every connection carried here.
 */
final class PortalRelay implements AutoCloseable {
    private static final long RETRY_MILLIS = 10;

    private final Vertx vertx;
    private final NetServer server;
    private final NetClient client;
    private final Set<NetSocket> open = ConcurrentHashMap.newKeySet();
    private final String host;
    private final IntSupplier target;
    private final long holdMillis;
    private final int port;
    private volatile boolean closed;

    /** Relays {@code host:publicPort} to {@code host:leaderPort}; binds before returning. */
    PortalRelay(Vertx vertx, String host, int publicPort, int leaderPort) throws Exception {
        this(vertx, host, publicPort, () -> leaderPort, 2_000);
    }

    /**
     * Relays {@code host:publicPort} to {@code host:target.getAsInt()}, asked per connection attempt (0: not known
     * yet, hold the connection up to {@code holdMillis}); binds before returning (throws if the address is taken).
     */
    PortalRelay(Vertx vertx, String host, int publicPort, IntSupplier target, long holdMillis) throws Exception {
        this.vertx = vertx;
        this.host = host;
        this.target = target;
        this.holdMillis = holdMillis;
        client = vertx.createNetClient(new NetClientOptions().setConnectTimeout(2_000).setTcpNoDelay(true));
        server = vertx.createNetServer(new NetServerOptions().setHost(host).setPort(publicPort).setTcpNoDelay(true));
        server.connectHandler(in -> {
            in.pause();
            open.add(in);
            AtomicBoolean gone = new AtomicBoolean();
            in.closeHandler(v -> {
                gone.set(true);
                open.remove(in);
            });
            connect(in, gone, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(holdMillis));
        });
        try {
            port = server.listen().await(10, TimeUnit.SECONDS).actualPort();
        } catch (Exception e) {
            client.close();
            throw e;
        }
    }

    private void connect(NetSocket in, AtomicBoolean gone, long deadline) {
        if (closed || gone.get()) {
            in.close();
            return;
        }
        int to = target.getAsInt();
        if (to <= 0) {
            retry(in, gone, deadline);
            return;
        }
        client.connect(to, host).onComplete(ar -> {
            if (ar.failed()) {
                retry(in, gone, deadline);
            } else if (closed || gone.get()) {
                ar.result().close();
                in.close();
            } else {
                carry(in, ar.result());
            }
        });
    }

    private void retry(NetSocket in, AtomicBoolean gone, long deadline) {
        if (closed || gone.get() || System.nanoTime() - deadline > 0) {
            in.close();
            return;
        }
        vertx.setTimer(RETRY_MILLIS, id -> connect(in, gone, deadline));
    }

    private void carry(NetSocket in, NetSocket out) {
        open.add(out);
        out.closeHandler(v -> {
            open.remove(out);
            in.close();
        });
        in.closeHandler(v -> {
            open.remove(in);
            out.close();
        });
        // back-pressure both ways: a full socket pauses its source
        in.drainHandler(v -> out.resume());
        out.drainHandler(v -> in.resume());
        in.handler(b -> {
            out.write(b);
            if (out.writeQueueFull()) {
                in.pause();
            }
        });
        out.handler(b -> {
            in.write(b);
            if (in.writeQueueFull()) {
                out.pause();
            }
        });
        in.resume();
    }

    int port() {
        return port;
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close().await(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            System.err.println("evasan: cluster: relay on port " + port + " did not close: " + e);
        }
        for (NetSocket s : open) {
            s.close();
        }
        client.close();
    }
}
