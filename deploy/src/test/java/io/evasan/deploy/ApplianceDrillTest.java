package io.evasan.deploy;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A drill with its verifier on the real embedded appliance, over its management API: a kill of NSC B with the
 * verifier (the scratch LUN written through the cell's router while B dies and A takes over) reports every
 * acknowledged write verified and none lost, and the drill history lists it again after the appliance restarts.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ApplianceDrillTest {
    @TempDir
    Path dir;

    private static HttpResponse<String> call(EmbeddedAppliance app, String token, String method, String path, String body)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.mgmtPort() + path))
                .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(120));
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void shouldVerifyAKillDrillAndListItAfterARestart() throws Exception {
        EmbeddedAppliance.Options o = EmbeddedAppliance.Options.forTest(dir);   // a 5 s heartbeat timeout: no spurious failover on a loaded machine
        String token;
        JsonArray before;
        try (EmbeddedAppliance app = EmbeddedAppliance.start(o)) {
            token = app.createdToken().orElseThrow();
            HttpResponse<String> r = call(app, token, "POST", "/api/controllers/B/drills",
                    "{\"kind\":\"kill\",\"force\":true,\"verify\":true}");
            assertEquals(200, r.statusCode(), r.body());
            JsonObject d = new JsonObject(r.body());
            System.out.println("verified kill drill on the embedded appliance: " + d.encode());
            assertTrue(d.getLong("writesAcknowledged") >= 128, r.body());
            assertEquals(d.getLong("writesAcknowledged"), d.getLong("writesVerified"), r.body());
            assertEquals(0L, d.getLong("lostWrites"), r.body());
            assertTrue(d.getLong("takeoverMillis") >= 0, r.body());
            before = new JsonArray(call(app, token, "GET", "/api/drills", null).body());
            assertEquals(1, before.size());
            JsonArray luns = new JsonArray(call(app, token, "GET", "/api/luns", null).body());
            assertTrue(luns.stream().noneMatch(l -> ((JsonObject) l).getString("name").startsWith("drill-scratch-")),
                    "the scratch LUN is deleted: " + luns.encode());
        }
        try (EmbeddedAppliance app = EmbeddedAppliance.start(o)) {
            JsonArray after = new JsonArray(call(app, token, "GET", "/api/drills", null).body());
            assertEquals(before, after);
        }
    }
}
