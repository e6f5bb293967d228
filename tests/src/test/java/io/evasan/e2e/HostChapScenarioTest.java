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
 * (loaded from the MLD) and no longer after the host is deleted. An edited host (PATCH): a rotated secret
 * replaces the old one at once, mutual CHAP switched on is checked by the initiator, and the host's LUN moves
 * with its initiators (the old initiator no longer sees it), also after a restart.
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
                EmbeddedAppliance.DEFAULT_IQN, RaidLevel.RAID5, 64L << 20, true, false, "127.0.0.1", 0)
                .withHeartbeatTimeout(EmbeddedAppliance.TEST_HEARTBEAT_TIMEOUT_MS);   // no failover from a loaded machine
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
            // each refused login is a WARNING event of the event log, naming the initiator (the portal's listener)
            String log = "";
            for (int i = 0; i < 250 && !log.contains("authentication failure (CHAP)"); i++) {
                Thread.sleep(20);
                log = api(app, token, "GET", "/api/event-log?severity=WARNING&object="
                        + java.net.URLEncoder.encode("initiator " + INITIATOR, java.nio.charset.StandardCharsets.UTF_8), null).body();
            }
            assertTrue(log.contains("iSCSI login refused from 127.0.0.1: authentication failure (CHAP)"), log);
            sessionsView(app, token);
        }
        try (EmbeddedAppliance app = EmbeddedAppliance.start(o)) {
            refused(inq(app, INITIATOR, null));
            loggedIn(inq(app, INITIATOR, "chapuser%" + SECRET));
            HttpResponse<String> deleted = api(app, token, "DELETE", "/api/hosts/secure", null);
            assertEquals(204, deleted.statusCode(), deleted.body());
            loggedIn(inq(app, INITIATOR, null));
        }
    }

    /**
     * A real initiator holding a session (qemu-io sleeping on an open LUN) shows in GET /api/iscsi/sessions with its
     * portal and controller, beside the refused CHAP logins; once it exits its session is gone.
     */
    private static void sessionsView(EmbeddedAppliance app, String token) throws Exception {
        Clients.require("qemu-io");
        Process holder = new ProcessBuilder("qemu-io", "-f", "raw", "-r", "-c", "sleep 6000", app.iscsiUrl(0))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            io.vertx.core.json.JsonObject body = null;
            for (int i = 0; i < 250; i++) {
                body = new io.vertx.core.json.JsonObject(api(app, token, "GET", "/api/iscsi/sessions", null).body());
                if (!body.getJsonArray("sessions").isEmpty()) {
                    break;
                }
                Thread.sleep(20);
            }
            io.vertx.core.json.JsonArray sessions = body.getJsonArray("sessions");
            assertEquals(1, sessions.size(), body.encodePrettily());
            io.vertx.core.json.JsonObject s = sessions.getJsonObject(0);
            assertTrue(s.getString("initiator").startsWith("iqn.2008-11.org.linux-kvm"), s.encode());   // qemu's default name
            assertEquals("A", s.getString("controller"), s.encode());
            assertEquals("127.0.0.1:" + app.iscsiUrl(0).split("[:/]+")[2], s.getString("portal"), s.encode());
            assertEquals("none", s.getString("authentication"), s.encode());
            assertEquals(EmbeddedAppliance.DEFAULT_IQN, s.getString("target"));
            assertEquals("OK", s.getJsonObject("health").getString("state"), s.encode());
            assertTrue(body.getJsonArray("failedLogins").encode().contains(INITIATOR), body.encodePrettily());
        } finally {
            holder.destroy();
            holder.waitFor();
        }
        io.vertx.core.json.JsonObject after = null;
        for (int i = 0; i < 250 && (after == null || !after.getJsonArray("sessions").isEmpty()); i++) {
            Thread.sleep(20);
            after = new io.vertx.core.json.JsonObject(api(app, token, "GET", "/api/iscsi/sessions", null).body());
        }
        assertTrue(after.getJsonArray("sessions").isEmpty(), "the session ends with the initiator: " + after);
    }

    private static Clients.Result inqLun(EmbeddedAppliance app, String initiator, String credentials, int lun, String targetCredentials)
            throws Exception {
        String url = app.iscsiUrl(lun).replace("iscsi://", "iscsi://" + (credentials == null ? "" : credentials + "@"));
        if (targetCredentials != null) {   // mutual CHAP: libiscsi checks the target's answer with these
            String[] t = targetCredentials.split("%", 2);
            url += "?target_user=" + t[0] + "&target_password=" + t[1];
        }
        return Clients.run(60, List.of("iscsi-inq", "-i", initiator, url));
    }

    /** The LUN is not visible to that initiator (the login may work; INQUIRY of the host LUN shows no disk). */
    private static void masked(Clients.Result r) {
        assertTrue(!r.mentions("Peripheral Device Type:DIRECT_ACCESS"), r.toString());
    }

    @Test
    void shouldRotateTheSecretsAndMoveTheLunsOfAnEditedHost() throws Exception {
        Clients.require("iscsi-inq");
        EmbeddedAppliance.Options o = new EmbeddedAppliance.Options(dir.resolve("data"), "127.0.0.1", 0,
                EmbeddedAppliance.DEFAULT_IQN, RaidLevel.RAID5, 64L << 20, true, false, "127.0.0.1", 0)
                .withHeartbeatTimeout(EmbeddedAppliance.TEST_HEARTBEAT_TIMEOUT_MS);   // no failover from a loaded machine
        String newSecret = "rotated-secret-0815";
        String mutual = "tgtuser%target-secret-0042";
        String token;
        try (EmbeddedAppliance app = EmbeddedAppliance.start(o)) {
            token = app.createdToken().orElseThrow();
            assertEquals(201, api(app, token, "POST", "/api/luns", "{\"name\":\"edited\",\"sizeBytes\":8388608}").statusCode());
            assertEquals(200, api(app, token, "POST", "/api/luns/edited/present",
                    "{\"initiator\":\"" + INITIATOR + "\",\"hostLun\":1}").statusCode());
            HttpResponse<String> created = api(app, token, "POST", "/api/hosts", "{\"name\":\"rot\",\"initiators\":[\""
                    + INITIATOR + "\"],\"chap\":{\"userName\":\"chapuser\",\"secret\":\"" + SECRET + "\"}}");
            assertEquals(201, created.statusCode(), created.body());
            loggedIn(inqLun(app, INITIATOR, "chapuser%" + SECRET, 1, null));

            // rotate the secret and switch mutual CHAP on: the old secret no longer logs in, the new one does
            HttpResponse<String> rotated = api(app, token, "PATCH", "/api/hosts/rot", "{\"chap\":{\"secret\":\"" + newSecret
                    + "\",\"targetUserName\":\"tgtuser\",\"targetSecret\":\"target-secret-0042\"}}");
            assertEquals(200, rotated.statusCode(), rotated.body());
            refused(inqLun(app, INITIATOR, "chapuser%" + SECRET, 1, null));
            refused(inqLun(app, INITIATOR, "chapuser%" + SECRET, 1, mutual));
            loggedIn(inqLun(app, INITIATOR, "chapuser%" + newSecret, 1, mutual));
            refused(inqLun(app, INITIATOR, "chapuser%" + newSecret, 1, "tgtuser%wrong-target-0000"));   // the target proves itself

            // move the host to another initiator: the LUN and the CHAP requirement go with it
            HttpResponse<String> moved = api(app, token, "PATCH", "/api/hosts/rot", "{\"initiators\":[\"" + OTHER + "\"]}");
            assertEquals(200, moved.statusCode(), moved.body());
            masked(inqLun(app, INITIATOR, null, 1, null));
            refused(inqLun(app, OTHER, null, 1, null));
            loggedIn(inqLun(app, OTHER, "chapuser%" + newSecret, 1, mutual));
        }
        try (EmbeddedAppliance app = EmbeddedAppliance.start(o)) {   // the edit was persisted
            refused(inqLun(app, OTHER, "chapuser%" + SECRET, 1, null));
            loggedIn(inqLun(app, OTHER, "chapuser%" + newSecret, 1, mutual));
            masked(inqLun(app, INITIATOR, null, 1, null));
            HttpResponse<String> off = api(app, token, "PATCH", "/api/hosts/rot", "{\"chap\":null}");
            assertEquals(200, off.statusCode(), off.body());
            loggedIn(inqLun(app, OTHER, null, 1, null));
        }
    }
}
