package io.evasan.mgmt;

import io.evasan.nsc.Controller;
import io.evasan.nsc.cache.CachedItem;
import io.evasan.nsc.lun.LunRecord;
import io.evasan.nsc.lun.impl.MldLunStore;
import io.evasan.nsc.lun.impl.StoredLunTable;
import io.evasan.nsc.lun.SnapshotRecord;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.evasan.mgmt.ManagementApiTest.arr;
import static io.evasan.mgmt.ManagementApiTest.assertError;
import static io.evasan.mgmt.ManagementApiTest.obj;
import static io.evasan.mgmt.ManagementApiTest.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Issue 11 findings 2 and 5 over HTTP: snapshot requests racing a DELETE of their LUN (and a new LUN
 * that would take the deleted LUN's id) answer 201 or 404, never 500, and never attach a snapshot to
 * another LUN; 50 concurrent creates of one snapshot name give exactly one 201 and 409s naming
 * {@code name}; a start over an inconsistent catalogue succeeds, reports the objects (GET /api/quarantine,
 * LUN state, controller health, a log line) and repairs them.
 */
class LunSnapshotRaceApiTest extends ApplianceTest {
    private static final String MIB = "1048576";

    private static CompletableFuture<HttpResponse<String>> async(String method, String path, String body) {
        return CompletableFuture.supplyAsync(() -> f.call(method, path, body));
    }

    private static int pendingMarkers() {
        int n = 0;
        for (CachedItem i : f.controller.cache().pendingItems()) {
            n += i.marker() ? 1 : 0;
        }
        return n;
    }

    private static void await(java.util.function.BooleanSupplier done, String what) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > end) {
                fail("timed out waiting for " + what);
            }
            Thread.sleep(5);
        }
    }

    @Test
    void shouldAnswer404NotASnapshotOfAnotherLunWhenTheLunIsDeletedWhileItsSnapshotsAreQueued() throws Exception {
        for (int round = 0; round < 3; round++) {
            String lun = "race" + round;
            ok(f.call("POST", "/api/luns", "{\"name\":\"" + lun + "\",\"sizeBytes\":" + MIB + "}"), 201);
            List<CompletableFuture<HttpResponse<String>>> snaps = new ArrayList<>();
            f.controller.cache().pauseDestage();   // a slow back end: the markers wait in the cache
            try {
                for (int i = 0; i < 3; i++) {
                    snaps.add(async("POST", "/api/luns/" + lun + "/snapshots", "{\"name\":\"" + lun + "-s" + i + "\"}"));
                }
                await(() -> pendingMarkers() == 3, "three queued markers");
                ok(f.call("DELETE", "/api/luns/" + lun + "?force=true", null), 204);
                ok(f.call("POST", "/api/luns", "{\"name\":\"next" + round + "\",\"sizeBytes\":" + MIB + "}"), 201);
            } finally {
                f.controller.cache().resumeDestage();
            }
            for (CompletableFuture<HttpResponse<String>> s : snaps) {
                assertError(s.get(30, TimeUnit.SECONDS), 404, "lun");
            }
            for (Object o : arr(ok(f.call("GET", "/api/snapshots", null), 200))) {
                fail("no snapshot may exist, least of all of another LUN: " + o);
            }
        }
        for (int round = 0; round < 4; round++) {   // unpaused: whatever interleaving, 201 or 404 and never 500
            String lun = "free" + round;
            ok(f.call("POST", "/api/luns", "{\"name\":\"" + lun + "\",\"sizeBytes\":" + MIB + "}"), 201);
            List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                all.add(async("POST", "/api/luns/" + lun + "/snapshots", "{\"name\":\"" + lun + "-s" + i + "\"}"));
            }
            all.add(async("DELETE", "/api/luns/" + lun + "?force=true", null));
            all.add(async("POST", "/api/luns", "{\"name\":\"more" + round + "\",\"sizeBytes\":" + MIB + "}"));
            for (CompletableFuture<HttpResponse<String>> r : all) {
                HttpResponse<String> a = r.get(30, TimeUnit.SECONDS);
                assertTrue(a.statusCode() == 201 || a.statusCode() == 204 || a.statusCode() == 404, a.statusCode() + " " + a.body());
                if (a.statusCode() == 201 && a.uri().getPath().endsWith("/snapshots")) {
                    assertEquals(lun, obj(a).getString("lun"), a.body());
                }
            }
            assertTrue(arr(ok(f.call("GET", "/api/snapshots", null), 200)).isEmpty(), "the snapshots went with their LUN");
        }
        f.reopen();
        assertTrue(arr(ok(f.call("GET", "/api/quarantine", null), 200)).isEmpty());
        assertEquals("OK", arr(ok(f.call("GET", "/api/controllers", null), 200)).getJsonObject(0).getString("health"));
        for (String l : List.of("next0", "next1", "next2", "more0", "more3")) {
            assertEquals("online", obj(ok(f.call("GET", "/api/luns/" + l, null), 200)).getString("state"));
        }
    }

    @Test
    void shouldCreateExactlyOneOfFiftyConcurrentSnapshotsOfOneName() throws Exception {
        ok(f.call("POST", "/api/luns", "{\"name\":\"dupsrc\",\"sizeBytes\":" + MIB + "}"), 201);
        List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
        f.controller.cache().pauseDestage();   // every request that gets queued stays queued until all answered
        try {
            for (int i = 0; i < 50; i++) {
                all.add(async("POST", "/api/luns/dupsrc/snapshots", "{\"name\":\"dup2\"}"));
            }
            // all answered or queued (the server's worker pool may hold some back), or already a second marker of the name
            await(() -> all.stream().filter(CompletableFuture::isDone).count() + pendingMarkers() >= 50 || pendingMarkers() >= 2,
                    "every request answered or queued");
        } finally {
            f.controller.cache().resumeDestage();
        }
        int created = 0;
        for (CompletableFuture<HttpResponse<String>> r : all) {
            HttpResponse<String> a = r.get(30, TimeUnit.SECONDS);
            if (a.statusCode() == 201) {
                created++;
                assertEquals("dup2", obj(a).getString("name"));
            } else {
                assertError(a, 409, "name");
            }
        }
        assertEquals(1, created, "exactly one 201");
        List<String> names = new ArrayList<>();
        for (Object o : arr(ok(f.call("GET", "/api/snapshots", null), 200))) {
            names.add(((JsonObject) o).getString("name"));
        }
        assertEquals(List.of("dup2"), names);
        ok(f.call("DELETE", "/api/luns/dupsrc?force=true", null), 204);
    }

    @Test
    void shouldStartOverAnInconsistentCatalogueReportTheObjectsAndRepairThem() throws Exception {
        ok(f.call("POST", "/api/luns", "{\"name\":\"keep\",\"sizeBytes\":" + MIB + "}"), 201);
        ok(f.call("POST", "/api/luns", "{\"name\":\"other\",\"sizeBytes\":" + MIB + "}"), 201);
        ok(f.call("POST", "/api/luns/keep/snapshots", "{\"name\":\"keep-s\"}"), 201);
        LunRecord other = f.controller.lun("other");
        SnapshotRecord keepSnap = f.controller.listSnapshots().stream().filter(s -> s.name().equals("keep-s")).findFirst().orElseThrow();
        long orphan = f.trees.createLun(1);   // a disk no record names (a crash between tree and table)
        // the old race's records: a LUN whose disk is gone, a snapshot named for LUN "other" in another tree
        StoredLunTable t = StoredLunTable.open(new MldLunStore(f.mapping.mld(), "nsc0"));
        LunRecord ghost = t.create("ghost", LunRecord.Kind.PRIMARY, 1L << 40, 1L << 20);
        SnapshotRecord stray = t.addSnapshot(new SnapshotRecord("stray", other.id(), keepSnap.disk(), 99, false, 1));
        t.present("iqn.2026-11.test:q", 7, ghost.id());

        java.util.List<String> logged = java.util.Collections.synchronizedList(new ArrayList<>());
        java.util.logging.Logger jul = java.util.logging.Logger.getLogger(Controller.class.getName());
        java.util.logging.Handler h = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                logged.add(r.getLevel() + " " + r.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        jul.addHandler(h);
        try {
            f.reopen();   // must start
        } finally {
            jul.removeHandler(h);
        }
        assertTrue(logged.stream().anyMatch(m -> m.startsWith("WARNING quarantined lun ghost")), logged.toString());

        JsonArray q = arr(ok(f.call("GET", "/api/quarantine", null), 200));
        List<String> ids = new ArrayList<>();
        for (Object o : q) {
            JsonObject e = (JsonObject) o;
            ids.add(e.getString("id"));
            assertFalse(e.getString("reason").isEmpty(), e.encode());
            assertTrue(e.getString("repair").contains("/api/"), e.encode());
        }
        ids.sort(null);
        assertEquals(List.of("disk-" + orphan, "lun-" + ghost.id(), "snapshot-" + stray.id()), ids);
        JsonObject c = arr(ok(f.call("GET", "/api/controllers", null), 200)).getJsonObject(0);
        assertEquals("DEGRADED", c.getString("health"));
        assertEquals(3, c.getInteger("quarantined"));
        JsonObject g = obj(ok(f.call("GET", "/api/luns/ghost", null), 200));
        assertEquals("quarantined", g.getString("state"));
        assertTrue(g.getString("reason").contains("missing"), g.encode());
        assertEquals("online", obj(ok(f.call("GET", "/api/luns/keep", null), 200)).getString("state"));
        assertError(f.call("POST", "/api/luns/ghost/present", "{\"initiator\":\"iqn.2026-11.test:q\",\"hostLun\":8}"), 409, "name");
        assertError(f.call("POST", "/api/luns/ghost/snapshots", "{\"name\":\"g1\"}"), 409, "lun");
        assertError(f.call("GET", "/api/luns/ghost/tree", null), 409, "name");
        assertError(f.call("POST", "/api/quarantine/lun-999999/repair", null), 404, "id");

        ok(f.call("DELETE", "/api/luns/ghost", null), 204);   // the documented repairs
        JsonObject r = obj(ok(f.call("POST", "/api/quarantine/snapshot-" + stray.id() + "/repair", null), 200));
        assertTrue(r.getBoolean("repaired"));
        ok(f.call("POST", "/api/quarantine/disk-" + orphan + "/repair", null), 200);
        assertTrue(arr(ok(f.call("GET", "/api/quarantine", null), 200)).isEmpty());
        assertEquals("OK", arr(ok(f.call("GET", "/api/controllers", null), 200)).getJsonObject(0).getString("health"));
        assertEquals("online", obj(ok(f.call("GET", "/api/luns/keep", null), 200)).getString("state"));
        assertEquals(1, arr(ok(f.call("GET", "/api/snapshots", null), 200)).size(), "keep-s (whose disk the stray named) stays");

        f.reopen();
        assertTrue(arr(ok(f.call("GET", "/api/quarantine", null), 200)).isEmpty());
        assertError(f.call("GET", "/api/luns/ghost", null), 404, "name");
        ok(f.call("DELETE", "/api/luns/keep?force=true", null), 204);
        ok(f.call("DELETE", "/api/luns/other?force=true", null), 204);
    }
}
