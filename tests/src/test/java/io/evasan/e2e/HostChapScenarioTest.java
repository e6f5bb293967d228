package io.evasan.e2e;

import io.evasan.deploy.EmbeddedAppliance;
import io.evasan.raid.rstore.RaidLevel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hosts registered over the management API with CHAP are enforced by the running iSCSI target, checked
 * with the real libiscsi initiator {@code iscsi-inq}: with the secret it logs in, without it or with a
 * wrong one it is refused; other initiators are unaffected; the secret is enforced again after a restart
 * (loaded from the MLD) and no longer after the host is deleted.
 */
class HostChapScenarioTest {
    static final String INITIATOR = "iqn.2026-11.io.evasan:chap-host";
    static final String OTHER = "iqn.2026-11.io.evasan:open-host";
    static final String SECRET = "chap-secret-4711";

    @TempDir
    Path dir;

    private static HttpResponse<String> api(EmbeddedAppliance app, String token, String method, String path, String body)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.mgmtPort() + path))
                .header("Authorization", "Bearer " + token)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static Clients.Result inq(EmbeddedAppliance app, String initiator, String credentials) throws Exception {
        String url = app.iscsiUrl(0).replace("iscsi://", "iscsi://" + (credentials == null ? "" : credentials + "@"));
        return Clients.run(60, List.of("iscsi-inq", "-i", initiator, url));
    }

    private static void loggedIn(Clients.Result r) {
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.mentions("Peripheral Device Type:DIRECT_ACCESS"), r.toString());
    }

    private static void refused(Clients.Result r) {
        assertNotEquals(0, r.exitCode(), r.toString());
        assertTrue(!r.mentions("Peripheral Device Type"), r.toString());
    }

    @Test
    void shouldEnforceTheChapSecretOfARegisteredHost() throws Exception {
        Clients.require("iscsi-inq");
        EmbeddedAppliance.Options o = new EmbeddedAppliance.Options(dir.resolve("data"), "127.0.0.1", 0,
                EmbeddedAppliance.DEFAULT_IQN, RaidLevel.RAID5, 64L << 20, true, false, "127.0.0.1", 0);
        String token;
        try (EmbeddedAppliance app = EmbeddedAppliance.start(o)) {
            token = app.createdToken().orElseThrow();
            loggedIn(inq(app, INITIATOR, null));   // not registered yet: no CHAP
            HttpResponse<String> created = api(app, token, "POST", "/api/hosts", "{\"name\":\"secure\",\"initiators\":[\""
                    + INITIATOR + "\"],\"chap\":{\"userName\":\"chapuser\",\"secret\":\"" + SECRET + "\"}}");
            assertEquals(201, created.statusCode(), created.body());
            assertTrue(!created.body().contains(SECRET), created.body());

            loggedIn(inq(app, INITIATOR, "chapuser%" + SECRET));
            refused(inq(app, INITIATOR, null));
            refused(inq(app, INITIATOR, "chapuser%wrong-secret-0000"));
            refused(inq(app, INITIATOR, "otheruser%" + SECRET));
            loggedIn(inq(app, OTHER, null));
        }
        try (EmbeddedAppliance app = EmbeddedAppliance.start(o)) {
            refused(inq(app, INITIATOR, null));
            loggedIn(inq(app, INITIATOR, "chapuser%" + SECRET));
            HttpResponse<String> deleted = api(app, token, "DELETE", "/api/hosts/secure", null);
            assertEquals(204, deleted.statusCode(), deleted.body());
            loggedIn(inq(app, INITIATOR, null));
        }
    }
}
