package io.evasan.deploy;

import io.evasan.fabric.fcp.FcpInitiator;
import io.evasan.fabric.fcp.FcpInitiator.Result;
import io.evasan.fabric.frame.Els;
import io.evasan.fabric.frame.Els.Login;
import io.evasan.fabric.frame.ElsDescriptor;
import io.evasan.fabric.frame.NameServerDescriptor;
import io.evasan.fabric.frame.NameServerDescriptor.PortEntry;
import io.evasan.fabric.link.TcpLinkEnd;
import io.evasan.fabric.nport.NPort;
import io.evasan.fabric.nport.NPortException;
import io.evasan.fabric.switching.Wwn;
import io.evasan.fabric.switching.ZoneSet;
import io.evasan.nsc.api.NscId;
import io.evasan.scsi.ScsiStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The appliance's built-in FC fabric end to end: hosts are {@link NPort}s on TCP links to the appliance's switch, as
 * {@code sanhost} HBAs would be. Discovery, PRLI, ALUA and I/O through FC into the cell's SCSI target, LUN masking by
 * WWPN, zoning, and a kill drill of NSC B (its N_Ports vanish with RSCN and come back under A with the same WWPNs).
 * No assertion on durations; waits are bounded only to fail instead of hanging.
 */
class CellFabricTest {
    static final long HOST = 0x1000_0000_C9AA_0001L;
    static final long UNPRESENTED = 0x1000_0000_C9AA_0002L;
    static final long OUTSIDER = 0x1000_0000_C9BB_0003L;
    static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    static NPort host(EmbeddedAppliance app, String name, long wwpn) throws Exception {
        TcpLinkEnd end = TcpLinkEnd.connect(name, new InetSocketAddress(InetAddress.getLoopbackAddress(), app.fabricPort()));
        NPort p = new NPort(name, wwpn, wwpn | 0x0100_0000_0000_0000L, end, true, false, WAIT);
        p.fabricLogin();
        return p;
    }

    /** The cell's target ports the name server shows {@code host} (NAA 5 WWPNs; hosts here are NAA 1): N_Port ID to WWPN. */
    static Map<Integer, Long> targets(NPort host) throws NPortException, Exception {
        NPort.CtAnswer a = host.nameServer(new NameServerDescriptor.GpnFt(io.evasan.fabric.frame.FrameHeaderDescriptor.TYPE_FCP));
        Map<Integer, Long> out = new TreeMap<>();
        if (a.header().isReject()) {
            return out;
        }
        for (PortEntry e : NameServerDescriptor.decodeGpnFtAccept(a.body())) {
            if (e.wwpn() >>> 60 == 5) {
                out.put(e.portId(), e.wwpn());
            }
        }
        return out;
    }

    static byte[] rw10(int opcode, int lba, int blocks) {
        return ByteBuffer.allocate(10).put((byte) opcode).put((byte) 0).putInt(lba).put((byte) 0)
                .putShort((short) blocks).put((byte) 0).array();
    }

    /** A command retried past UNIT ATTENTIONs (a new nexus, an ALUA change) until it ends otherwise. */
    static Result command(FcpInitiator ini, int target, byte[] cdb, byte[] out, int in) throws Exception {
        for (int i = 0; ; i++) {
            Result r = ini.command(target, 0, cdb, out, in);
            boolean ua = r.status() == ScsiStatus.CHECK_CONDITION && r.sense() != null && r.sense().length > 2
                    && ((r.sense()[0] & 0x7F) >= 0x72 ? r.sense()[1] & 0xF : r.sense()[2] & 0xF) == 6;
            if (!ua || i == 8) {
                return r;
            }
        }
    }

    static List<Integer> reportLuns(FcpInitiator ini, int target) throws Exception {
        byte[] cdb = new byte[12];
        cdb[0] = (byte) 0xA0;
        ByteBuffer.wrap(cdb).putInt(6, 4096);
        Result r = command(ini, target, cdb, new byte[0], 4096);
        assertEquals(ScsiStatus.GOOD, r.status(), "REPORT LUNS");
        ByteBuffer b = ByteBuffer.wrap(r.data());
        int n = b.getInt(0) / 8;
        List<Integer> luns = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            luns.add(b.getShort(8 + 8 * i) & 0x3FFF);
        }
        return luns;
    }

    /** REPORT TARGET PORT GROUPS: group id to its relative target port ids. */
    static Map<Integer, List<Integer>> reportTargetPortGroups(FcpInitiator ini, int target) throws Exception {
        byte[] cdb = new byte[12];
        cdb[0] = (byte) 0xA3;
        cdb[1] = 0x0A;
        ByteBuffer.wrap(cdb).putInt(6, 1024);
        Result r = command(ini, target, cdb, new byte[0], 1024);
        assertEquals(ScsiStatus.GOOD, r.status(), "REPORT TARGET PORT GROUPS");
        ByteBuffer b = ByteBuffer.wrap(r.data());
        int end = 4 + b.getInt(0);
        Map<Integer, List<Integer>> groups = new TreeMap<>();
        for (int at = 4; at < end; ) {
            int group = b.getShort(at + 2) & 0xFFFF;
            int count = b.get(at + 7) & 0xFF;
            List<Integer> ports = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                ports.add(b.getShort(at + 8 + 4 * i + 2) & 0xFFFF);
            }
            groups.put(group, ports);
            at += 8 + 4 * count;
        }
        return groups;
    }

    /** Waits (bounded, only to fail instead of hanging) until the name server shows {@code host} exactly {@code want}. */
    static void awaitTargets(NPort host, Map<Integer, Long> want, String why) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        Map<Integer, Long> seen = targets(host);
        while (!seen.equals(want) && System.nanoTime() < deadline) {
            Thread.sleep(20);
            seen = targets(host);
        }
        assertEquals(want, seen, why);
    }

    static Els.Rscn nextRscn(NPort p) throws InterruptedException {
        Els.Rscn r = p.rscns().poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertNotNull(r, "no RSCN arrived");
        return r;
    }

    @Test
    void shouldServeTheCellThroughTheBuiltInFabricWithMaskingZoningAndPersistentPortsAcrossAKill() throws Exception {
        long seed = new Random().nextLong();
        System.out.println("CellFabricTest seed " + seed);
        try (EmbeddedAppliance app = EmbeddedAppliance.start(EmbeddedAppliance.Options.forTest(dir))) {
            app.controller().unpresentLun("*", 0);   // the first start's LUN 0 for everyone: masking is tested here
            app.controller().createLun("fc0", 64L << 20);
            app.controller().presentLun(Wwn.format(HOST), 0, "fc0");
            long wwnn = app.fabricWwnn();
            assertEquals(5, wwnn >>> 60, "NAA 5");
            assertEquals(0x001FE1L, wwnn >>> 36 & 0xFF_FFFFL, "the cell's OUI");
            assertEquals(wwnn, CellFabric.wwnn(app.pool().id().toString()), "derived from the pool id");

            NPort host = host(app, "host", HOST);
            FcpInitiator ini = new FcpInitiator(host, WAIT);
            Map<Integer, Long> targets = targets(host);
            assertEquals(List.of(wwnn | 1, wwnn | 2, wwnn | 3, wwnn | 4), List.copyOf(targets.values()),
                    "the default zone shows every target port: WWPN = WWNN + port index");
            assertEquals(List.copyOf(targets.keySet()), host.gidFtFcp().stream().filter(id -> id != host.portId()).toList(),
                    "GID_FT lists the same four");
            List<Integer> ids = List.copyOf(targets.keySet());
            for (int id : ids) {
                assertTrue(host.login(id).pages().get(0).targetFunction(), "PRLI accepted as an FCP target");
            }

            int a1 = ids.get(0);
            int b1 = ids.get(2);
            Result inq = command(ini, a1, new byte[] {0x12, 0, 0, 0, 96, 0}, new byte[0], 96);
            assertEquals(ScsiStatus.GOOD, inq.status());
            assertEquals(3, inq.data()[5] >> 4 & 3, "TPGS: implicit and explicit ALUA");
            assertEquals(Map.of(1, List.of(1, 2, 5, 6), 2, List.of(3, 4, 7, 8)), reportTargetPortGroups(ini, a1),
                    "each controller's group holds its portals and its N_Ports");
            assertEquals(List.of(0), reportLuns(ini, a1));

            byte[] pattern = new byte[64 * 512];
            new Random(seed).nextBytes(pattern);
            assertEquals(ScsiStatus.GOOD, command(ini, a1, rw10(0x2A, 8, pattern.length / 512), pattern, 0).status(),
                    "WRITE(10) through NSC A's N_Port, seed " + seed);
            Result read = command(ini, b1, rw10(0x28, 8, pattern.length / 512), new byte[0], pattern.length);
            assertEquals(ScsiStatus.GOOD, read.status());
            assertArrayEquals(pattern, read.data(), "read back through NSC B's N_Port");
            // each N_Port meters what it served, as the iSCSI portals do (the performance history's port series)
            assertEquals(1.0, app.registry().find("evasan.port.writes").tag("portal", "fc:" + Wwn.format(wwnn | 1)).counter().count(),
                    "the write through A's first N_Port");
            assertEquals((double) pattern.length, app.registry().find("evasan.port.read.bytes")
                    .tag("portal", "fc:" + Wwn.format(wwnn | 3)).counter().count(), "the read through B's first N_Port");

            // masking: a host with no presentation sees no LUN
            NPort other = host(app, "unpresented", UNPRESENTED);
            FcpInitiator otherIni = new FcpInitiator(other, WAIT);
            other.login(a1);
            assertEquals(List.of(), reportLuns(otherIni, a1), "masking by WWPN");

            // zoning: once a zone set is active, a host outside every zone with the targets gets nothing
            NPort outsider = host(app, "outsider", OUTSIDER);
            assertEquals(4, targets(outsider).size(), "the default zone before activation");
            Set<Long> members = new HashSet<>(targets.values());
            members.add(HOST);
            members.add(UNPRESENTED);
            app.fabricSwitch().activate(new ZoneSet("cfg", Map.of("z_hosts_cell", members)));
            assertEquals(Map.of(), targets(outsider), "no GID_FT / GPN_FT entry");
            assertEquals(List.of(outsider.portId()), outsider.gidFtFcp());
            assertEquals(new Els.LsRjt(ElsDescriptor.RJT_UNAB, ElsDescriptor.EXPL_NONE),
                    outsider.els(a1, Login.plogi(OUTSIDER, OUTSIDER, 2048, 2000)), "no PLOGI through");
            assertEquals(4, targets(host).size(), "zoned hosts keep their targets");

            // kill drill of B: its N_Ports vanish (RSCN), come back under A with the same WWPNs, I/O resumes
            host.rscns().clear();
            app.pair().kill(NscId.B);
            Set<Integer> affected = new HashSet<>();
            while (!affected.containsAll(Set.of(ids.get(2), ids.get(3)))) {
                for (Els.RscnPage page : nextRscn(host).pages()) {
                    affected.add(page.address());
                }
            }
            assertFalse(affected.contains(a1), "A's ports stay");
            awaitTargets(host, targets, "the same WWPNs at the same N_Port IDs, now served by A");
            assertEquals(List.of("A", "A", "A", "A"), app.fabricServedBy(), "A serves B's ports");
            host.login(b1);
            Result afterKill = command(ini, b1, rw10(0x28, 8, pattern.length / 512), new byte[0], pattern.length);
            assertEquals(ScsiStatus.GOOD, afterKill.status());
            assertArrayEquals(pattern, afterKill.data(), "read through B's port served by A");
            new Random(seed + 1).nextBytes(pattern);
            assertEquals(ScsiStatus.GOOD, command(ini, b1, rw10(0x2A, 8, pattern.length / 512), pattern, 0).status());
            assertArrayEquals(pattern, command(ini, a1, rw10(0x28, 8, pattern.length / 512), new byte[0], pattern.length).data());

            app.pair().restart(NscId.B);
            awaitTargets(host, targets, "B's own N_Ports are back with the same WWPNs");
            assertEquals(List.of("A", "A", "B", "B"), app.fabricServedBy());
            host.login(b1);
            assertArrayEquals(pattern, command(ini, b1, rw10(0x28, 8, pattern.length / 512), new byte[0], pattern.length).data());
        }
    }

    static io.vertx.core.json.JsonObject http(EmbeddedAppliance app, String token, String method, String path, String body,
                                               int status) throws Exception {
        java.net.http.HttpRequest.Builder b = java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + app.mgmtPort() + path))
                .header("Authorization", "Bearer " + token)
                .method(method, body == null ? java.net.http.HttpRequest.BodyPublishers.noBody()
                        : java.net.http.HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(b.build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(status, r.statusCode(), method + " " + path + ": " + r.body());
        return r.body().isEmpty() ? null : new io.vertx.core.json.JsonObject(r.body());
    }

    @Test
    void shouldEnforceAZoneSetActivatedThroughTheApiFromTheStartOfTheNextRun() throws Exception {
        EmbeddedAppliance.Options o = EmbeddedAppliance.Options.forTest(dir);
        String token;
        try (EmbeddedAppliance app = EmbeddedAppliance.start(o)) {
            token = app.createdToken().orElseThrow();
            long wwnn = app.fabricWwnn();
            io.vertx.core.json.JsonArray members = new io.vertx.core.json.JsonArray().add(Wwn.format(HOST).toUpperCase());
            for (int i = 1; i <= 4; i++) {
                members.add(Wwn.format(wwnn | i));
            }
            http(app, token, "POST", "/api/fabric/zones",
                    new io.vertx.core.json.JsonObject().put("name", "z_host_cell").put("members", members).encode(), 201);
            http(app, token, "POST", "/api/fabric/zonesets", "{\"name\":\"cfg\",\"zones\":[\"z_host_cell\"]}", 201);
            NPort outsider = host(app, "outsider", OUTSIDER);
            assertEquals(4, targets(outsider).size(), "the default zone: every port");
            http(app, token, "POST", "/api/fabric/zonesets/cfg/activate", null, 200);
            assertEquals(Map.of(), targets(outsider), "outside every zone of the active set");
            NPort zoned = host(app, "host", HOST);
            assertEquals(4, targets(zoned).size());

            io.vertx.core.json.JsonObject view = http(app, token, "GET", "/api/fabric", null, 200);
            assertEquals("cfg", view.getString("activeZoneSet"));
            assertEquals("127.0.0.1:" + app.fabricPort(), view.getString("listen"));
            List<String> served = new ArrayList<>();
            for (Object x : view.getJsonArray("ports")) {
                io.vertx.core.json.JsonObject p = (io.vertx.core.json.JsonObject) x;
                if ("cell".equals(p.getString("kind"))) {
                    served.add(p.getString("servedBy") + p.getInteger("relativeTargetPort"));
                    assertEquals("target", p.getString("role"));
                    assertEquals(new io.vertx.core.json.JsonArray().add("z_host_cell"), p.getJsonArray("zonedWith"));
                } else if (Wwn.format(HOST).equals(p.getString("wwpn"))) {
                    assertEquals("initiator", p.getString("role"));
                    assertTrue(p.getBoolean("loggedIn"));
                }
            }
            assertEquals(List.of("A5", "A6", "B7", "B8"), served);
        }
        try (EmbeddedAppliance app = EmbeddedAppliance.start(o)) {
            NPort outsider = host(app, "outsider", OUTSIDER);
            assertEquals(Map.of(), targets(outsider), "the stored zone set is enforced before any host can connect");
            assertEquals(4, targets(host(app, "host", HOST)).size());
            http(app, token, "POST", "/api/fabric/deactivate", null, 200);
            assertEquals(4, targets(outsider).size(), "back to the default zone");
        }
    }
}
