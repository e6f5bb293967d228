package io.evasan.mgmt;

import io.evasan.mgmt.impl.HostDescriptor;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static io.evasan.mgmt.ManagementApiTest.assertError;
import static io.evasan.mgmt.ManagementApiTest.obj;
import static io.evasan.mgmt.ManagementApiTest.ok;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The host registry: create/list/get/delete, the per-initiator presentation view inside each host and the
 * unregistered initiators, CHAP secrets handed to the target (a recording {@link InitiatorSecrets}) and
 * never returned, persistence across a restart, bad bodies (400 naming the field, nothing changed), 409, 401.
 * The real iSCSI enforcement is tested in the tests module (HostChapScenarioTest, with iscsi-inq).
 */
class HostApiTest {
    static final Map<String, InitiatorSecrets.Chap> target = new ConcurrentHashMap<>();
    static ApplianceFixture f;

    @BeforeAll
    static void up() throws Exception {
        f = new ApplianceFixture(c -> c.initiatorSecrets(new InitiatorSecrets() {
            @Override
            public void put(String initiator, Chap chap) {
                target.put(initiator, chap);
            }

            @Override
            public void remove(String initiator) {
                target.remove(initiator);
            }
        }));
    }

    @AfterAll
    static void down() throws Exception {
        if (f != null) {
            f.close();
        }
    }

    private static JsonObject hosts() {
        return obj(ok(f.call("GET", "/api/hosts", null), 200));
    }

    @Test
    void shouldRegisterHostsWithChapAndKeepThemOverARestart() throws Exception {
        ok(f.call("POST", "/api/luns", "{\"name\":\"hl\",\"sizeBytes\":4194304}"), 201);
        ok(f.call("POST", "/api/luns/hl/present", "{\"initiator\":\"iqn.2026-11.test:web1\",\"hostLun\":3}"), 200);
        ok(f.call("POST", "/api/luns/hl/present", "{\"initiator\":\"iqn.2026-11.test:stray\",\"hostLun\":4}"), 200);
        String body = "{\"name\":\"web\",\"initiators\":[\"iqn.2026-11.test:web1\",\"iqn.2026-11.test:web2\"],"
                + "\"chap\":{\"userName\":\"webuser\",\"secret\":\"web-secret-0123\",\"targetUserName\":\"tgt\","
                + "\"targetSecret\":\"tgt-secret-4567\"}}";
        var created = ok(f.call("POST", "/api/hosts", body), 201);
        assertEquals("/api/hosts/web", created.headers().firstValue("location").orElse(null));
        assertFalse(created.body().contains("web-secret-0123") || created.body().contains("tgt-secret-4567"), created.body());
        JsonObject h = obj(created);
        assertEquals("webuser", h.getJsonObject("chap").getString("userName"));
        assertTrue(h.getJsonObject("chap").getBoolean("mutual"));
        assertTrue(h.getJsonObject("chap").getBoolean("enforced"));
        JsonObject web1 = h.getJsonArray("initiators").getJsonObject(0);
        assertEquals("iqn.2026-11.test:web1", web1.getString("initiator"));
        assertEquals(3, web1.getJsonArray("luns").getJsonObject(0).getInteger("hostLun"));
        assertEquals("hl", web1.getJsonArray("luns").getJsonObject(0).getString("lun"));
        assertTrue(h.getJsonArray("initiators").getJsonObject(1).getJsonArray("luns").isEmpty());
        assertEquals(new InitiatorSecrets.Chap("webuser", "web-secret-0123", "tgt", "tgt-secret-4567"), target.get("iqn.2026-11.test:web2"));

        ok(f.call("POST", "/api/hosts", "{\"name\":\"db\",\"initiators\":[\"eui.0123456789ABCDEF\"]}"), 201);
        assertFalse(target.containsKey("eui.0123456789ABCDEF"), "no CHAP: nothing for the target");

        JsonObject all = hosts();
        assertEquals(List.of("db", "web"), all.getJsonArray("hosts").stream().map(o -> ((JsonObject) o).getString("name")).toList());
        JsonArray un = all.getJsonArray("unregistered");
        assertEquals(1, un.size(), un::encode);
        assertEquals("iqn.2026-11.test:stray", un.getJsonObject(0).getString("initiator"));
        String listed = ok(f.call("GET", "/api/hosts", null), 200).body() + ok(f.call("GET", "/api/hosts/web", null), 200).body();
        assertFalse(listed.contains("web-secret-0123") || listed.contains("tgt-secret-4567"), "secrets are write-only");

        target.clear();
        f.reopen();
        assertEquals("web-secret-0123", target.get("iqn.2026-11.test:web1").secret(), "secrets reach the target again at start");
        JsonObject again = obj(ok(f.call("GET", "/api/hosts/web", null), 200));
        assertEquals(2, again.getJsonArray("initiators").size());
        assertEquals("tgt", again.getJsonObject("chap").getString("targetUserName"));

        ok(f.call("DELETE", "/api/hosts/web", null), 204);
        assertFalse(target.containsKey("iqn.2026-11.test:web1"), "the target forgets the secrets");
        assertError(f.call("GET", "/api/hosts/web", null), 404, "name");
        assertError(f.call("DELETE", "/api/hosts/web", null), 404, "name");
        JsonArray left = hosts().getJsonArray("unregistered");
        assertEquals(1, left.size(), left::encode);
        assertEquals("iqn.2026-11.test:stray", left.getJsonObject(0).getString("initiator"), "web1 lost its presentation with the host");
        ok(f.call("DELETE", "/api/hosts/db", null), 204);
        ok(f.call("DELETE", "/api/luns/hl?force=true", null), 204);
    }

    @Test
    void shouldRefuseBadBodiesAndChangeNothing() {
        ok(f.call("POST", "/api/hosts", "{\"name\":\"own\",\"initiators\":[\"iqn.2026-11.test:owned\"]}"), 201);
        String ok = "\"initiators\":[\"iqn.2026-11.test:x1\"]";
        String[][] bad = {
            {"{" + ok + "}", "name"},
            {"{\"name\":\"bad name\"," + ok + "}", "name"},
            {"{\"name\":\"h\"}", "initiators"},
            {"{\"name\":\"h\",\"initiators\":[]}", "initiators"},
            {"{\"name\":\"h\",\"initiators\":\"iqn.2026-11.test:x1\"}", "initiators"},
            {"{\"name\":\"h\",\"initiators\":[\"iqn.2026-11.test:x1\",7]}", "initiators[1]"},
            {"{\"name\":\"h\",\"initiators\":[\"host1\"]}", "initiators[0]"},
            {"{\"name\":\"h\",\"initiators\":[\"*\"]}", "initiators[0]"},
            {"{\"name\":\"h\",\"initiators\":[\"iqn.2026-11.test:x1\",\"iqn.2026-11.TEST:X1\"]}", "initiators[1]"},
            {"{\"name\":\"h\"," + ok + ",\"chap\":\"secret\"}", "chap"},
            {"{\"name\":\"h\"," + ok + ",\"chap\":{\"secret\":\"0123456789abc\"}}", "chap.userName"},
            {"{\"name\":\"h\"," + ok + ",\"chap\":{\"userName\":\"u\"}}", "chap.secret"},
            {"{\"name\":\"h\"," + ok + ",\"chap\":{\"userName\":\"u\",\"secret\":\"short\"}}", "chap.secret"},
            {"{\"name\":\"h\"," + ok + ",\"chap\":{\"userName\":\"u\",\"secret\":\"with space 123\"}}", "chap.secret"},
            {"{\"name\":\"h\"," + ok + ",\"chap\":{\"userName\":\"u\",\"secret\":\"0123456789abc\",\"targetUserName\":\"t\"}}",
                "chap.targetSecret"},
            {"{\"name\":\"h\"," + ok + ",\"chap\":{\"userName\":\"u\",\"secret\":\"0123456789abc\",\"targetSecret\":\"0123456789abc\","
                + "\"targetUserName\":\"t\"}}", "chap.targetSecret"},
            {"{\"name\":\"h\"," + ok + ",\"chap\":{\"userName\":\"u\",\"secret\":\"0123456789abc\",\"pw\":1}}", "chap.pw"},
            {"{\"name\":\"h\"," + ok + ",\"color\":\"red\"}", "color"},
            {"nope", "body"},
        };
        for (String[] b : bad) {
            assertError(f.call("POST", "/api/hosts", b[0]), 400, b[1]);
        }
        assertError(f.call("POST", "/api/hosts", "{\"name\":\"own\"," + ok + "}"), 409, "name");
        assertError(f.call("POST", "/api/hosts", "{\"name\":\"h2\",\"initiators\":[\"iqn.2026-11.TEST:OWNED\"]}"), 409, "initiators");
        assertError(f.send("POST", "/api/hosts", "{\"name\":\"h3\"," + ok + "}", null), 401, "Authorization");
        assertError(f.send("GET", "/api/hosts/own", null, null), 401, "Authorization");
        assertError(f.send("DELETE", "/api/hosts/own", null, "Bearer wrong"), 401, "Authorization");
        assertEquals(List.of("own"), hosts().getJsonArray("hosts").stream().map(o -> ((JsonObject) o).getString("name")).toList());
        assertTrue(target.keySet().stream().noneMatch(k -> k.startsWith("iqn.2026-11.test:x")));
        ok(f.call("DELETE", "/api/hosts/own", null), 204);
    }

    private static String host(String name) {
        return ok(f.call("GET", "/api/hosts/" + name, null), 200).body();
    }

    private static HttpResponse<String> patch(String name, String body) {
        return f.call("PATCH", "/api/hosts/" + name, body);
    }

    private static boolean sees(String initiator, int hostLun) {
        return f.controller.presentationTable().lookup(initiator, hostLun) != null;
    }

    @Test
    void shouldEditInitiatorsAndChapSecretsMoveTheLunsAndKeepItOverARestart() throws Exception {
        String e1 = "iqn.2026-11.edit:e1";
        String e2 = "iqn.2026-11.edit:e2";
        String e3 = "iqn.2026-11.edit:e3";
        ok(f.call("POST", "/api/luns", "{\"name\":\"el\",\"sizeBytes\":4194304}"), 201);
        ok(f.call("POST", "/api/luns/el/present", "{\"initiator\":\"" + e1 + "\",\"hostLun\":2}"), 200);
        JsonObject created = obj(ok(f.call("POST", "/api/hosts", "{\"name\":\"ed\",\"initiators\":[\"" + e1 + "\"],"
                + "\"chap\":{\"userName\":\"edu\",\"secret\":\"first-secret-001\"}}"), 201));
        assertEquals(created.getLong("createdMillis"), created.getLong("updatedMillis"));

        // rotate the secret and add mutual CHAP: user name kept (merge), the target gets the new pair
        Thread.sleep(2);
        var r = ok(patch("ed", "{\"chap\":{\"secret\":\"second-secret-02\",\"targetUserName\":\"edt\","
                + "\"targetSecret\":\"target-secret-03\"}}"), 200);
        assertFalse(r.body().contains("second-secret-02") || r.body().contains("target-secret-03"), r.body());
        JsonObject h = obj(r);
        assertEquals("edu", h.getJsonObject("chap").getString("userName"));
        assertTrue(h.getJsonObject("chap").getBoolean("mutual"));
        assertEquals("edt", h.getJsonObject("chap").getString("targetUserName"));
        assertTrue(h.getLong("updatedMillis") > h.getLong("createdMillis"), h::encode);
        assertEquals(created.getLong("createdMillis"), h.getLong("createdMillis"));
        assertEquals(new InitiatorSecrets.Chap("edu", "second-secret-02", "edt", "target-secret-03"), target.get(e1));

        // add an initiator: it gets the secrets and the host's LUN at the same host LUN
        h = obj(ok(patch("ed", "{\"initiators\":[\"" + e1 + "\",\"" + e2 + "\"]}"), 200));
        assertEquals("el", h.getJsonArray("initiators").getJsonObject(1).getJsonArray("luns").getJsonObject(0).getString("lun"));
        assertEquals("second-secret-02", target.get(e2).secret());
        assertTrue(sees(e2, 2), "the added initiator sees the host's LUN");

        // replace both by e3: e1/e2 lose the LUN and the secrets, e3 gets them
        h = obj(ok(patch("ed", "{\"initiators\":[\"" + e3 + "\"],\"name\":\"ed\"}"), 200));
        assertEquals(1, h.getJsonArray("initiators").size());
        assertTrue(sees(e3, 2) && !sees(e1, 2) && !sees(e2, 2), "masking follows the initiators");
        assertFalse(target.containsKey(e1) || target.containsKey(e2), target::toString);
        assertEquals("target-secret-03", target.get(e3).targetSecret());
        assertTrue(hosts().getJsonArray("unregistered").stream().noneMatch(u -> ((JsonObject) u).getString("initiator").startsWith("iqn.2026-11.edit")),
                "the old initiators keep no presentations");

        // end mutual CHAP only (targetSecret: null drops the pair)
        h = obj(ok(patch("ed", "{\"chap\":{\"targetSecret\":null}}"), 200));
        assertFalse(h.getJsonObject("chap").getBoolean("mutual"));
        assertNull(h.getJsonObject("chap").getString("targetUserName"));
        assertEquals(new InitiatorSecrets.Chap("edu", "second-secret-02", null, null), target.get(e3));
        String before = host("ed");
        assertEquals(before, ok(patch("ed", "{}"), 200).body(), "an empty patch changes nothing");

        // persisted: a restart hands the edited secrets to the target again and keeps the masking
        target.clear();
        f.reopen();
        assertEquals(new InitiatorSecrets.Chap("edu", "second-secret-02", null, null), target.get(e3));
        assertFalse(target.containsKey(e1));
        assertEquals(before, host("ed"));
        assertTrue(sees(e3, 2) && !sees(e1, 2));

        // CHAP off, then on again with a new user (an edit can also add CHAP to a host without it)
        h = obj(ok(patch("ed", "{\"chap\":null}"), 200));
        assertNull(h.getValue("chap"));
        assertFalse(target.containsKey(e3));
        h = obj(ok(patch("ed", "{\"chap\":{\"userName\":\"new-user\",\"secret\":\"third-secret-003\"}}"), 200));
        assertEquals("new-user", h.getJsonObject("chap").getString("userName"));
        assertEquals("third-secret-003", target.get(e3).secret());
        ok(f.call("DELETE", "/api/hosts/ed", null), 204);
        ok(f.call("DELETE", "/api/luns/el", null), 204);
    }

    @Test
    void shouldRefuseBadEditsAndChangeNothing() {
        String m1 = "iqn.2026-11.edit:m1";
        ok(f.call("POST", "/api/luns", "{\"name\":\"bl\",\"sizeBytes\":4194304}"), 201);
        ok(f.call("POST", "/api/luns", "{\"name\":\"bl2\",\"sizeBytes\":4194304}"), 201);
        ok(f.call("POST", "/api/luns/bl/present", "{\"initiator\":\"" + m1 + "\",\"hostLun\":1}"), 200);
        ok(f.call("POST", "/api/luns/bl2/present", "{\"initiator\":\"iqn.2026-11.edit:busy\",\"hostLun\":1}"), 200);
        ok(f.call("POST", "/api/hosts", "{\"name\":\"mu\",\"initiators\":[\"" + m1 + "\"],\"chap\":{\"userName\":\"mu\","
                + "\"secret\":\"mu-secret-00001\",\"targetUserName\":\"mt\",\"targetSecret\":\"mt-secret-00002\"}}"), 201);
        ok(f.call("POST", "/api/hosts", "{\"name\":\"plain\",\"initiators\":[\"iqn.2026-11.edit:p1\"]}"), 201);
        ok(f.call("POST", "/api/hosts", "{\"name\":\"other\",\"initiators\":[\"iqn.2026-11.edit:o1\"]}"), 201);
        String hostsBefore = ok(f.call("GET", "/api/hosts", null), 200).body();
        Map<String, InitiatorSecrets.Chap> targetBefore = Map.copyOf(target);
        var presentationsBefore = f.controller.listPresentations();
        String[][] bad = {
            {"mu", "{\"color\":\"red\"}", "400", "color"},
            {"mu", "{\"name\":\"renamed\"}", "400", "name"},
            {"mu", "{\"initiators\":null}", "400", "initiators"},
            {"mu", "{\"initiators\":[]}", "400", "initiators"},
            {"mu", "{\"initiators\":\"" + m1 + "\"}", "400", "initiators"},
            {"mu", "{\"initiators\":[\"host1\"]}", "400", "initiators[0]"},
            {"mu", "{\"initiators\":[\"" + m1 + "\",7]}", "400", "initiators[1]"},
            {"mu", "{\"initiators\":[\"" + m1 + "\",\"IQN.2026-11.EDIT:M1\"]}", "400", "initiators[1]"},
            {"mu", "{\"initiators\":[\"iqn.2026-11.EDIT:O1\"]}", "409", "initiators"},
            {"mu", "{\"initiators\":[\"" + m1 + "\",\"iqn.2026-11.edit:busy\"]}", "409", "initiators"},
            {"mu", "{\"initiators\":[\"iqn.2026-11.edit:new\"],\"chap\":{\"secret\":\"short\"}}", "400", "chap.secret"},
            {"mu", "{\"chap\":\"secret\"}", "400", "chap"},
            {"mu", "{\"chap\":{\"secret\":\"short\"}}", "400", "chap.secret"},
            {"mu", "{\"chap\":{\"secret\":\"with space 123\"}}", "400", "chap.secret"},
            {"mu", "{\"chap\":{\"secret\":12345678901234}}", "400", "chap.secret"},
            {"mu", "{\"chap\":{\"secret\":null}}", "400", "chap.secret"},
            {"mu", "{\"chap\":{\"userName\":null}}", "400", "chap.userName"},
            {"mu", "{\"chap\":{\"secret\":\"mt-secret-00002\"}}", "400", "chap.secret"},
            {"mu", "{\"chap\":{\"targetSecret\":\"mu-secret-00001\"}}", "400", "chap.targetSecret"},
            {"mu", "{\"chap\":{\"targetSecret\":\"short\"}}", "400", "chap.targetSecret"},
            {"mu", "{\"chap\":{\"targetUserName\":\"x\",\"targetSecret\":null}}", "400", "chap.targetSecret"},
            {"mu", "{\"chap\":{\"pw\":1}}", "400", "chap.pw"},
            {"plain", "{\"chap\":{\"secret\":\"0123456789abc\"}}", "400", "chap.userName"},
            {"plain", "{\"chap\":{\"userName\":\"u\",\"secret\":\"0123456789abc\",\"targetUserName\":\"t\"}}", "400",
                "chap.targetSecret"},
            {"mu", "nope", "400", "body"},
            {"mu", "[1]", "400", "body"},
            {"nobody", "{\"chap\":null}", "404", "name"},
        };
        for (String[] b : bad) {
            assertError(patch(b[0], b[1]), Integer.parseInt(b[2]), b[3]);
        }
        assertError(f.send("PATCH", "/api/hosts/mu", "{\"chap\":null}", null), 401, "Authorization");
        assertError(f.send("PATCH", "/api/hosts/mu", "{\"chap\":null}", "Bearer wrong"), 401, "Authorization");
        assertEquals(hostsBefore, ok(f.call("GET", "/api/hosts", null), 200).body(), "hosts unchanged");
        assertEquals(targetBefore, Map.copyOf(target), "the target's secrets unchanged");
        assertEquals(presentationsBefore, f.controller.listPresentations(), "presentations unchanged");
        for (String n : List.of("mu", "plain", "other")) {
            ok(f.call("DELETE", "/api/hosts/" + n, null), 204);
        }
        ok(f.call("DELETE", "/api/luns/bl?force=true", null), 204);
        ok(f.call("DELETE", "/api/luns/bl2?force=true", null), 204);
    }

    @Test
    void shouldRoundTripAndRejectMalformedRecords() {
        HostDescriptor.Stored h = new HostDescriptor.Stored("n", List.of("iqn.2026-11.a:b", "eui.0123456789abcdef"),
                new HostDescriptor.Chap("u", "0123456789abcd", null, null), 42);
        byte[] r = HostDescriptor.encode(h);
        assertEquals(h, HostDescriptor.decode(r));
        HostDescriptor.Stored plain = new HostDescriptor.Stored("p", List.of("iqn.2026-11.a:c"), null, 7);
        assertEquals(plain, HostDescriptor.decode(HostDescriptor.encode(plain)));
        assertNull(HostDescriptor.decode(HostDescriptor.encode(plain)).chap());
        for (int i = 0; i < r.length; i++) {
            byte[] c = r.clone();
            c[i] ^= 0x10;
            assertThrows(io.evasan.error.StorageException.class, () -> HostDescriptor.decode(c), "flip at byte " + i);
        }
        assertThrows(io.evasan.error.StorageException.class, () -> HostDescriptor.decode(java.util.Arrays.copyOf(r, r.length - 1)));
        assertArrayEquals(r, HostDescriptor.encode(HostDescriptor.decode(r)));
        HostDescriptor.Stored edited = new HostDescriptor.Stored("n", List.of("iqn.2026-11.a:b"),
                new HostDescriptor.Chap("u", "0123456789abcd", "t", "abcdefghijklmn"), 42, 99);
        assertEquals(edited, HostDescriptor.decode(HostDescriptor.encode(edited)));
    }
}
