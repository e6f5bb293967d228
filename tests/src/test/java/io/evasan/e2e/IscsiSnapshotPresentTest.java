package io.evasan.e2e;

import io.evasan.deploy.EmbeddedAppliance;
import io.evasan.raid.rstore.RaidLevel;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Snapshots as host disks over iSCSI with an unmodified initiator (qemu-io): patterns written to the
 * LUN, a snapshot taken and presented through the REST API at another host LUN, the LUN overwritten,
 * the snapshot's host LUN still reads the old patterns (and takes writes of its own without touching
 * the LUN); a snapclone's BGCOPY job finishes, the clone is listed as a LUN, presented, and reads the
 * data it was taken with.
 */
class IscsiSnapshotPresentTest {
    private static final long LUN_BYTES = 64L << 20;
    private static final int WRITES = 12;
    private static final int LEN = 64 << 10;

    @TempDir
    Path dir;

    private HttpClient http;
    private String base;
    private String token;

    private HttpResponse<String> call(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + token);
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> ok(String method, String path, String body, int status) throws Exception {
        HttpResponse<String> r = call(method, path, body);
        assertEquals(status, r.statusCode(), method + " " + path + ": " + r.body());
        return r;
    }

    @Test
    void shouldReadOldPatternsFromAPresentedSnapshotAndAFinishedSnapcloneOverIscsi() throws Exception {
        Clients.require("qemu-io", "stdbuf");
        long seed = Long.getLong("evasan.seed", System.nanoTime());
        System.out.println("IscsiSnapshotPresentTest seed=" + seed);
        long[] offsets = offsets(new Random(seed));
        EmbeddedAppliance.Options o = new EmbeddedAppliance.Options(dir.resolve("data"), "127.0.0.1", 0,
                EmbeddedAppliance.DEFAULT_IQN, RaidLevel.RAID5, LUN_BYTES, true, false, "127.0.0.1", 0)
                .withHeartbeatTimeout(EmbeddedAppliance.TEST_HEARTBEAT_TIMEOUT_MS);   // no failover from a loaded machine
        try (EmbeddedAppliance app = EmbeddedAppliance.start(o)) {
            http = HttpClient.newHttpClient();
            base = "http://127.0.0.1:" + app.mgmtPort();
            token = app.createdToken().orElseThrow();
            String lun = app.iscsiUrl(0);

            Clients.Result w1 = Clients.qemuIo(lun, commands("write", offsets, 0x10));
            assertEquals(WRITES, w1.count("wrote "), w1.toString());
            ok("POST", "/api/luns/" + EmbeddedAppliance.FIRST_LUN + "/snapshots", "{\"name\":\"snap1\"}", 201);
            JsonObject s = new JsonObject(ok("POST", "/api/snapshots/snap1/present", "{\"initiator\":\"*\",\"hostLun\":2}", 200).body());
            assertEquals(1, s.getJsonArray("presentations").size(), s::encode);

            Clients.Result w2 = Clients.qemuIo(lun, commands("write", offsets, 0x80));
            assertEquals(WRITES, w2.count("wrote "), w2.toString());
            Clients.Result old = Clients.qemuIo(app.iscsiUrl(2), commands("read", offsets, 0x10));
            assertEquals(WRITES, old.count("read "), old.toString());
            assertFalse(old.mentions("Pattern verification failed"), old.toString());

            // read-write: the snapshot's host writes into the snapshot only
            long mine = offsets[0];
            Clients.Result ws = Clients.qemuIo(app.iscsiUrl(2), List.of("write -P 0x33 " + mine + " " + LEN,
                    "read -P 0x33 " + mine + " " + LEN));
            assertEquals(1, ws.count("wrote "), ws.toString());
            assertFalse(ws.mentions("Pattern verification failed"), ws.toString());
            Clients.Result lunNow = Clients.qemuIo(lun, commands("read", offsets, 0x80));
            assertEquals(WRITES, lunNow.count("read "), lunNow.toString());
            assertFalse(lunNow.mentions("Pattern verification failed"), lunNow.toString());

            // a snapclone: its BGCOPY job finishes, the clone becomes a LUN, presented and read over iSCSI
            ok("POST", "/api/luns/" + EmbeddedAppliance.FIRST_LUN + "/snapshots", "{\"name\":\"clone1\",\"snapclone\":true}", 201);
            JsonObject job = null;
            long end = System.nanoTime() + 15_000_000_000L;
            while (System.nanoTime() < end) {
                job = new JsonObject(ok("GET", "/api/jobs/bgcopy-clone1", null, 200).body());
                if (job.getString("state").equals("DONE")) {
                    break;
                }
                Thread.sleep(50);
            }
            assertEquals("DONE", job.getString("state"), job::encode);
            JsonArray luns = new JsonArray(ok("GET", "/api/luns", null, 200).body());
            assertTrue(luns.stream().anyMatch(x -> "clone1".equals(((JsonObject) x).getString("name"))), luns::encode);
            JsonArray snaps = new JsonArray(ok("GET", "/api/snapshots", null, 200).body());
            assertTrue(snaps.stream().noneMatch(x -> "clone1".equals(((JsonObject) x).getString("name"))), snaps::encode);
            ok("POST", "/api/luns/clone1/present", "{\"initiator\":\"*\",\"hostLun\":3}", 200);
            Clients.Result w3 = Clients.qemuIo(lun, commands("write", offsets, 0x50));   // the source moves on
            assertEquals(WRITES, w3.count("wrote "), w3.toString());
            Clients.Result clone = Clients.qemuIo(app.iscsiUrl(3), commands("read", offsets, 0x80));
            assertEquals(WRITES, clone.count("read "), clone.toString());
            assertFalse(clone.mentions("Pattern verification failed"), clone.toString());
        }
    }

    private static long[] offsets(Random rnd) {
        TreeSet<Long> chosen = new TreeSet<>();
        while (chosen.size() < WRITES) {
            chosen.add((long) rnd.nextInt((int) (LUN_BYTES / LEN)) * LEN);
        }
        return chosen.stream().mapToLong(Long::longValue).toArray();
    }

    private static List<String> commands(String verb, long[] offsets, int base) {
        List<String> c = new ArrayList<>();
        for (int i = 0; i < offsets.length; i++) {
            c.add(verb + " -P " + (base + i) + " " + offsets[i] + " " + LEN);
        }
        return c;
    }
}
