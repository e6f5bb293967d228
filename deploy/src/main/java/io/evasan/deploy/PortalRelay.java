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

/**
 * A clustered follower's host port: it accepts iSCSI connections at the address hosts know for this controller's
 * portal and carries their bytes, both ways and unchanged, to the leader's server for the same portal (which answers
 * with this portal's identity: its group tag and relative target port, so hosts see the portal as the
 * non-optimized path it is). Invariant: a connection is relayed to exactly one leader connection and closes with
 * it; {@link #close} frees the address (the follower binds its own server there when it takes over).
 */
final class PortalRelay implements AutoCloseable {
    private final NetServer server;
    private final NetClient client;
    private final Set<NetSocket> open = ConcurrentHashMap.newKeySet();
    private final int port;

    /** Relays {@code host:publicPort} to {@code host:leaderPort}; binds before returning. */
    PortalRelay(Vertx vertx, String host, int publicPort, int leaderPort) throws Exception {
        client = vertx.createNetClient(new NetClientOptions().setConnectTimeout(2_000).setTcpNoDelay(true));
        server = vertx.createNetServer(new NetServerOptions().setHost(host).setPort(publicPort).setTcpNoDelay(true));
        server.connectHandler(in -> {
            in.pause();
            open.add(in);
            in.closeHandler(v -> open.remove(in));
            client.connect(leaderPort, host).onComplete(ar -> {
                if (ar.failed()) {
                    in.close();
                    return;
                }
                NetSocket out = ar.result();
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
            });
        });
        port = server.listen().await(10, TimeUnit.SECONDS).actualPort();
    }

    int port() {
        return port;
    }

    @Override
    public void close() {
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
