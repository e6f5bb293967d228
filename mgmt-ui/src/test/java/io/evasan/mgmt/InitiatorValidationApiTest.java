package io.evasan.mgmt;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static io.evasan.mgmt.ManagementApiTest.assertError;
import static io.evasan.mgmt.ManagementApiTest.obj;
import static io.evasan.mgmt.ManagementApiTest.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Initiator names (issue 11, point 8): every route that takes one from a client — LUN and snapshot present, host
 * create and update — accepts only RFC 7143 §4.2.7 / RFC 3722 names (present also {@code *}), answers 400 naming
 * the field otherwise, and changes nothing.
 */
class InitiatorValidationApiTest extends ApplianceTest {
    /** Names an older, looser check let through: punctuation, a space, a bad date, bad hex lengths, no domain. */
    static final String[] BAD = {
        "bad initiator!", "iqn.2026-11.test:bad!", "iqn.2026-11.test:two words", "iqn.2026-11.test:a_b",
        "iqn.2026-11.test:a/b", "iqn.2026-11.test:x@y", "iqn.2026-13.test:x", "iqn.2026-00.test:x", "iqn.2026-11.:x",
        "iqn.2026-11.-test:x", "iqn.26-11.test:x", "eui.0123456789ABCDE", "eui.0123456789ABCDEF0", "naa.0123456789abcdef01",
        "naa.0123456789abcdeg", "iqn.2026-11.test:" + "a".repeat(210), "iqn.2026-11.test:tab\tx", "x", "*x",
    };
    static final String[] GOOD = {
        "iqn.1993-08.org.debian:01:8b7a6c5d4e3f", "iqn.2026-11.test", "iqn.2026-11.io.evasan:host-1.a:b",
        "eui.0123456789ABCDEF", "naa.0123456789abcdef", "naa.0123456789ABCDEF0123456789abcdef", "iqn.2026-11.test:grüße",
    };

    private static String pres(String initiator, int hostLun) {
        return new JsonObject().put("initiator", initiator).put("hostLun", hostLun).encode();
    }

    @Test
    void shouldRefuseToPresentABadInitiatorNamingTheFieldAndChangeNothing() {
        ok(f.call("POST", "/api/luns", "{\"name\":\"iv1\",\"sizeBytes\":4194304}"), 201);
        ok(f.call("POST", "/api/luns/iv1/snapshots", "{\"name\":\"iv1-s\"}"), 201);
        for (String bad : BAD) {
            assertError(f.call("POST", "/api/luns/iv1/present", pres(bad, 3)), 400, "initiator");
            assertError(f.call("POST", "/api/snapshots/iv1-s/present", pres(bad, 4)), 400, "initiator");
        }
        JsonObject e = obj(f.call("POST", "/api/luns/iv1/present", pres("bad initiator!", 3)));
        assertTrue(e.getString("error").contains("'bad initiator!'") && e.getString("error").contains("iqn."), e::encode);
        assertEquals(new JsonArray(), obj(f.call("GET", "/api/luns/iv1", null)).getJsonArray("presentations"), "nothing presented");
        assertTrue(f.controller.listPresentations().stream().noneMatch(p -> p.hostLun() == 3 || p.hostLun() == 4));
        int lun = 10;
        for (String good : GOOD) {
            ok(f.call("POST", "/api/luns/iv1/present", pres(good, lun)), 200);
            ok(f.call("POST", "/api/luns/iv1/unpresent", pres(good, lun)), 200);
            lun++;
        }
        ok(f.call("POST", "/api/snapshots/iv1-s/present", pres("*", 20)), 200);   // every initiator
        ok(f.call("POST", "/api/snapshots/iv1-s/unpresent", pres("*", 20)), 200);
        ok(f.call("DELETE", "/api/luns/iv1?force=true", null), 204);
    }

    @Test
    void shouldRefuseHostInitiatorsThatAreNotIscsiNamesOnCreateAndUpdate() {
        for (String bad : BAD) {
            String body = new JsonObject().put("name", "ivh").put("initiators", new JsonArray().add("iqn.2026-11.test:ok").add(bad)).encode();
            assertError(f.call("POST", "/api/hosts", body), 400, "initiators[1]");
        }
        assertError(f.call("POST", "/api/hosts", "{\"name\":\"ivh\",\"initiators\":[\"*\"]}"), 400, "initiators[0]");
        assertError(f.call("GET", "/api/hosts/ivh", null), 404, "name");
        JsonArray all = new JsonArray();
        for (String good : GOOD) {
            all.add(good);
        }
        ok(f.call("POST", "/api/hosts", new JsonObject().put("name", "ivh").put("initiators", all).encode()), 201);
        for (String bad : BAD) {
            assertError(f.call("PATCH", "/api/hosts/ivh", new JsonObject().put("initiators", new JsonArray().add(bad)).encode()),
                    400, "initiators[0]");
        }
        assertEquals(GOOD.length, obj(f.call("GET", "/api/hosts/ivh", null)).getJsonArray("initiators").size(), "unchanged");
        ok(f.call("DELETE", "/api/hosts/ivh", null), 204);
    }
}
