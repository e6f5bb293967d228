package io.evasan.iscsi;

import io.evasan.iscsi.IscsiTargetConfig.Portal;
import io.evasan.iscsi.login.TextKeys;
import io.evasan.scsi.ItNexus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.evasan.iscsi.TestInitiator.Rx;
import static io.evasan.iscsi.TestInitiator.put32;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The portals of a two-controller cell: four servers (two per controller, each controller one
 * ScsiTarget) for one target IQN, each its own portal group and relative target port; SendTargets
 * lists the cell's present portals; {@code kill()} drops connections as a crash and the port is
 * taken over at once by another server.
 */
class PortalsTest {
    static final String IQN = "iqn.2026-01.io.evasan:cell";
    final List<IscsiTargetServer> servers = new ArrayList<>();
    final List<TestInitiator> initiators = new ArrayList<>();

    @AfterEach
    void stop() {
        initiators.forEach(TestInitiator::close);
        servers.forEach(IscsiTargetServer::stop);
    }

    /** A portal of the cell served by {@code target}: tpgt and relative target port id {@code n}. */
    IscsiTargetServer portal(RamDiskScsiTarget target, int port, int n) {
        IscsiTargetServer s = new IscsiTargetServer(IscsiTargetConfig.create().port(port).portalGroupTag(n)
                .relativeTargetPortId(n).nopInIntervalMillis(0).addTarget(IQN, "cell", target));
        s.start();
        servers.add(s);
        return s;
    }

    /** Controller A serves portals 1 and 2 with {@code a}, controller B 3 and 4 with {@code b}; all advertise the four. */
    List<IscsiTargetServer> cell(RamDiskScsiTarget a, RamDiskScsiTarget b) {
        List<IscsiTargetServer> cell = List.of(portal(a, 0, 1), portal(a, 0, 2), portal(b, 0, 3), portal(b, 0, 4));
        List<Portal> all = new ArrayList<>();
        for (int i = 0; i < cell.size(); i++) {
            all.add(new Portal("127.0.0.1", cell.get(i).port(), i + 1));
        }
        cell.forEach(s -> s.config().advertisedPortals(all));
        return cell;
    }

    TestInitiator connect(int port) throws IOException {
        TestInitiator t = new TestInitiator(port);
        initiators.add(t);
        return t;
    }

    TestInitiator session(int port, int isid) throws IOException {
        TestInitiator t = connect(port);
        t.isid[5] = (byte) isid;
        assertEquals(0, TestInitiator.statusOf(t.loginNormal(IQN, "HeaderDigest=None", "DataDigest=None")), "login");
        return t;
    }

    /** The TargetAddress values a discovery session on {@code port} gets for SendTargets=All. */
    List<String> sendTargets(int port) throws IOException {
        TestInitiator t = connect(port);
        Rx r = t.login(true, 0, 3, "InitiatorName=" + t.initiatorName, "SessionType=Discovery", "AuthMethod=None");
        assertEquals(0, TestInitiator.statusOf(r));
        byte[] text = TestInitiator.bhs(0x04, 0x80);
        put32(text, 16, 0xb00);
        put32(text, 20, -1);
        put32(text, 24, t.cmdSN++);
        t.send(text, TestInitiator.text("SendTargets=All"));
        Rx rsp = t.read();
        assertEquals(0x24, rsp.opcode());
        List<String> addrs = new ArrayList<>();
        List<TextKeys.Pair> pairs = TextKeys.parse(rsp.data);
        assertEquals(new TextKeys.Pair("TargetName", IQN), pairs.get(0));
        for (TextKeys.Pair p : pairs.subList(1, pairs.size())) {
            assertEquals("TargetAddress", p.key());
            addrs.add(p.value());
        }
        t.close();
        return addrs;
    }

    /** READ(10) of {@code blocks} blocks at {@code lba}: the data, once the status is GOOD. */
    static byte[] read(TestInitiator t, int itt, int lba, int blocks) throws IOException {
        t.send(t.scsiCmd(itt, true, false, true, blocks * 512, TestInitiator.cdb10(0x28, lba, blocks), false), null);
        t.cmdSN++;
        byte[] got = new byte[blocks * 512];
        while (true) {
            Rx r = t.read();
            assertEquals(0x25, r.opcode(), "Data-In");
            System.arraycopy(r.data, 0, got, r.u32(40), r.data.length);
            if ((r.flags() & 1) != 0) {
                assertEquals(0, r.u8(3), "GOOD");
                return got;
            }
        }
    }

    @Test
    void shouldListEveryPresentPortalOfTheCellWithItsTpgtInSendTargets() throws Exception {
        List<IscsiTargetServer> cell = cell(new RamDiskScsiTarget(1 << 20), new RamDiskScsiTarget(1 << 20));
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            expected.add("127.0.0.1:" + cell.get(i).port() + "," + (i + 1));
        }
        for (IscsiTargetServer s : cell) {
            assertEquals(expected, sendTargets(s.port()), "every portal answers with the whole cell");
        }
        // controller B is down and nobody serves portal 4 yet: left out until it is present again
        cell.get(0).config().portalPresent("127.0.0.1", cell.get(3).port(), false);
        assertEquals(expected.subList(0, 3), sendTargets(cell.get(0).port()));
        cell.get(0).config().portalPresent("[127.0.0.1]", cell.get(3).port(), true);
        assertEquals(expected, sendTargets(cell.get(0).port()));
    }

    @Test
    void shouldAnswerOnlyTheOwnPortalByDefaultAndFormatIpv6InBrackets() throws Exception {
        IscsiTargetServer s = portal(new RamDiskScsiTarget(1 << 20), 0, 7);
        assertEquals(List.of("127.0.0.1:" + s.port() + ",7"), sendTargets(s.port()));
        assertEquals("[fe80::1]:3260,2", new Portal("fe80::1", 3260, 2).targetAddress());
        assertEquals("[::1]:3261,3", new Portal("[::1]", 3261, 3).targetAddress());
        assertEquals("san-a.example.com:3260,1", new Portal("san-a.example.com", 3260, 1).targetAddress());
        IscsiTargetConfig cfg = IscsiTargetConfig.create();
        assertThrows(IllegalArgumentException.class, () -> cfg.advertisedPortals(
                List.of(new Portal("::1", 3260, 1), new Portal("[::1]", 3260, 2))));
        assertThrows(IllegalArgumentException.class, () -> cfg.portalPresent("127.0.0.1", 3260, false));
        assertThrows(IllegalArgumentException.class, () -> new Portal("0.0.0.0", 3260, 1));
        assertEquals(5, IscsiTargetConfig.create().portalGroupTag(5).relativeTargetPortId(), "default: the tpgt");
    }

    @Test
    void shouldOpenEachPortalsNexusWithItsOwnRelativeTargetPortId() throws Exception {
        RamDiskScsiTarget a = new RamDiskScsiTarget(1 << 20);
        RamDiskScsiTarget b = new RamDiskScsiTarget(1 << 20);
        List<IscsiTargetServer> cell = cell(a, b);
        for (int i = 0; i < cell.size(); i++) {
            session(cell.get(i).port(), 0);
        }
        List<ItNexus> nexuses = new ArrayList<>(a.nexuses);
        nexuses.addAll(b.nexuses);
        assertEquals(4, nexuses.size());
        for (int i = 0; i < 4; i++) {
            ItNexus n = nexuses.get(i);
            assertEquals(i + 1, n.relativeTargetPortId(), n.toString());
            assertEquals(IQN + ",t,0x000" + (i + 1), n.targetPortName());
        }
    }

    @Test
    void shouldDropConnectionsWithoutAResponseOnKillAndServeAReconnectingInitiatorOnTheSamePort() throws Exception {
        RamDiskScsiTarget a = new RamDiskScsiTarget(1 << 20);
        RamDiskScsiTarget b = new RamDiskScsiTarget(1 << 20);
        byte[] pattern = new byte[4096];
        Arrays.fill(pattern, (byte) 0x5a);
        System.arraycopy(pattern, 0, b.disk, 8 * 512, pattern.length); // what the survivor's ScsiTarget holds
        IscsiTargetServer dying = portal(a, 0, 1);
        int port = dying.port();
        TestInitiator t = session(port, 0);
        TestInitiator idle = session(port, 1);
        a.hold = true;
        t.send(t.scsiCmd(0x700, true, false, true, 4096, TestInitiator.cdb10(0x28, 8, 8), false), null);
        long deadline = System.currentTimeMillis() + 5000;
        while (a.heldCount() == 0 && System.currentTimeMillis() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(1, a.heldCount(), "the READ is in flight in the ScsiTarget");

        dying.kill();
        a.releaseHeld(); // the command completes after the crash: its response must not leave
        assertDroppedWithoutAByte(t);
        assertDroppedWithoutAByte(idle);
        assertEquals(0, dying.connectionCount());

        // the survivor takes the portal over at once, with its own ScsiTarget and the dead portal's ids
        IscsiTargetServer survivor = portal(b, port, 1);
        assertEquals(port, survivor.port());
        TestInitiator again = session(port, 0);
        assertArrayEquals(pattern, read(again, 0x701, 8, 8));
        assertEquals(1, b.nexuses.get(0).relativeTargetPortId());
    }

    @Test
    void shouldHoldALoginOnADarkPortalUnansweredAndServeItOnceThePortalIsLitAgain() throws Exception {
        RamDiskScsiTarget target = new RamDiskScsiTarget(1 << 20);
        byte[] pattern = new byte[4096];
        Arrays.fill(pattern, (byte) 0x3c);
        System.arraycopy(pattern, 0, target.disk, 8 * 512, pattern.length);
        IscsiTargetServer portal = portal(target, 0, 1);
        int port = portal.port();
        TestInitiator before = session(port, 0);
        portal.darken();
        assertDroppedWithoutAByte(before);
        assertTrue(portal.dark());

        TestInitiator waiting = connect(port);   // the address is dark, not gone: the connection is taken and held
        waiting.isid[5] = 1;
        java.util.concurrent.CompletableFuture<Integer> login = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return TestInitiator.statusOf(waiting.loginNormal(IQN, "HeaderDigest=None", "DataDigest=None"));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        long deadline = System.currentTimeMillis() + 5000;
        while (portal.heldConnections() == 0 && System.currentTimeMillis() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(1, portal.heldConnections());
        assertEquals(0, portal.connectionCount(), "nothing of the held connection is read while dark");
        assertFalse(login.isDone());

        portal.relight();   // the partner serves the portal now
        assertFalse(portal.dark());
        assertEquals(0, login.get(10, java.util.concurrent.TimeUnit.SECONDS), "the held login succeeds");
        assertArrayEquals(pattern, read(waiting, 0x702, 8, 8));
        assertEquals(0, portal.heldConnections());
        TestInitiator later = session(port, 2);
        assertArrayEquals(pattern, read(later, 0x703, 8, 8));
    }

    /** The target closed (or reset) the connection and sent nothing, not even part of a PDU. */
    static void assertDroppedWithoutAByte(TestInitiator t) throws IOException {
        t.socket.setSoTimeout(3000);
        int got;
        try {
            got = t.in.read();
        } catch (SocketTimeoutException e) {
            throw new AssertionError("connection still open after kill", e);
        } catch (IOException e) {
            return; // reset
        }
        assertEquals(-1, got, "nothing written after kill");
    }
}
