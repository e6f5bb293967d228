package io.evasan.mgmt.cli;

import io.evasan.mgmt.ManagementConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.evasan.mgmt.cli.CliFixture.Run;
import static io.evasan.mgmt.cli.SanctlCommandsTest.ok;
import static io.evasan.mgmt.cli.SanctlCommandsTest.okArray;
import static io.evasan.mgmt.cli.SanctlCommandsTest.okObject;
import static io.evasan.mgmt.cli.SanctlCommandsTest.refused;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * sanctl commands for the endpoints of /work/status/CONTRACT-mgmt.md (LUN resize, jobs with ids, schedules,
 * the seed-003 backup engine, controller state, TLS), which the api branch adds, and the live events
 * (GET /api/events) the console branch adds. Each test first checks
 * that the appliance serves its routes (the OpenAPI document lists exactly the served routes) and is
 * skipped when it does not; run with {@code -Dsanctl.requireContract=true} to make a missing route a failure:
 * {@code mvn -B -pl mgmt-ui test -Dtest=SanctlContractCommandsTest -Dsanctl.requireContract=true}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SanctlContractCommandsTest extends CliTest {
    private static final boolean REQUIRED = Boolean.getBoolean("sanctl.requireContract");
    private JsonObject paths;

    /** Runs after {@link CliTest}'s, so the appliance is up. */
    @BeforeAll
    void readPaths() {
        paths = okObject(f.sanctl("openapi")).getJsonObject("paths");
    }

    /** Skips (or with -Dsanctl.requireContract=true fails) unless the appliance serves METHOD path ({x} = any parameter name). */
    private void need(String method, String path) {
        String want = path.replaceAll("\\{[^}]*}", "{}");
        boolean served = paths.fieldNames().stream().anyMatch(p -> p.replaceAll("\\{[^}]*}", "{}").equals(want)
                && paths.getJsonObject(p).containsKey(method.toLowerCase(java.util.Locale.ROOT)));
        missing(served, method + " " + path);
    }

    private static void missing(boolean present, String what) {
        if (!present) {
            String msg = "needs the api branch (CONTRACT-mgmt.md): " + what + " is not in this build";
            if (REQUIRED) {
                fail(msg);
            }
            Assumptions.abort(msg);
        }
    }

    /** True when GET {@code path} answers other than 404 (the stream is closed at once). */
    private boolean streams(String path) throws Exception {
        java.net.http.HttpResponse<java.io.InputStream> r = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(f.url() + path)).header("Authorization", "Bearer " + f.token)
                        .timeout(java.time.Duration.ofSeconds(30)).build(), java.net.http.HttpResponse.BodyHandlers.ofInputStream());
        r.body().close();
        return r.statusCode() != 404;
    }

    private void write(String lun, long offset, byte value, int length) {
        byte[] data = new byte[length];
        Arrays.fill(data, value);
        f.controller.cache().write(0, f.controller.lun(lun).id(), offset, ByteBuffer.wrap(data), true);
    }

    private int group() {
        return f.pool.diskGroups().get(0).id();
    }

    @Test
    void shouldResizeALun() {
        need("PATCH", "/api/luns/{name}");
        ok(f.sanctl("lun", "create", "rs", "--size", "4M"));
        String out = ok(f.sanctl("lun", "resize", "rs", "--size", "8M"));
        assertTrue(out.startsWith("resized LUN rs\nname:          rs\n"), out);
        assertTrue(out.contains("size:          8 MiB (8388608 bytes)\n"), out);
        assertEquals(8L << 20, f.controller.lun("rs").sizeBytes());
        JsonObject json = okObject(f.sanctl("lun", "resize", "rs", "--size", "2M", "--json"));
        assertEquals(2L << 20, json.getLong("sizeBytes"));
        assertEquals("2 MiB", new TableText(ok(f.sanctl("lun", "list")), "NAME").row("NAME", "rs").get("SIZE"));
        refused(f.sanctl("lun", "resize", "rs", "--size", "1000"), 400, "sizeBytes");
        refused(f.sanctl("lun", "resize", "rs", "--size", "3T"), 400, "sizeBytes");
        refused(f.sanctl("lun", "resize", "nosuch", "--size", "4M"), 404, "name");
        SanctlCommandsTest.usage(f.sanctl("lun", "resize", "rs"), "--size");
        assertEquals(2L << 20, f.controller.lun("rs").sizeBytes(), "refused resizes changed nothing");
        ok(f.sanctl("lun", "delete", "rs"));
    }

    @Test
    void shouldListShowPauseResumeAndCancelJobs() {
        need("GET", "/api/jobs/{id}");
        need("POST", "/api/jobs/{id}/pause");
        need("POST", "/api/jobs/{id}/resume");
        need("POST", "/api/jobs/{id}/cancel");
        ok(f.sanctl("lun", "create", "jb", "--size", "8M"));
        for (long off = 0; off < (8 << 20); off += 1 << 20) {
            write("jb", off, (byte) 3, 64 * 1024);
        }
        JsonObject clone = okObject(f.sanctl("snapshot", "create", "jb", "jb-c", "--snapclone", "--json"));
        long total = clone.getJsonObject("bgcopy").getLong("total");
        f.trees.bgcopyStep(clone.getLong("disk"), 2);

        Map<String, String> row = new TableText(ok(f.sanctl("job", "list")), "ID").row("ID", "bgcopy-jb-c");
        assertEquals("bgcopy", row.get("TYPE"));
        assertEquals("RUNNING", row.get("STATE"));
        assertTrue(row.get("PROGRESS").startsWith("2/" + total + " segments ("), row::toString);
        JsonArray jobs = okObject(f.sanctl("job", "list", "--json")).getJsonArray("jobs");
        assertTrue(jobs.stream().anyMatch(j -> "bgcopy-jb-c".equals(((JsonObject) j).getString("id"))), jobs::encode);

        String show = ok(f.sanctl("job", "show", "bgcopy-jb-c"));
        assertTrue(show.startsWith("id:        bgcopy-jb-c\ntype:      bgcopy\n"), show);
        assertTrue(show.contains("\nstate:     RUNNING\nprogress:  2/" + total + " segments ("), show);
        assertEquals(2, okObject(f.sanctl("job", "show", "bgcopy-jb-c", "--json")).getLong("done"));

        String paused = ok(f.sanctl("job", "pause", "bgcopy-jb-c"));
        assertTrue(paused.startsWith("paused job bgcopy-jb-c\n") && paused.contains("\nstate:     PAUSED\n"), paused);
        assertEquals("RUNNING", okObject(f.sanctl("job", "resume", "bgcopy-jb-c", "--json")).getString("state"));
        String cancelled = ok(f.sanctl("job", "cancel", "bgcopy-jb-c"));
        assertTrue(cancelled.startsWith("cancelled job bgcopy-jb-c\n") && cancelled.contains("\nstate:     CANCELLED\n"), cancelled);
        assertEquals(0, okArray(f.sanctl("snapshot", "list", "--lun", "jb", "--json")).size(),
                "cancelling the copy deleted the unfinished snapclone");

        refused(f.sanctl("job", "show", "nosuch"), 404, null);
        refused(f.sanctl("job", "pause", "nosuch"), 404, null);
        ok(f.sanctl("drive", "fail", "5"));
        ok(f.sanctl("drive", "restore", "5", "--wait"));
        assertEquals("rebuild", okObject(f.sanctl("job", "show", "rebuild-" + group(), "--json")).getString("type"));
        refused(f.sanctl("job", "pause", "rebuild-" + group()), 409, null);
        refused(f.sanctl("job", "cancel", "rebuild-" + group()), 409, null);
        ok(f.sanctl("lun", "delete", "jb"));
    }

    @Test
    void shouldCreateListShowAndDeleteSchedules() {
        need("GET", "/api/schedules");
        need("POST", "/api/schedules");
        need("GET", "/api/schedules/{name}");
        need("DELETE", "/api/schedules/{name}");
        ok(f.sanctl("lun", "create", "sc", "--size", "4M"));
        String out = ok(f.sanctl("schedule", "create", "sc-hourly", "--lun", "sc", "--every", "1h", "--keep", "3"));
        assertTrue(out.startsWith("created schedule sc-hourly\nname:           sc-hourly\nlun:            sc\n"
                + "every:          1h\nkeep:           3\nkind:           snapshot\n"), out);
        JsonObject clones = okObject(f.sanctl("schedule", "create", "sc-daily", "--lun", "sc", "--every", "1d", "--keep", "7",
                "--snapclone", "--json"));
        assertEquals(86400, clones.getLong("intervalSeconds"));
        assertTrue(clones.getBoolean("snapclone"));

        TableText t = new TableText(ok(f.sanctl("schedule", "list")), "NAME");
        assertEquals(List.of("NAME", "LUN", "EVERY", "KEEP", "KIND", "NEXT RUN", "LAST RUN", "LAST SNAPSHOT", "LAST ERROR"), List.of(t.headers));
        Map<String, String> r = t.row("NAME", "sc-hourly");
        assertEquals("sc", r.get("LUN"));
        assertEquals("1h", r.get("EVERY"));
        assertEquals("3", r.get("KEEP"));
        assertEquals("snapshot", r.get("KIND"));
        assertEquals("-", r.get("LAST RUN"));
        assertEquals("snapclone", t.row("NAME", "sc-daily").get("KIND"));
        assertEquals(2, okArray(f.sanctl("schedule", "list", "--json")).size());
        assertEquals(3, okObject(f.sanctl("schedule", "show", "sc-hourly", "--json")).getInteger("keep"));
        assertTrue(ok(f.sanctl("schedule", "show", "sc-daily")).contains("every:          1d\n"));

        refused(f.sanctl("schedule", "create", "sc-hourly", "--lun", "sc", "--every", "1h", "--keep", "3"), 409, "name");
        refused(f.sanctl("schedule", "create", "sc-x", "--lun", "sc", "--every", "1h", "--keep", "0"), 400, "keep");
        refused(f.sanctl("schedule", "create", "sc-x", "--lun", "sc", "--every", "30s", "--keep", "3"), 400, "intervalSeconds");
        refused(f.sanctl("schedule", "create", "sc-x", "--lun", "nosuch", "--every", "1h", "--keep", "3"), 404, "lun");
        SanctlCommandsTest.usage(f.sanctl("schedule", "create", "sc-x", "--lun", "sc", "--every", "hourly", "--keep", "3"), "--every");
        refused(f.sanctl("schedule", "show", "sc-x"), 404, null);

        // edits: a time of day, the count kept; bad input refused, nothing changed
        need("PATCH", "/api/schedules/{name}");
        String upd = ok(f.sanctl("schedule", "update", "sc-daily", "--at", "02:30", "--keep", "5"));
        assertTrue(upd.startsWith("updated schedule sc-daily\n") && upd.contains("every:          1d at 02:30 UTC\n")
                && upd.contains("keep:           5\n"), upd);
        assertEquals("1d at 02:30", new TableText(ok(f.sanctl("schedule", "list")), "NAME").row("NAME", "sc-daily").get("EVERY"));
        refused(f.sanctl("schedule", "update", "sc-daily", "--at", "25:00"), 400, "at");
        SanctlCommandsTest.usage(f.sanctl("schedule", "update", "sc-daily"), "nothing to change");
        SanctlCommandsTest.usage(f.sanctl("schedule", "update", "sc-daily", "--at", "01:00", "--no-at"), "exclude each other");
        assertEquals("02:30", okObject(f.sanctl("schedule", "show", "sc-daily", "--json")).getString("at"));
        assertTrue(okObject(f.sanctl("schedule", "update", "sc-daily", "--no-at", "--json")).getValue("at") == null);
        JsonObject daily = okObject(f.sanctl("schedule", "create", "sc-at", "--lun", "sc", "--every", "1d", "--keep", "1",
                "--at", "23:59", "--json"));
        assertEquals("23:59", daily.getString("at"));
        assertEquals("deleted schedule sc-at\n", ok(f.sanctl("schedule", "delete", "sc-at")));

        assertEquals("deleted schedule sc-hourly\n", ok(f.sanctl("schedule", "delete", "sc-hourly")));
        assertEquals("", ok(f.sanctl("schedule", "delete", "sc-daily", "--json")));
        refused(f.sanctl("schedule", "delete", "sc-hourly"), 404, null);
        assertEquals("no snapshot schedules\n", ok(f.sanctl("schedule", "list")));
        ok(f.sanctl("lun", "delete", "sc"));
    }

    @Test
    void shouldRunABackupSessionWithALopCopy() throws InterruptedException {
        need("GET", "/api/backup");
        need("PUT", "/api/backup/log");
        need("DELETE", "/api/backup/log");
        need("POST", "/api/backup/initiate");
        need("POST", "/api/backup/terminate");
        need("POST", "/api/backup/copy");
        ok(f.sanctl("lun", "create", "bk", "--size", "8M"));
        ok(f.sanctl("lun", "create", "bk-dst", "--size", "8M"));
        write("bk", 0, (byte) 9, 64 * 1024);

        String idle = ok(f.sanctl("backup", "show"));
        assertTrue(idle.startsWith("state:"), idle);
        assertTrue(okObject(f.sanctl("backup", "show", "--json")).containsKey("state"));
        refused(f.sanctl("backup", "initiate", "bk"), 409, null); // no log LUN yet

        assertTrue(ok(f.sanctl("backup", "define-log", "bk-log", "--capacity", "16M")).startsWith("defined log LUN bk-log\n"));
        refused(f.sanctl("backup", "define-log", "bk-log2", "--capacity", "16M"), 409, null);
        String started = ok(f.sanctl("backup", "initiate", "bk"));
        assertTrue(started.startsWith("backup of LUN bk initiated\nstate:"), started);
        assertTrue(started.contains("\nprimary:"), started);
        refused(f.sanctl("backup", "initiate", "bk"), 409, null);
        refused(f.sanctl("backup", "remove-log"), 409, null);

        String copy = ok(f.sanctl("backup", "copy", "bk-dst"));
        assertTrue(copy.startsWith("LOP copy to bk-dst started; progress: sanctl job show lopcopy\n"), copy);
        JsonObject job = null;
        for (int i = 0; i < 600; i++) {
            job = okObject(f.sanctl("job", "show", "lopcopy", "--json"));
            if (!Set.of("RUNNING", "PAUSED").contains(job.getString("state"))) {
                break;
            }
            Thread.sleep(100);
        }
        assertEquals("lopcopy", job.getString("type"), job::encode);
        assertEquals("DONE", job.getString("state"), job::encode);

        assertEquals("INACTIVE", okObject(f.sanctl("backup", "show", "--json")).getString("state"),
                "a completed copy ends the backup (seed 003)");
        refused(f.sanctl("backup", "terminate"), 409, null);

        // a second backup, ended by hand
        ok(f.sanctl("backup", "initiate", "bk"));
        String ended = ok(f.sanctl("backup", "terminate"));
        assertTrue(ended.startsWith("backup terminated\nstate:") && ended.contains("INACTIVE"), ended);
        assertEquals("removed the log LUN\n", ok(f.sanctl("backup", "remove-log")));
        refused(f.sanctl("backup", "remove-log"), 404, null);
        ok(f.sanctl("lun", "delete", "bk"));
        ok(f.sanctl("lun", "delete", "bk-dst"));
    }

    @Test
    void shouldShowTheControllerStateAndDestageRate() {
        JsonObject c = okArray(f.sanctl("controller", "list", "--json")).getJsonObject(0);
        missing(c.containsKey("state") && c.containsKey("destagedBytesPerSecond"), "GET /api/controllers fields state, destagedBytesPerSecond");
        Map<String, String> r = new TableText(ok(f.sanctl("controller", "list")), "NAME").row("NAME", "nsc0");
        assertEquals("ONLINE", r.get("STATE"));
        assertTrue(r.get("DESTAGE RATE").endsWith("/s"), r::toString);
    }

    @Test
    void shouldTalkToTheApplianceOverTls() throws Exception {
        Method tls;
        try {
            tls = ManagementConfig.class.getMethod("tls", Path.class, Path.class);
        } catch (NoSuchMethodException e) {
            missing(false, "ManagementConfig.tls(Path certPem, Path keyPem)");
            return;
        }
        TestCerts cert = TestCerts.shared("appliance");
        TestCerts other = TestCerts.shared("stranger");
        f.stopServer();
        try {
            f.startServer(cfg -> {
                try {
                    return (ManagementConfig) tls.invoke(cfg, cert.certPem, cert.keyPem);
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException(e);
                }
            });
            f.scheme = "https";
            JsonObject pool = okObject(f.sanctl("pool", "show", "--json", "--cacert", cert.certPem.toString()));
            assertEquals(f.pool.id().toString(), pool.getString("id"));
            new TableText(ok(f.sanctl("--cacert", cert.certPem.toString(), "drive", "list")), "GROUP").row("DRIVE", "0");
            ok(f.sanctl("--insecure", "host", "list"));
            for (Run r : new Run[]{f.sanctl("pool", "show"), f.sanctl("--cacert", other.certPem.toString(), "pool", "show")}) {
                assertEquals(3, r.exit(), r::toString);
                assertTrue(r.err().startsWith("sanctl: cannot reach " + f.url() + ": TLS handshake failed: "), r::toString);
            }
            Run plain = CliFixture.sanctl(Map.of("SANCTL_URL", "http://127.0.0.1:" + f.port, "SANCTL_TOKEN", f.token), "pool", "show");
            assertFalse(plain.exit() == 0, plain::toString);
        } finally {
            f.stopServer();
            f.scheme = "http";
            f.startServer(cfg -> cfg);
        }
    }

    @Test
    void shouldFollowTheLiveEvents() throws Exception {
        need("GET", "/api/events");
        missing(streams("/api/events"), "GET /api/events (listed in the OpenAPI document but not served)");
        for (boolean json : new boolean[]{true, false}) {
            java.util.concurrent.CompletableFuture<Run> events = java.util.concurrent.CompletableFuture.supplyAsync(
                    () -> json ? f.sanctl("events", "--count", "1", "--json") : f.sanctl("events", "-n", "1"));
            // a change made after the stream opened is reported; create LUNs until the event arrives
            for (int i = 0; i < 30 && !events.isDone(); i++) {
                Thread.sleep(300);
                ok(f.sanctl("lun", "create", "ev-" + json + "-" + i, "--size", "1M"));
            }
            Run r = events.get(20, java.util.concurrent.TimeUnit.SECONDS);
            String out = ok(r);
            assertEquals(1, out.lines().count(), out);
            if (json) {
                JsonObject e = new JsonObject(out);
                assertEquals("changed", e.getString("event"), out);
                assertTrue(e.getJsonObject("data").getJsonArray("topics").contains("luns"), out);
            } else {
                assertTrue(out.matches("\\d\\d:\\d\\d:\\d\\dZ changed: .*luns.*\n"), out);
            }
        }
        for (JsonObject l : SanctlCommandsTest.okArray(f.sanctl("lun", "list", "--json")).stream().map(JsonObject.class::cast).toList()) {
            if (l.getString("name").startsWith("ev-")) {
                ok(f.sanctl("lun", "delete", l.getString("name")));
            }
        }
    }
}
