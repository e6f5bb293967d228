package io.evasan.mgmt;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static io.evasan.mgmt.ManagementApiTest.assertError;
import static io.evasan.mgmt.ManagementApiTest.obj;
import static io.evasan.mgmt.ManagementApiTest.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * GET /api/iscsi/sessions (issue 17 item 5, like targetcli's {@code sessions detail}): the portals' live sessions with
 * their health (a silent initiator degraded), the newest refused logins from the event log, the initiator filter.
 */
class SessionsApiTest {
    static final String HOST = "iqn.2026-12.test:db1";
    static final List<IscsiSessions.Session> live = new CopyOnWriteArrayList<>();
    static ApplianceFixture f;

    @BeforeAll
    static void open() throws Exception {
        f = new ApplianceFixture(c -> c.iscsiSessions(() -> new ArrayList<>(live)));
    }

    @AfterAll
    static void close() throws Exception {
        f.close();
    }

    static IscsiSessions.Session session(String initiator, String isid, String nsc, String portal, long unansweredPing) {
        return new IscsiSessions.Session(nsc, nsc.equals("A") ? 1 : 3, initiator, isid, 7, "iqn.2026-01.io.evasan:cell",
                portal, "127.0.0.1:50000", 1_765_000_000_000L, initiator.equals(HOST), false, true, false, unansweredPing);
    }

    @Test
    void shouldListTheLiveSessionsWithTheirHealthAndTheRefusedLogins() throws Exception {
        live.clear();
        live.add(session(HOST, "400001370000", "A", "127.0.0.1:3260", 0));
        live.add(session("iqn.2026-12.test:web", "400001370001", "B", "127.0.0.1:3262", 1500));
        f.server.loginRefused("iqn.2026-12.test:intruder", "127.0.0.1:40000", 0x0201);
        JsonObject body = null;
        for (int i = 0; i < 100; i++) {   // the refusal is logged on the background timer's thread
            body = obj(ok(f.call("GET", "/api/iscsi/sessions", null), 200));
            if (!body.getJsonArray("failedLogins").isEmpty()) {
                break;
            }
            Thread.sleep(50);
        }
        JsonArray s = body.getJsonArray("sessions");
        assertEquals(2, s.size(), body::encodePrettily);
        JsonObject a = s.getJsonObject(0);
        assertEquals(HOST, a.getString("initiator"));
        assertEquals("400001370000", a.getString("isid"));
        assertEquals("A", a.getString("controller"));
        assertEquals("127.0.0.1:3260", a.getString("portal"));
        assertEquals("CHAP", a.getString("authentication"));
        assertEquals("CRC32C", a.getString("headerDigest"));
        assertEquals("None", a.getString("dataDigest"));
        assertEquals("2025-12-06T05:46:40Z", a.getString("loginTime"));
        assertEquals("OK", a.getJsonObject("health").getString("state"));
        JsonObject silent = s.getJsonObject(1);
        assertEquals("none", silent.getString("authentication"));
        assertEquals("DEGRADED", silent.getJsonObject("health").getString("state"));
        assertEquals(true, silent.getJsonObject("health").getString("reason").contains("unanswered for 1500 ms"));
        JsonObject refused = body.getJsonArray("failedLogins").getJsonObject(0);
        assertEquals("iqn.2026-12.test:intruder", refused.getString("initiator"));
        assertEquals(true, refused.getString("message").contains("authentication failure (CHAP)"), refused::encode);
        JsonObject health = obj(ok(f.call("GET", "/api/health?kind=session", null), 200));
        assertEquals("DEGRADED", health.getString("state"), "a silent initiator degrades the health");
        assertEquals(2, health.getJsonArray("objects").size());

        JsonObject one = obj(ok(f.call("GET", "/api/iscsi/sessions?initiator=" + HOST.toUpperCase(), null), 200));
        assertEquals(1, one.getJsonArray("sessions").size(), "the filter ignores case");
        assertEquals(0, one.getJsonArray("failedLogins").size(), "only that initiator's refusals");
        assertError(f.call("GET", "/api/iscsi/sessions?initiator=", null), 400, "initiator");
        live.clear();
        assertEquals(0, obj(ok(f.call("GET", "/api/iscsi/sessions", null), 200)).getJsonArray("sessions").size());
    }
}
