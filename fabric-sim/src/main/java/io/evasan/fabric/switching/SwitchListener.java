package io.evasan.fabric.switching;

import io.evasan.fabric.link.LinkFaults;
import io.evasan.fabric.link.TcpLinkEnd;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Puts a {@link FabricSwitch} on TCP so that every N_Port can be its own process: each accepted
 * connection is cabled to a new switch port (a {@link TcpLinkEnd} carrying encapsulated frames).
 * Invariants: a closed connection is a lost link (the port is logged out and zoned ports get
 * RSCN); a reconnecting N_Port gets a new switch port, and so a new N_Port ID.
 */
public final class SwitchListener implements AutoCloseable {
    private final FabricSwitch fabric;
    private final ServerSocketChannel server;
    private final List<TcpLinkEnd> ends = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    public SwitchListener(FabricSwitch fabric, InetSocketAddress bind) throws IOException {
        this.fabric = fabric;
        this.server = ServerSocketChannel.open();
        server.bind(bind);
        acceptor = new Thread(this::acceptLoop, "switch-" + fabric.domain() + "-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** The TCP port the switch listens on. */
    public int port() {
        return server.socket().getLocalPort();
    }

    private void acceptLoop() {
        while (server.isOpen()) {
            try {
                SocketChannel ch = server.accept();
                ch.socket().setTcpNoDelay(true);
                TcpLinkEnd end = new TcpLinkEnd("switch-" + fabric.domain() + "-port", new LinkFaults());
                ends.add(end);
                fabric.attach(end);
                end.attach(ch, false);
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                // one failed accept does not stop the switch
            }
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        ends.forEach(TcpLinkEnd::close);
    }
}
