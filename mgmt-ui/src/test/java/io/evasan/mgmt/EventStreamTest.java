package io.evasan.mgmt;

import io.evasan.mgmt.impl.ApiRoutes;
import io.evasan.mgmt.impl.ApplianceMeters;
import io.evasan.mgmt.impl.EventStream;
import io.evasan.nsc.lun.SnapshotRecord;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** GET /api/events: token required, 'changed' after a LUN is created / a schedule or the backup log changes, 'jobs' while a BGCOPY runs, pings, the stream limit, cleanup on close. */
class EventStreamTest extends ApplianceTest {
    static final HttpClient HTTP = SseClient.client();



    @Test
    void shouldRefuseTheStreamWithoutToken() throws Exception {
        HttpResponse<String> none = f.send("GET", "/api/events", null, null);
        assertEquals(401, none.statusCode(), none.body());
        assertEquals("Authorization", new JsonObject(none.body()).getString("field"));
        HttpResponse<String> wrong = f.send("GET", "/api/events", null, "Bearer nope");
        assertEquals(401, wrong.statusCode(), wrong.body());
        HttpResponse<String> post = f.send("POST", "/api/events", "{}", null);
        assertEquals(401, post.statusCode(), post.body());
    }

    @Test
    void shouldAnswer405ForOtherMethods() {
        HttpResponse<String> r = f.call("POST", "/api/events", "{}");
        assertEquals(405, r.statusCode(), r.body());
        assertEquals("GET", r.headers().firstValue("allow").orElse(""));
        assertTrue(new JsonObject(r.body()).getString("error").contains("only GET"), r.body());
    }

    @Test
    void shouldSendChangedLunsAfterALunIsCreated() throws Exception {
        try (SseClient s = SseClient.open(HTTP, f.port, "Bearer " + f.token)) {
            assertEquals(200, s.response.statusCode());
            assertTrue(s.response.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
            assertEquals("no-store", s.response.headers().firstValue("cache-control").orElse(""));
            s.await("retry", 5000);
            s.await(":", 5000); // the opening comment: every change made from now on is reported
            HttpResponse<String> r = f.call("POST", "/api/luns", "{\"name\":\"evt1\",\"sizeBytes\":8388608}");
            assertEquals(201, r.statusCode(), r.body());
            SseClient.Frame changed = s.await("changed", "luns", 5000);
            JsonArray topics = new JsonObject(changed.data()).getJsonArray("topics");
            assertTrue(topics.contains("luns"), changed.data());
        }
        assertEquals(204, f.call("DELETE", "/api/luns/evt1", null).statusCode());
    }

    @Test
    void shouldSendChangedSchedulesAndBackupWhenTheyChange() throws Exception {
        assertEquals(201, f.call("POST", "/api/luns", "{\"name\":\"evt4\",\"sizeBytes\":8388608}").statusCode());
        try (SseClient s = SseClient.open(HTTP, f.port, "Bearer " + f.token)) {
            s.await(":", 5000);
            HttpResponse<String> r = f.call("POST", "/api/schedules",
                    "{\"name\":\"evt4-hourly\",\"lun\":\"evt4\",\"intervalSeconds\":3600,\"keep\":3}");
            assertEquals(201, r.statusCode(), r.body());
            JsonArray topics = new JsonObject(s.await("changed", "schedules", 5000).data()).getJsonArray("topics");
            assertTrue(topics.contains("schedules"), topics.encode());
            assertEquals(204, f.call("DELETE", "/api/schedules/evt4-hourly", null).statusCode());
            s.await("changed", "schedules", 5000);

            r = f.call("PUT", "/api/backup/log", "{\"name\":\"evt4-log\",\"capacityBytes\":8388608}");
            assertEquals(201, r.statusCode(), r.body());
            topics = new JsonObject(s.await("changed", "backup", 5000).data()).getJsonArray("topics");
            assertTrue(topics.contains("backup"), topics.encode());
            assertEquals(204, f.call("DELETE", "/api/backup/log", null).statusCode());
            s.await("changed", "backup", 5000);
        } finally {
            f.call("DELETE", "/api/schedules/evt4-hourly", null);
            f.call("DELETE", "/api/backup/log", null);
            f.call("DELETE", "/api/luns/evt4?force=true", null);
        }
    }

    @Test
    void shouldSendChangedHostsWhenAHostIsCreatedEditedOrDeleted() throws Exception {
        try (SseClient s = SseClient.open(HTTP, f.port, "Bearer " + f.token)) {
            s.await(":", 5000);
            HttpResponse<String> r = f.call("POST", "/api/hosts",
                    "{\"name\":\"evt5-host\",\"initiators\":[\"iqn.2026-11.io.evasan:evt5\"]}");
            assertEquals(201, r.statusCode(), r.body());
            JsonArray topics = new JsonObject(s.await("changed", "hosts", 5000).data()).getJsonArray("topics");
            assertTrue(topics.contains("hosts"), topics.encode());
            Thread.sleep(5);   // updatedMillis moves on
            r = f.call("PATCH", "/api/hosts/evt5-host", "{\"chap\":{\"userName\":\"u5\",\"secret\":\"evt5-secret-0001\"}}");
            assertEquals(200, r.statusCode(), r.body());
            s.await("changed", "hosts", 5000);
            Thread.sleep(5);
            r = f.call("PATCH", "/api/hosts/evt5-host", "{\"chap\":{\"secret\":\"evt5-secret-0002\"}}");
            assertEquals(200, r.statusCode(), r.body());
            s.await("changed", "hosts", 5000);   // a rotated secret shows nowhere but in updatedMillis: still an event
            assertEquals(204, f.call("DELETE", "/api/hosts/evt5-host", null).statusCode());
            s.await("changed", "hosts", 5000);
        } finally {
            f.call("DELETE", "/api/hosts/evt5-host", null);
        }
    }

    /** An EventStream with short periods (tick 50 ms, jobs 100 ms, ping 150 ms) on its own Vert.x, no token check. */
    record Fast(Vertx vertx, EventStream events, int port) implements AutoCloseable {
        static Fast start(int maxStreams) throws Exception {
            Vertx v = Vertx.vertx();
            ApiRoutes api = new ApiRoutes(f.cell(), new ManagementConfig().records(f.cell().records()),
                    new ApplianceMeters(f.registry, f.cell()));
            EventStream events = new EventStream(v, f.cell(), api, maxStreams, 50, 100, 150);
            Router router = Router.router(v);
            events.register(router);
            HttpServer server = v.createHttpServer().requestHandler(router).listen(0, "127.0.0.1")
                    .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            return new Fast(v, events, server.actualPort());
        }

        @Override
        public void close() throws Exception {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void shouldSendChangedSnapshotsAndLunsWhenALunWithSnapshotsIsDeleted() throws Exception {
        assertEquals(201, f.call("POST", "/api/luns", "{\"name\":\"evt3\",\"sizeBytes\":8388608}").statusCode());
        assertEquals(201, f.call("POST", "/api/luns/evt3/snapshots", "{\"name\":\"evt3-s\"}").statusCode());
        try (Fast fast = Fast.start(4); SseClient s = SseClient.open(HTTP, fast.port(), null)) {
            s.await(":", 5000);
            assertEquals(204, f.call("DELETE", "/api/luns/evt3?force=true", null).statusCode());
            JsonArray topics = new JsonObject(s.await("changed", "luns", 5000).data()).getJsonArray("topics");
            assertTrue(topics.contains("snapshots") && topics.contains("luns"), topics.encode());
        }
    }

    @Test
    void shouldSendJobsWhileABgcopyRunsAndChangedWhenItMoves() throws Exception {
        HttpResponse<String> r = f.call("POST", "/api/luns", "{\"name\":\"evt2\",\"sizeBytes\":16777216}");
        assertEquals(201, r.statusCode(), r.body());
        int lunId = new JsonObject(r.body()).getInteger("id");
        byte[] data = new byte[4096];
        for (int seg = 0; seg < 8; seg++) {
            f.controller.cache().write(0, lunId, (long) seg << 20, ByteBuffer.wrap(data), true);
        }
        try (Fast fast = Fast.start(4); SseClient s = SseClient.open(HTTP, fast.port(), null)) {
            s.await("retry", 5000);
            r = f.call("POST", "/api/luns/evt2/snapshots", "{\"name\":\"evt2-clone\",\"snapclone\":true}");
            assertEquals(201, r.statusCode(), r.body());
            // the fixture has no BGCOPY thread: the copy stays RUNNING at 8 of 16 segments until stepped
            SseClient.Frame jobs = s.await("jobs", "evt2-clone", 5000);
            JsonObject body = new JsonObject(jobs.data());
            JsonObject job = find(body.getJsonArray("jobs"), "bgcopy-evt2-clone");
            assertEquals("bgcopy", job.getString("type"));
            assertEquals("RUNNING", job.getString("state"));
            assertEquals(16, job.getLong("total"));
            assertEquals(8, job.getLong("done"), job.encode());
            assertEquals("evt2", body.getJsonArray("bgcopies").getJsonObject(0).getString("lun"));
            long disk = f.controller.listSnapshots().stream().filter(x -> x.name().equals("evt2-clone"))
                    .mapToLong(SnapshotRecord::disk).findFirst().orElseThrow();
            assertEquals(2, f.trees.bgcopyStep(disk, 2));
            s.await("changed", "jobs", 5000);
            SseClient.Frame moved = s.await("jobs", "\"done\":10", 5000);
            assertEquals("RUNNING", find(new JsonObject(moved.data()).getJsonArray("jobs"), "bgcopy-evt2-clone").getString("state"));
            int mark = s.seen().size();
            while (f.trees.bgcopyStep(disk, 16) > 0) {
                // copy the rest; the clone leaves the tree
            }
            SseClient.Frame done = s.await("jobs", "\"state\":\"DONE\"", 5000);
            JsonObject last = find(new JsonObject(done.data()).getJsonArray("jobs"), "bgcopy-evt2-clone");
            assertEquals(16, last.getLong("done"));
            assertEquals(100.0, last.getDouble("percent"));
            // the finished snapclone is promoted to a LUN: 'changed' names luns and snapshots
            java.util.Set<String> topics = new java.util.HashSet<>();
            for (SseClient.Frame x : s.seen().subList(mark, s.seen().size())) {
                if (x.event().equals("changed")) {
                    new JsonObject(x.data()).getJsonArray("topics").forEach(t -> topics.add((String) t));
                }
            }
            long until = System.currentTimeMillis() + 5000;
            while (!(topics.contains("luns") && topics.contains("snapshots")) && System.currentTimeMillis() < until) {
                SseClient.Frame c = s.await("changed", Math.max(1, until - System.currentTimeMillis()));
                new JsonObject(c.data()).getJsonArray("topics").forEach(t -> topics.add((String) t));
            }
            assertTrue(topics.contains("luns") && topics.contains("snapshots"), topics::toString);
            assertEquals("PRIMARY", f.controller.lun("evt2-clone").kind().name());
        } finally {
            f.call("DELETE", "/api/luns/evt2?force=true", null);
            f.call("DELETE", "/api/luns/evt2-clone?force=true", null);   // the finished snapclone became a LUN
        }
    }

    private static JsonObject find(JsonArray jobs, String id) {
        for (Object o : jobs) {
            if (((JsonObject) o).getString("id").equals(id)) {
                return (JsonObject) o;
            }
        }
        throw new AssertionError("no job " + id + " in " + jobs.encode());
    }

    @Test
    void shouldPingBoundTheStreamsAndForgetClosedOnes() throws Exception {
        try (Fast fast = Fast.start(2)) {
            EventStream events = fast.events();
            int port = fast.port();
            SseClient a = SseClient.open(HTTP, port, null);
            SseClient b = SseClient.open(HTTP, port, null);
            assertEquals("ping", a.await(":", "ping", 3000).data());
            b.await(":", "ping", 3000);
            assertEquals(2, events.openStreams());

            HttpResponse<String> third = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/events")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(503, third.statusCode(), third.body());
            assertTrue(new JsonObject(third.body()).getString("error").contains("at most 2"), third.body());
            assertEquals("5", third.headers().firstValue("retry-after").orElse(""));

            a.close();
            long end = System.currentTimeMillis() + 5000;
            while (events.openStreams() > 1 && System.currentTimeMillis() < end) {
                Thread.sleep(20); // the next ping write notices the closed connection at the latest
            }
            assertEquals(1, events.openStreams(), "a closed stream is forgotten");
            try (SseClient c = SseClient.open(HTTP, port, null)) {
                assertEquals(200, c.response.statusCode());
                c.await(":", "ping", 3000);
            }
            b.close();
        }
    }

    @Test
    void shouldEndOpenStreamsWhenTheServerStops() throws Exception {
        ManagementServer other = new ManagementServer(new ManagementConfig().port(0).records(f.cell().records()),
                f.cell(), f.registry);
        int port = other.start();
        try (SseClient s = SseClient.open(HTTP, port, "Bearer " + f.token)) {
            assertEquals(200, s.response.statusCode());
            s.await("retry", 5000);
            other.stop();
            s.awaitEnd(10_000);
        } finally {
            other.stop();
        }
    }

    @Test
    void shouldKeepTheJobsBodyShapeOfGetJobs() throws Exception {
        HttpResponse<String> r = f.call("GET", "/api/jobs", null);
        JsonObject get = new JsonObject(r.body());
        Vertx v = Vertx.vertx();
        try {
            ApiRoutes api = new ApiRoutes(f.cell(), new ManagementConfig().records(f.cell().records()),
                    new ApplianceMeters(f.registry, f.cell()));
            EventStream events = new EventStream(v, f.cell(), api);
            // the events' body carries every field GET /api/jobs has, plus the contract's "jobs" list
            JsonObject body = events.jobsBody();
            for (String k : get.fieldNames()) {
                assertTrue(body.containsKey(k), "jobs event lacks '" + k + "' of GET /api/jobs: " + body.encode());
            }
            assertTrue(body.getValue("jobs") instanceof JsonArray);
            assertEquals(get.getJsonArray("groups").size(), body.getJsonArray("groups").size());
        } finally {
            v.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }
}
