package io.evasan.fabric.link;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * A link carried by a TCP connection on loopback: end {@code b} listens, end {@code a} connects.
 * {@link #down()} closes the connection (both ends see it go, as when a cable or a process dies);
 * {@link #up()} opens a new one unless both ends are connected. A connection an end closed itself
 * (a malformed stream) leaves the link down until {@link #up()}. The ends are {@link TcpLinkEnd}s,
 * which are also what a port in another process uses with its own socket.
 */
public final class TcpLink implements Link {
    private final ServerSocketChannel server;
    private final TcpLinkEnd a;
    private final TcpLinkEnd b;
    private final LinkFaults aToB = new LinkFaults();
    private final LinkFaults bToA = new LinkFaults();
    private boolean closed;

    public TcpLink(String name) {
        a = new TcpLinkEnd(name + "-a", aToB);
        b = new TcpLinkEnd(name + "-b", bToA);
        try {
            server = ServerSocketChannel.open();
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        connect(false);
    }

    /** The loopback port end {@code b} listens on. */
    public int port() {
        return server.socket().getLocalPort();
    }

    private void connect(boolean announce) {
        try {
            SocketChannel client = SocketChannel.open(server.getLocalAddress());
            SocketChannel accepted = server.accept();
            client.socket().setTcpNoDelay(true);
            accepted.socket().setTcpNoDelay(true);
            a.attach(client, announce);
            b.attach(accepted, announce);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public LinkEnd a() {
        return a;
    }

    @Override
    public LinkEnd b() {
        return b;
    }

    @Override
    public LinkFaults faults(Direction d) {
        return d == Direction.A_TO_B ? aToB : bToA;
    }

    @Override
    public synchronized void down() {
        a.detach();
        b.detach();
    }

    @Override
    public synchronized void up() {
        if (!closed && !(a.isUp() && b.isUp())) {
            connect(true);
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        a.close();
        b.close();
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
    }
}
