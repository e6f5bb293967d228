package io.evasan.mgmt;

import io.evasan.raid.rsd.Rsd;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static io.evasan.mgmt.ManagementApiTest.assertError;
import static io.evasan.mgmt.ManagementApiTest.obj;
import static io.evasan.mgmt.ManagementApiTest.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end over REST: fail both drives of a RAID1 pair under a written LUN, GET /api/health and the LUN's own GET
 * say FAILED "data lost" with the lost LBA ranges, /metrics carries the state gauge, the pool's drives show their
 * health; the events are logged and survive a restart; restore both and everything is OK again. A refused iSCSI
 * login is a WARNING event. A webhook receiver on loopback gets the DATA_LOST alert (on the retry after a 503).
 */
class HealthApiTest {
    static ApplianceFixture f;

    @BeforeAll
    static void up() throws Exception {
        f = new ApplianceFixture("health-", c -> c);
    }

    @AfterAll
    static void down() throws Exception {
        if (f != null) {
            f.close();
        }
    }

    private static JsonObject of(JsonObject health, String kind, String name) {
        for (Object o : health.getJsonArray("objects")) {
            JsonObject j = (JsonObject) o;
            if (j.getString("kind").equals(kind) && j.getString("name").equals(name)) {
                return j;
            }
        }
        throw new AssertionError("no " + kind + " " + name + " in " + health.encodePrettily());
    }

    /** The newest event of {@code object} whose message matches {@code regex}, once the timer logged it (10 s at most); null if none. */
    private static JsonObject awaitEvent(String object, String regex) throws InterruptedException {
        for (int i = 0; i < 500; i++) {
            JsonArray es = obj(ok(f.call("GET", "/api/event-log?object=" + object, null), 200)).getJsonArray("events");
            for (Object o : es) {
                if (((JsonObject) o).getString("message").matches(regex)) {
                    return (JsonObject) o;
                }
            }
            Thread.sleep(20);
        }
        return null;
    }

    @Test
    void shouldRefuseBadEventLogParametersNamingThem() {
        assertError(f.call("GET", "/api/event-log?severity=loud", null), 400, "severity");
        assertError(f.call("GET", "/api/event-log?since=yesterday", null), 400, "since");
        assertError(f.call("GET", "/api/event-log?limit=0", null), 400, "limit");
        assertError(f.call("GET", "/api/event-log?colour=red", null), 400, "colour");
        ok(f.call("GET", "/api/event-log?since=1h&until=2099-01-01T00:00:00Z&limit=5", null), 200);
    }

    @Test
    void shouldLogARefusedIscsiLoginAsAWarning() throws Exception {
        f.server.loginRefused("iqn.2026-01.test:intruder", "10.0.0.9", 0x0201);
        JsonObject e = awaitEvent("initiator%20iqn.2026-01.test%3Aintruder",
                "iSCSI login refused from 10\\.0\\.0\\.9: authentication failure \\(CHAP\\)");
        assertTrue(e != null, () -> f.call("GET", "/api/event-log", null).body());
        assertEquals("WARNING", e.getString("severity"));
        assertEquals("login", e.getString("category"));
    }

    @Test
    void shouldRefuseAnUnknownKindNamingTheField() {
        assertError(f.call("GET", "/api/health?kind=spindle", null), 400, "kind");
    }

    @Test
    void shouldReportLostLbaRangesWhenBothDrivesOfAPairFailAndOkAfterRestore() throws Exception {
        // a webhook receiver on loopback: refuses the first delivery (503), takes the retry
        java.util.List<String> received = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.concurrent.atomic.AtomicInteger attempts = new java.util.concurrent.atomic.AtomicInteger();
        com.sun.net.httpserver.HttpServer hook = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        hook.createContext("/hook", x -> {
            String body = new String(x.getRequestBody().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            boolean first = attempts.incrementAndGet() == 1;
            if (!first) {
                received.add(body);
            }
            x.sendResponseHeaders(first ? 503 : 204, -1);
            x.close();
        });
        hook.start();
        String url = "http://127.0.0.1:" + hook.getAddress().getPort() + "/hook";
        assertError(f.call("PUT", "/api/alerts", "{\"rules\":[\"DATA_LOST\",\"LOUD\"],\"webhooks\":[]}"), 400, "rules");
        assertError(f.call("PUT", "/api/alerts", "{\"rules\":[],\"webhooks\":[\"ftp://x/y\"]}"), 400, "webhooks");
        ok(f.call("PUT", "/api/alerts", "{\"rules\":[\"DATA_LOST\"],\"webhooks\":[\"" + url + "\"]}"), 200);

        ok(f.call("POST", "/api/luns", "{\"name\":\"mirror\",\"sizeBytes\":8388608,\"raid\":\"RAID1\"}"), 201);
        int id = f.controller.lun("mirror").id();
        for (long at = 0; at < 4 << 20; at += 1 << 20) {
            f.controller.writeCache().write(0, id, at, ByteBuffer.wrap(new byte[1 << 20]), false);
            f.controller.writeCache().synchronize(id, 0, 0);
        }
        JsonObject h = obj(ok(f.call("GET", "/api/health", null), 200));
        assertEquals("OK", h.getString("state"), h::encodePrettily);

        long disk = f.controller.lun("mirror").disk();
        Rsd r = f.pool.diskGroups().get(0).rsd(f.trees.rstoreIds(disk).first());
        ok(f.call("POST", "/api/pool/groups/0/drives/" + r.drive(0) + "/fail", null), 200);
        ok(f.call("POST", "/api/pool/groups/0/drives/" + r.drive(1) + "/fail", null), 200);

        h = obj(ok(f.call("GET", "/api/health?kind=lun&kind=drive", null), 200));
        assertEquals("FAILED", h.getString("state"));
        JsonObject lun = of(h, "lun", "mirror");
        assertEquals("FAILED", lun.getString("state"));
        assertTrue(lun.getString("reason").startsWith("data lost"), lun::encode);
        JsonArray ranges = lun.getJsonArray("lostRanges");
        assertTrue(!ranges.isEmpty() && lun.getLong("lostBlocks") > 0, lun::encode);
        assertEquals("FAILED", of(h, "drive", "dg0 drive " + r.drive(0)).getString("state"));
        assertTrue(h.getJsonArray("objects").stream().allMatch(o -> ((JsonObject) o).getString("kind").matches("lun|drive")));

        JsonObject lost = awaitEvent("lun%20mirror", "(OK|DEGRADED) -> FAILED: data lost.*");   // DEGRADED if a tick saw one drive down
        assertTrue(lost != null, () -> f.call("GET", "/api/event-log", null).body());
        assertEquals("CRITICAL", lost.getString("severity"));
        JsonObject audit = awaitEvent("pool%2Fgroups%2F0%2Fdrives%2F" + r.drive(1) + "%2Ffail",
                "POST /api/pool/groups/0/drives/" + r.drive(1) + "/fail -> 200");
        assertTrue(audit != null && audit.getString("actor").matches("token [0-9a-f]{8} from 127\\.0\\.0\\.1"),
                () -> String.valueOf(audit));

        for (int i = 0; i < 500 && received.isEmpty(); i++) {
            Thread.sleep(20);
        }
        hook.stop(0);
        assertEquals(1, received.size(), received::toString);
        JsonObject alert = new JsonObject(received.get(0));
        assertEquals(new JsonArray().add("DATA_LOST"), alert.getJsonArray("alert"));
        assertEquals("lun mirror", alert.getJsonObject("event").getString("object"));
        assertEquals(2, attempts.get(), "delivered on the retry after a 503");

        JsonObject own = obj(ok(f.call("GET", "/api/luns/mirror", null), 200)).getJsonObject("health");
        assertEquals(lun, own);
        JsonObject pool = obj(ok(f.call("GET", "/api/pool", null), 200));
        assertEquals("FAILED", pool.getJsonArray("groups").getJsonObject(0).getJsonObject("health").getString("state"));
        String metrics = f.call("GET", "/metrics", null).body();
        assertTrue(metrics.contains("evasan_health_state{id=\"" + id + "\",kind=\"lun\",name=\"mirror\"} 2.0"), metrics);
        assertTrue(metrics.contains("evasan_health_lost_blocks{id=\"" + id + "\",kind=\"lun\",name=\"mirror\"} "
                + (double) lun.getLong("lostBlocks")), metrics);

        ok(f.call("POST", "/api/pool/groups/0/drives/" + r.drive(0) + "/restore", null), 202);
        ok(f.call("POST", "/api/pool/groups/0/drives/" + r.drive(1) + "/restore", null), 202);
        while (obj(ok(f.call("GET", "/api/pool", null), 200)).getJsonArray("groups").getJsonObject(0)
                .getBoolean("rebuildInProgress")) {
            Thread.sleep(20);
        }
        h = obj(ok(f.call("GET", "/api/health", null), 200));
        assertEquals("OK", h.getString("state"), h::encodePrettily);
        assertTrue(f.call("GET", "/metrics", null).body()
                .contains("evasan_health_state{id=\"" + id + "\",kind=\"lun\",name=\"mirror\"} 0.0"));
        assertTrue(awaitEvent("lun%20mirror", "(FAILED|DEGRADED) -> OK") != null, () -> f.call("GET", "/api/event-log", null).body());
        f.reopen();
        JsonObject after = obj(ok(f.call("GET", "/api/event-log?object=lun%20mirror&severity=critical", null), 200));
        assertEquals(lost.getLong("seq"), after.getJsonArray("events").getJsonObject(0).getLong("seq"),
                "the event log survives a restart");
        assertEquals(new JsonArray().add(url), obj(ok(f.call("GET", "/api/alerts", null), 200)).getJsonArray("webhooks"),
                "the alert configuration survives a restart");
    }
}
