package io.evasan.mgmt.impl;

import io.evasan.mgmt.ApplianceFixture;
import io.evasan.mgmt.InitiatorSecrets;
import io.evasan.nsc.lun.Presentation;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Crash safety of the host registry's LUN masking. An edit (initiators added and removed) and a delete are cut
 * short at every step boundary in turn ({@link HostRoutes#stepHook} throws there, like a kill: nothing after it
 * runs), then the whole appliance is restarted over the same files (the target's secrets, which live in memory,
 * start empty). After each restart the controller's presentation table must equal exactly what the stored host
 * records say (every member initiator sees the host's LUNs, a removed or deleted initiator sees nothing of the
 * host's, unrelated presentations untouched), the target must hold exactly the members' secrets, and no stored
 * record may still carry a pending change. A change cut short without a restart is finished by the next request.
 */
class HostCrashSafetyTest {
    static final Map<String, InitiatorSecrets.Chap> target = new ConcurrentHashMap<>();
    static ApplianceFixture f;
    /** The expected presentation table: initiator -> host LUN -> LUN name (all of it, across scenarios). */
    static final Map<String, Map<Integer, String>> table = new TreeMap<>();
    /** The expected target secrets: initiator -> CHAP secret. */
    static final Map<String, String> secrets = new TreeMap<>();

    /** Thrown by the hook: the simulated crash. */
    static final class Crash extends RuntimeException {
        Crash(String step) {
            super("simulated crash at step '" + step + "'");
        }
    }

    @BeforeAll
    static void up() throws Exception {
        f = new ApplianceFixture("mgmt-crash-", c -> c.initiatorSecrets(new InitiatorSecrets() {
            @Override
            public void put(String initiator, Chap chap) {
                target.put(initiator, chap);
            }

            @Override
            public void remove(String initiator) {
                target.remove(initiator);
            }
        })) {
        };
        for (String lun : List.of("ca", "cb", "cx")) {
            ok(f.call("POST", "/api/luns", "{\"name\":\"" + lun + "\",\"sizeBytes\":4194304}"), 201);
        }
    }

    @AfterAll
    static void down() throws Exception {
        HostRoutes.stepHook = null;
        if (f != null) {
            f.close();
        }
    }

    private static HttpResponse<String> ok(HttpResponse<String> r, int status) {
        assertEquals(status, r.statusCode(), r::body);
        return r;
    }

    private static void present(String initiator, int hostLun, String lun) {
        ok(f.call("POST", "/api/luns/" + lun + "/present", "{\"initiator\":\"" + initiator + "\",\"hostLun\":" + hostLun + "}"), 200);
        table.computeIfAbsent(initiator, k -> new TreeMap<>()).put(hostLun, lun);
    }

    /** The host's LUNs of every scenario: ca at host LUN 0, cb at 1. */
    private static void hostLuns(String initiator) {
        table.computeIfAbsent(initiator, k -> new TreeMap<>()).putAll(Map.of(0, "ca", 1, "cb"));
    }

    private static void createHost(String name, String secret, String... initiators) {
        ok(f.call("POST", "/api/hosts", "{\"name\":\"" + name + "\",\"initiators\":" + new JsonArray(List.of((Object[]) initiators))
                + ",\"chap\":{\"userName\":\"" + name + "-user\",\"secret\":\"" + secret + "\"}}"), 201);
        for (String i : initiators) {
            secrets.put(i, secret);
        }
    }

    /**
     * Sends the request with the hook throwing at its {@code crashAt}-th step (-1: never); returns the steps
     * reached. A crash answers 500 and nothing after the step runs.
     */
    private static List<String> send(String method, String path, String body, int crashAt, int okStatus) {
        List<String> steps = new ArrayList<>();
        HostRoutes.stepHook = s -> {
            steps.add(s);
            if (steps.size() - 1 == crashAt) {
                throw new Crash(s);
            }
        };
        HttpResponse<String> r;
        try {
            r = f.call(method, path, body);
        } finally {
            HostRoutes.stepHook = null;
        }
        if (crashAt < 0) {
            ok(r, okStatus);
        } else {
            assertEquals(500, r.statusCode(), r::body);
            assertTrue(r.body().contains("simulated crash"), r::body);
            assertEquals(crashAt + 1, steps.size(), steps::toString);
        }
        return steps;
    }

    /** A restart as after a kill: the target's in-memory secrets are gone; the server finishes what is pending. */
    private static void restart() throws Exception {
        target.clear();
        f.reopen();
    }

    /** The presentation table, the target's secrets and the stored records against the model. */
    private static void check(String when) {
        Map<String, Map<Integer, String>> actual = new TreeMap<>();
        Map<Integer, String> names = new TreeMap<>();
        f.controller.listLuns().forEach(l -> names.put(l.id(), l.name()));
        for (Presentation p : f.controller.listPresentations()) {
            actual.computeIfAbsent(p.initiator(), k -> new TreeMap<>()).put(p.hostLun(), names.get(p.lunId()));
        }
        Map<String, Map<Integer, String>> expected = new TreeMap<>(table);
        expected.values().removeIf(Map::isEmpty);
        assertEquals(expected, actual, when + ": presentation table");
        Map<String, String> held = new TreeMap<>();
        target.forEach((i, c) -> held.put(i, c.secret()));
        assertEquals(secrets, held, when + ": the target's secrets");
        for (byte[] r : new RecordStore(f.cell().records(), HostRoutes.KIND).loadAll()) {
            HostDescriptor.Stored h = HostDescriptor.decode(r);
            assertNull(h.pending(), when + ": host " + h.name() + " still has a pending change");
            for (String i : h.initiators()) {   // the records and the table agree: members see the host's LUNs
                assertEquals("ca", expected.getOrDefault(i, Map.of()).get(0), when + ": member " + i);
                assertEquals("cb", expected.getOrDefault(i, Map.of()).get(1), when + ": member " + i);
            }
        }
    }

    private static List<String> members(String host) {
        HttpResponse<String> r = f.call("GET", "/api/hosts/" + host, null);
        if (r.statusCode() == 404) {
            return null;
        }
        ok(r, 200);
        return new JsonObject(r.body()).getJsonArray("initiators").stream()
                .map(o -> ((JsonObject) o).getString("initiator")).toList();
    }

    /**
     * Host {@code e<id>} with initiators a, b (both see ca at 0, cb at 1) becomes {b, c}, where c already sees cx
     * at host LUN 5 (kept). Crash at step {@code crashAt} (-1: none), restart, check.
     *
     * @return the steps the edit went through
     */
    private static List<String> edit(int id, int crashAt) throws Exception {
        String host = "e" + id;
        String a = "iqn.2026-11.crash:e" + id + "a";
        String b = "iqn.2026-11.crash:e" + id + "b";
        String c = "iqn.2026-11.crash:e" + id + "c";
        present(a, 0, "ca");
        present(a, 1, "cb");
        present(b, 0, "ca");
        present(b, 1, "cb");
        present(c, 5, "cx");
        createHost(host, "secret-" + host + "-0123456", a, b);
        check(host + " before the edit");

        List<String> steps = send("PATCH", "/api/hosts/" + host, "{\"initiators\":[\"" + b + "\",\"" + c + "\"]}", crashAt, 200);
        String at = crashAt < 0 ? "no crash" : "crash at step " + crashAt + " '" + steps.get(crashAt) + "'";
        restart();
        boolean recorded = crashAt < 0 || !steps.get(crashAt).equals("begin");
        if (recorded) {   // the record was stored: the edit is finished
            assertEquals(List.of(b, c), members(host), at);
            table.remove(a);
            hostLuns(c);
            secrets.remove(a);
            secrets.put(c, "secret-" + host + "-0123456");
        } else {
            assertEquals(List.of(a, b), members(host), at);
        }
        check(host + " after a restart, " + at);
        return steps;
    }

    /** Host {@code d<id>} with initiators a, b (both see ca at 0, cb at 1) is deleted; crash at {@code crashAt}, restart, check. */
    private static List<String> delete(int id, int crashAt) throws Exception {
        String host = "d" + id;
        String a = "iqn.2026-11.crash:d" + id + "a";
        String b = "naa.0123456789abcd" + String.format("%02x", id);
        present(a, 0, "ca");
        present(a, 1, "cb");
        present(b, 0, "ca");
        present(b, 1, "cb");
        createHost(host, "secret-" + host + "-0123456", a, b);
        check(host + " before the delete");

        List<String> steps = send("DELETE", "/api/hosts/" + host, null, crashAt, 204);
        String at = crashAt < 0 ? "no crash" : "crash at step " + crashAt + " '" + steps.get(crashAt) + "'";
        restart();
        if (crashAt < 0 || !steps.get(crashAt).equals("begin")) {
            assertNull(members(host), at + ": the host is gone");
            table.remove(a);
            table.remove(b);
            secrets.remove(a);
            secrets.remove(b);
        } else {
            assertEquals(List.of(a, b), members(host), at);
        }
        check(host + " after a restart, " + at);
        return steps;
    }

    @Test
    void shouldFinishAnEditCutShortAtAnyStepAtTheNextStart() throws Exception {
        List<String> steps = edit(0, -1);
        assertEquals(List.of("begin", "recorded", "secrets", "present iqn.2026-11.crash:e0c 0", "present iqn.2026-11.crash:e0c 1",
                "unpresent iqn.2026-11.crash:e0a 0", "unpresent iqn.2026-11.crash:e0a 1", "retired", "committed"), steps,
                "the added initiator is presented after the record names it and before the removed one is unpresented");
        for (int k = 0; k < steps.size(); k++) {
            edit(k + 1, k);
        }
    }

    @Test
    void shouldFinishADeleteCutShortAtAnyStepAtTheNextStart() throws Exception {
        List<String> steps = delete(0, -1);
        assertEquals(List.of("begin", "recorded", "secrets", "unpresent iqn.2026-11.crash:d0a 0", "unpresent iqn.2026-11.crash:d0a 1",
                "unpresent naa.0123456789abcd00 0", "unpresent naa.0123456789abcd00 1", "retired", "deleted"), steps);
        for (int k = 0; k < steps.size(); k++) {
            delete(k + 1, k);
        }
    }

    @Test
    void shouldFinishAChangeCutShortWithoutARestartAtTheNextRequest() throws Exception {
        // an edit stops after the added initiator got its first LUN: the record already names it
        String a = "iqn.2026-11.crash:la";
        String b = "iqn.2026-11.crash:lb";
        present(a, 0, "ca");
        present(a, 1, "cb");
        createHost("live", "secret-live-0123456", a);
        List<String> steps = send("PATCH", "/api/hosts/live", "{\"initiators\":[\"" + b + "\"]}", 3, 200);
        assertEquals("present " + b + " 0", steps.get(3));
        assertEquals(List.of(b), members("live"), "the host shows what its record says");
        // the next PATCH of that host finishes the recorded change first, then applies its own (a CHAP rotation)
        ok(f.call("PATCH", "/api/hosts/live", "{\"chap\":{\"secret\":\"rotated-live-0123\"}}"), 200);
        table.remove(a);
        hostLuns(b);
        secrets.remove(a);
        secrets.put(b, "rotated-live-0123");
        check("after the next PATCH");

        // a delete stops after unpresenting one LUN: the host is already gone from the API; the next request finishes it
        present(a, 0, "ca");
        present(a, 1, "cb");
        createHost("gone", "secret-gone-0123456", a);
        send("DELETE", "/api/hosts/gone", null, 3, 204);
        ok(f.call("GET", "/api/hosts/gone", null), 404);
        assertTrue(new JsonObject(ok(f.call("GET", "/api/hosts", null), 200).body()).getJsonArray("hosts").stream()
                .noneMatch(h -> ((JsonObject) h).getString("name").equals("gone")));
        present("iqn.2026-11.crash:new", 0, "ca");
        present("iqn.2026-11.crash:new", 1, "cb");
        ok(f.call("POST", "/api/hosts", "{\"name\":\"gone\",\"initiators\":[\"iqn.2026-11.crash:new\"]}"), 201);
        table.remove(a);
        secrets.remove(a);
        check("after the next create");
        assertEquals(List.of("iqn.2026-11.crash:new"), members("gone"));
        ok(f.call("DELETE", "/api/hosts/gone", null), 204);
        ok(f.call("DELETE", "/api/hosts/live", null), 204);
        table.remove(b);
        table.remove("iqn.2026-11.crash:new");
        secrets.remove(b);
        restart();
        check("after a restart");
    }
}
