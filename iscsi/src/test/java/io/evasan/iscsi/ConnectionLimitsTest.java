package io.evasan.iscsi;

import io.evasan.iscsi.login.LoginStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

import static io.evasan.iscsi.TestInitiator.Rx;
import static org.junit.jupiter.api.Assertions.*;

/** Issue 11 #8: per-PDU and login deadlines, and connection caps (total, per initiator, per address). */
class ConnectionLimitsTest {
    static final String IQN = "iqn.2026-01.io.evasan:limits";
    IscsiTargetServer server;
    int port;
    final List<AutoCloseable> open = new ArrayList<>();

    void start(UnaryOperator<IscsiTargetConfig> tune) {
        IscsiTargetConfig cfg = IscsiTargetConfig.create().port(0).addTarget(IQN, null, new RamDiskScsiTarget(1 << 20));
        server = new IscsiTargetServer(tune.apply(cfg));
        port = server.start();
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
        if (server != null) {
            server.stop();
        }
    }

    TestInitiator connect(String name, int isid) throws IOException {
        TestInitiator t = new TestInitiator(port);
        open.add(t);
        t.initiatorName = name;
        t.isid[5] = (byte) isid;
        return t;
    }

    TestInitiator session(String name, int isid) throws IOException {
        TestInitiator t = connect(name, isid);
        Rx r = t.loginNormal(IQN);
        assertEquals(0, TestInitiator.statusOf(r), "login of " + name + " isid " + isid);
        return t;
    }

    /** A raw socket the test drives byte by byte. */
    Socket raw() throws IOException {
        Socket s = new Socket("127.0.0.1", port);
        s.setTcpNoDelay(true);
        open.add(s);
        return s;
    }

    static boolean closedBy(Socket s, int millis) throws IOException {
        s.setSoTimeout(millis);
        InputStream in = s.getInputStream();
        try {
            while (true) {
                if (in.read(new byte[4096]) < 0) {
                    return true;
                }
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    static void await(java.util.function.BooleanSupplier c, String what) throws InterruptedException {
        long end = System.nanoTime() + 5_000_000_000L;
        while (!c.getAsBoolean()) {
            assertTrue(System.nanoTime() < end, what);
            Thread.sleep(10);
        }
    }

    @Test
    void shouldCloseAFullFeatureConnectionThatTricklesAPduPastTheDeadline() throws Exception {
        start(c -> c.pduTimeoutMillis(400));
        TestInitiator t = session("iqn.2026-01.io.evasan:trickler", 1);
        byte[] nop = t.nopOut(77, -1, false);
        nop[7] = (byte) 200; // a 200-byte ping: header then data, one byte at a time
        long t0 = System.nanoTime();
        boolean closed = false;
        OutputStream out = t.socket.getOutputStream();
        for (int i = 0; i < 48 + 200 && !closed; i++) {
            try {
                out.write(i < 48 ? nop[i] : 0x5a);
                out.flush();
            } catch (IOException e) {
                closed = true;
                break;
            }
            closed = t.closedWithin(100); // one byte every 100 ms: each byte is "recent", the PDU is not
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(closed, "still open after " + ms + " ms");
        assertTrue(ms >= 400 && ms < 3000, "closed after " + ms + " ms");
        assertEquals(1, server.timedOutConnections());
        await(() -> server.connectionCount() == 0, "connection gone");
    }

    @Test
    void shouldCloseALoginThatTricklesOrNeverCompletes() throws Exception {
        start(c -> c.pduTimeoutMillis(300).loginTimeoutMillis(800));
        Socket silent = raw();                      // connects and says nothing
        TestInitiator half = connect("iqn.2026-01.io.evasan:half", 2);
        Rx r = half.login(false, 0, 1, "InitiatorName=" + half.initiatorName, "SessionType=Normal", "TargetName=" + IQN,
                "AuthMethod=None");                 // security stage answered, then nothing more
        assertEquals(0, TestInitiator.statusOf(r));
        long t0 = System.nanoTime();
        assertTrue(closedBy(silent, 3000), "silent connection closed by the login deadline");
        assertTrue(half.closedWithin(3000), "unfinished login closed by the login deadline");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms < 3000, ms + " ms");
        assertEquals(2, server.timedOutConnections());
    }

    @Test
    void shouldKeepAnIdleFullFeatureSessionWithNoPartialPdu() throws Exception {
        start(c -> c.pduTimeoutMillis(200).loginTimeoutMillis(400));
        TestInitiator t = session("iqn.2026-01.io.evasan:idle", 3);
        assertFalse(t.closedWithin(1500), "idle between PDUs is fine, also past the login deadline");
        Rx pong = t.ping(new byte[] {9, 8, 7});
        assertEquals(0x20, pong.opcode());
        assertEquals(0, server.timedOutConnections());
    }

    @Test
    void shouldRefuseTheConnectionOverThePerInitiatorCapWithOutOfResources() throws Exception {
        start(c -> c.maxConnectionsPerInitiator(2));
        String name = "iqn.2026-01.io.evasan:greedy";
        TestInitiator a = session(name, 1);
        session(name, 2);
        TestInitiator third = connect(name, 3);
        Rx r = third.loginNormal(IQN);
        assertEquals(LoginStatus.OUT_OF_RESOURCES, TestInitiator.statusOf(r), "03/02: " + r);
        assertTrue(third.closedWithin(2000));
        session("iqn.2026-01.io.evasan:other", 1); // another initiator is not affected
        a.close();
        await(() -> server.connectionCount() == 2, "first connection gone");
        session(name, 4); // a slot of the initiator was released
        assertEquals(1, server.rejectedConnections());
    }

    @Test
    void shouldRefuseTheConnectionOverThePerAddressCapWithOutOfResources() throws Exception {
        start(c -> c.maxConnectionsPerAddress(3));
        for (int i = 0; i < 3; i++) {
            session("iqn.2026-01.io.evasan:host" + i, i);
        }
        TestInitiator fourth = connect("iqn.2026-01.io.evasan:host3", 3);
        assertEquals(LoginStatus.OUT_OF_RESOURCES, TestInitiator.statusOf(fourth.loginNormal(IQN)));
        assertTrue(fourth.closedWithin(2000));
        assertEquals(1, server.rejectedConnections());
    }

    @Test
    void shouldRefuseOverTheTotalCapWithOutOfResourcesThenCloseAtAcceptBeyondTheGrace() throws Exception {
        start(c -> c.maxConnections(2).loginTimeoutMillis(60_000));
        session("iqn.2026-01.io.evasan:a", 1);
        session("iqn.2026-01.io.evasan:b", 2);
        TestInitiator third = connect("iqn.2026-01.io.evasan:c", 3);
        assertEquals(LoginStatus.OUT_OF_RESOURCES, TestInitiator.statusOf(third.loginNormal(IQN)));
        assertTrue(third.closedWithin(2000));
        await(() -> server.connectionCount() == 2, "refused connection gone");
        List<Socket> waiting = new ArrayList<>();
        for (int i = 0; i < IscsiTargetConfig.REJECT_GRACE; i++) {
            waiting.add(raw()); // over the cap, within the grace: kept until their Login Request
        }
        await(() -> server.connectionCount() == 2 + IscsiTargetConfig.REJECT_GRACE, "grace connections accepted");
        Socket beyond = raw();
        assertTrue(closedBy(beyond, 2000), "beyond the grace: closed at accept");
        assertFalse(closedBy(waiting.get(0), 200));
        assertEquals(2, server.rejectedConnections());
    }
}
