package io.evasan.mgmt;

import io.evasan.mgmt.impl.ScheduleRoutes;
import io.evasan.nsc.lun.SnapshotRecord;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static io.evasan.mgmt.ManagementApiTest.arr;
import static io.evasan.mgmt.ManagementApiTest.assertError;
import static io.evasan.mgmt.ManagementApiTest.obj;
import static io.evasan.mgmt.ManagementApiTest.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Snapshot schedules over a manual clock (the test moves time and runs the due schedules itself; the
 * background timer ticks every hour here so it never runs one): create, bad input, runs through the
 * cache marker, retention, a restart over the same MLD, delete.
 */
class ScheduleApiTest {
    static final long T0 = 1_800_000_000_000L;   // 2027-01-15T08:00:00Z
    static final AtomicLong now = new AtomicLong(T0);
    static ApplianceFixture f;

    @BeforeAll
    static void up() throws Exception {
        f = new ApplianceFixture(c -> c.clock(now::get).backgroundTickMillis(3_600_000));
    }

    @AfterAll
    static void down() throws Exception {
        if (f != null) {
            f.close();
        }
    }

    private static List<String> snapshotsOf(String prefix) {
        return f.controller.listSnapshots().stream().map(SnapshotRecord::name).filter(n -> n.startsWith(prefix)).sorted().toList();
    }

    @Test
    void shouldRunKeepAndSurviveARestart() throws Exception {
        ok(f.call("POST", "/api/luns", "{\"name\":\"sl\",\"sizeBytes\":4194304}"), 201);
        int id = f.controller.lun("sl").id();
        JsonObject s = obj(ok(f.call("POST", "/api/schedules",
                "{\"name\":\"hourly\",\"lun\":\"sl\",\"intervalSeconds\":3600,\"keep\":2}"), 201));
        assertEquals(T0 + 3_600_000, s.getLong("nextRunMillis"));
        assertNull(s.getValue("lastRunMillis"));
        assertEquals(false, s.getBoolean("snapclone"));
        assertEquals(0, f.server.runSchedulesNow(), "not due yet");

        byte[] a = new byte[4096];
        for (int run = 1; run <= 3; run++) {
            java.util.Arrays.fill(a, (byte) run);
            f.controller.cache().write(0, id, 0, ByteBuffer.wrap(a), false);   // acknowledged before the run
            now.addAndGet(3_600_000);
            assertEquals(1, f.server.runSchedulesNow());
        }
        List<String> snaps = snapshotsOf("hourly-");
        assertEquals(List.of("hourly-20270115-100000", "hourly-20270115-110000"), snaps, "keep 2: the oldest was deleted");
        SnapshotRecord last = f.controller.listSnapshots().stream().filter(x -> x.name().equals("hourly-20270115-110000")).findFirst().orElseThrow();
        byte[] got = new byte[4096];
        f.trees.read(last.disk(), 0, got, 0, got.length);
        assertEquals(3, got[0], "the snapshot holds exactly the writes acknowledged before the run");
        JsonObject g = obj(ok(f.call("GET", "/api/schedules/hourly", null), 200));
        assertEquals("hourly-20270115-110000", g.getString("lastSnapshot"));
        assertEquals(T0 + 3 * 3_600_000, g.getLong("lastRunMillis"));
        assertNull(g.getValue("lastError"));

        // restart over the same MLD: the schedule and its phase are back
        f.server.stop();
        f.startServer();
        assertTrue(f.mapping.mld().keys(ScheduleRoutes.KIND).contains("hourly"));
        JsonObject again = obj(ok(f.call("GET", "/api/schedules/hourly", null), 200));
        assertEquals(T0 + 4 * 3_600_000, again.getLong("nextRunMillis"));
        assertEquals("hourly-20270115-110000", again.getString("lastSnapshot"));
        now.addAndGet(3_600_000);
        assertEquals(1, f.server.runSchedulesNow());
        assertEquals(List.of("hourly-20270115-110000", "hourly-20270115-120000"), snapshotsOf("hourly-"));

        ok(f.call("DELETE", "/api/schedules/hourly", null), 204);
        assertError(f.call("GET", "/api/schedules/hourly", null), 404, "name");
        assertError(f.call("DELETE", "/api/schedules/hourly", null), 404, "name");
        now.addAndGet(3_600_000);
        assertEquals(0, f.server.runSchedulesNow());
        assertEquals(2, snapshotsOf("hourly-").size(), "a deleted schedule's snapshots stay");
        assertTrue(!f.mapping.mld().keys(ScheduleRoutes.KIND).contains("hourly"));
        ok(f.call("DELETE", "/api/luns/sl?force=true", null), 204);
    }

    @Test
    void shouldReportARunThatFailsAndKeepTheSchedule() {
        ok(f.call("POST", "/api/luns", "{\"name\":\"gone\",\"sizeBytes\":1048576}"), 201);
        ok(f.call("POST", "/api/schedules", "{\"name\":\"g1\",\"lun\":\"gone\",\"intervalSeconds\":60,\"keep\":1,\"snapclone\":true}"), 201);
        ok(f.call("DELETE", "/api/luns/gone", null), 204);
        now.addAndGet(61_000);
        f.server.runSchedulesNow();
        JsonObject g = obj(ok(f.call("GET", "/api/schedules/g1", null), 200));
        assertTrue(g.getString("lastError").contains("NOT_FOUND"), g::encode);
        JsonArray all = arr(ok(f.call("GET", "/api/schedules", null), 200));
        assertTrue(all.stream().anyMatch(o -> "g1".equals(((JsonObject) o).getString("name"))));
        ok(f.call("DELETE", "/api/schedules/g1", null), 204);
    }

    @Test
    void shouldRefuseToStartOverAMalformedStoredScheduleAndLeaveItUntouched() {
        f.server.stop();
        byte[] bad = {1, 2, 3};
        f.mapping.mld().commit(new io.evasan.mld.MldBatch().put(ScheduleRoutes.KIND, "broken", bad));
        try {
            io.evasan.error.StorageException e = org.junit.jupiter.api.Assertions.assertThrows(
                    io.evasan.error.StorageException.class, f::startServer);
            assertEquals(io.evasan.error.ErrorCode.CORRUPT_METADATA, e.code(), e.getMessage());
            org.junit.jupiter.api.Assertions.assertArrayEquals(bad, f.mapping.mld().get(ScheduleRoutes.KIND, "broken").orElseThrow());
        } finally {
            f.mapping.mld().commit(new io.evasan.mld.MldBatch().remove(ScheduleRoutes.KIND, "broken"));
            f.startServer();
        }
        ok(f.call("GET", "/api/schedules", null), 200);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"lun\":\"sv\",\"intervalSeconds\":60,\"keep\":1}|400|name",
        "{\"name\":\"-x\",\"lun\":\"sv\",\"intervalSeconds\":60,\"keep\":1}|400|name",
        "{\"name\":\"x\",\"intervalSeconds\":60,\"keep\":1}|400|lun",
        "{\"name\":\"x\",\"lun\":\"nosuch\",\"intervalSeconds\":60,\"keep\":1}|404|lun",
        "{\"name\":\"x\",\"lun\":\"sv\",\"intervalSeconds\":59,\"keep\":1}|400|intervalSeconds",
        "{\"name\":\"x\",\"lun\":\"sv\",\"intervalSeconds\":31536001,\"keep\":1}|400|intervalSeconds",
        "{\"name\":\"x\",\"lun\":\"sv\",\"intervalSeconds\":\"1h\",\"keep\":1}|400|intervalSeconds",
        "{\"name\":\"x\",\"lun\":\"sv\",\"intervalSeconds\":60,\"keep\":0}|400|keep",
        "{\"name\":\"x\",\"lun\":\"sv\",\"intervalSeconds\":60,\"keep\":257}|400|keep",
        "{\"name\":\"x\",\"lun\":\"sv\",\"intervalSeconds\":60}|400|keep",
        "{\"name\":\"x\",\"lun\":\"sv\",\"intervalSeconds\":60,\"keep\":1,\"snapclone\":1}|400|snapclone",
        "{\"name\":\"x\",\"lun\":\"sv\",\"intervalSeconds\":60,\"keep\":1,\"every\":1}|400|every",
        "{\"name\":\"dup\",\"lun\":\"sv\",\"intervalSeconds\":60,\"keep\":1}|409|name",
        "{\"name\":\"x\",\"lun\":\"sv\",\"intervalSeconds\":60,\"keep\":1,\"at\":\"24:00\"}|400|at",
        "{\"name\":\"x\",\"lun\":\"sv\",\"intervalSeconds\":60,\"keep\":1,\"at\":\"2:00\"}|400|at",
        "{\"name\":\"x\",\"lun\":\"sv\",\"intervalSeconds\":60,\"keep\":1,\"at\":120}|400|at",
    })
    void shouldRejectBadSchedulesNamingTheField(String body, int status, String field) {
        refusedNamingTheField(body, status, field);
    }

    /**
     * A daily schedule at 02:00 UTC runs at the next 02:00, not 24 h after its creation; an edit (PATCH) moves it to
     * 03:30 and keeps 1, keeps its phase, and refuses bad fields changing nothing.
     */
    @Test
    void shouldRunAtItsTimeOfDayAndTakeAnEdit() {
        ok(f.call("POST", "/api/luns", "{\"name\":\"st\",\"sizeBytes\":4194304}"), 201);
        long day = 86_400_000L;
        long midnight = now.get() - Math.floorMod(now.get(), day);
        JsonObject s = obj(ok(f.call("POST", "/api/schedules",
                "{\"name\":\"nightly\",\"lun\":\"st\",\"intervalSeconds\":86400,\"keep\":3,\"at\":\"02:00\"}"), 201));
        assertEquals("02:00", s.getString("at"));
        long first = midnight + 2 * 3_600_000L + (now.get() - midnight >= 2 * 3_600_000L ? day : 0);
        assertEquals(first, s.getLong("nextRunMillis"), "the next 02:00 UTC");
        for (String[] bad : new String[][] {{"{\"at\":\"7pm\"}", "at"}, {"{\"keep\":0}", "keep"},
                {"{\"intervalSeconds\":59}", "intervalSeconds"}, {"{\"lun\":\"other\"}", "lun"}}) {
            assertError(f.call("PATCH", "/api/schedules/nightly", bad[0]), 400, bad[1]);
        }
        assertEquals(s, obj(ok(f.call("GET", "/api/schedules/nightly", null), 200)), "a refused edit changes nothing");
        assertError(f.call("PATCH", "/api/schedules/nosuch", "{\"keep\":2}"), 404, "name");
        JsonObject e = obj(ok(f.call("PATCH", "/api/schedules/nightly", "{\"at\":\"03:30\",\"keep\":1}"), 200));
        assertEquals("03:30", e.getString("at"));
        assertEquals(1, e.getInteger("keep"));
        assertEquals(86400, e.getLong("intervalSeconds"), "left out: unchanged");
        long next = midnight + 210 * 60_000L + (now.get() - midnight >= 210 * 60_000L ? day : 0);
        assertEquals(next, e.getLong("nextRunMillis"));
        long was = now.get();
        try {
            now.set(next - 1);
            assertEquals(0, f.server.runSchedulesNow(), "not before 03:30");
            now.set(next);
            assertEquals(1, f.server.runSchedulesNow(), "at 03:30");
            assertEquals(1, snapshotsOf("nightly-").size());
            assertEquals(next + day, obj(ok(f.call("GET", "/api/schedules/nightly", null), 200)).getLong("nextRunMillis"),
                    "then daily at 03:30");
            JsonObject off = obj(ok(f.call("PATCH", "/api/schedules/nightly", "{\"at\":null,\"intervalSeconds\":3600}"), 200));
            assertNull(off.getValue("at"));
            assertEquals(next + 3_600_000L, off.getLong("nextRunMillis"), "without a time of day: an interval after the last run");
        } finally {
            now.set(was);
            ok(f.call("DELETE", "/api/schedules/nightly", null), 204);
            for (String n : snapshotsOf("nightly-")) {
                f.controller.deleteSnapshot(n);
            }
            ok(f.call("DELETE", "/api/luns/st", null), 204);
        }
    }

    private void refusedNamingTheField(String body, int status, String field) {
        ok(f.call("POST", "/api/luns", "{\"name\":\"sv\",\"sizeBytes\":1048576}"), 201);
        ok(f.call("POST", "/api/schedules", "{\"name\":\"dup\",\"lun\":\"sv\",\"intervalSeconds\":600,\"keep\":3}"), 201);
        try {
            assertError(f.call("POST", "/api/schedules", body), status, field);
            assertEquals(1, arr(ok(f.call("GET", "/api/schedules", null), 200)).size(), "nothing created");
            assertEquals(600, obj(ok(f.call("GET", "/api/schedules/dup", null), 200)).getLong("intervalSeconds"));
            assertError(f.send("POST", "/api/schedules", body, null), 401, "Authorization");
        } finally {
            ok(f.call("DELETE", "/api/schedules/dup", null), 204);
            ok(f.call("DELETE", "/api/luns/sv", null), 204);
        }
    }
}
