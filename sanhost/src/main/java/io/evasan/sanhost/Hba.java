package io.evasan.sanhost;

import io.evasan.fabric.fcp.FcpInitiator;
import io.evasan.fabric.link.TcpLinkEnd;
import io.evasan.fabric.nport.NPort;
import io.evasan.fabric.nport.NPortException;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.time.Duration;

/**
 * One host bus adapter: an initiator {@link NPort} on its own TCP link to the switch, and the
 * {@link FcpInitiator} on it. The link can be re-established on the same end ({@link #reconnect}),
 * after which the port logs in to the fabric again and gets a new N_Port ID.
 */
final class Hba {
    private final String name;
    private final long wwpn;
    private final InetSocketAddress fabric;
    final TcpLinkEnd end;
    final NPort port;
    final FcpInitiator initiator;

    Hba(String name, long wwpn, InetSocketAddress fabric, Duration timeout) throws IOException {
        this.name = name;
        this.wwpn = wwpn;
        this.fabric = fabric;
        this.end = TcpLinkEnd.connect(name, fabric);
        this.port = new NPort(name, wwpn, wwpn ^ 0x1000_0000_0000_0000L | 0x2000_0000_0000_0000L, end, true, false, timeout);
        port.keepReceived(false);
        this.initiator = new FcpInitiator(port, timeout);
    }

    String name() {
        return name;
    }

    long wwpn() {
        return wwpn;
    }

    void login() throws NPortException {
        port.fabricLogin();
    }

    /** Opens a new TCP connection to the switch on the same link end (announced as link up). */
    void reconnect() throws IOException {
        SocketChannel ch = SocketChannel.open(fabric);
        ch.socket().setTcpNoDelay(true);
        end.attach(ch, true);
    }

    void close() {
        end.close();
    }
}
