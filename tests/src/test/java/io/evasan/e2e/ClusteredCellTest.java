package io.evasan.e2e;

import io.evasan.deploy.FreePorts;
import io.evasan.raid.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The clustered cell (issue 13): controllers A and B as two processes of their own on the clustered event bus
 * (Hazelcast on loopback), over one data directory's drives. B starts first and leads (its LUN, its caches, mirrored
 * into A); A follows. qemu-io streams 64 KiB pattern writes over iSCSI through B's own portal; at a seeded random
 * acknowledgement B is killed with SIGKILL, or stopped with SIGSTOP. A claims the quorum lease, replays the mirror it
 * held, takes B's portal addresses over, and qemu-io (libiscsi) reconnects to the address it knew and carries on.
 * Every write qemu-io saw acknowledged then reads back through the taken-over portal and through A's own portal. A
 * stopped B that is resumed (SIGCONT) finds its lease taken and halts without writing (the data still reads back);
 * a B started again follows A and relays its portals to it.
 */
class ClusteredCellTest {
    private static final int LEN = 64 << 10;
    private static final int WRITES = 300;
    private static final long LUN_BYTES = 64L << 20;
    private static final String IQN = "iqn.2026-11.io.evasan:nsc0";
    private static final Pattern TOOK_OVER = Pattern.compile("took over as leader (\\d+) ms after .*?; (\\d+) mirrored writes");

    @TempDir
    Path dir;

    @Test
    void shouldKeepEveryAcknowledgedWriteWhenTheLeaderProcessIsKilled() throws Exception {
        failover(false);
    }

    @Test
    void shouldKeepEveryAcknowledgedWriteWhenTheLeaderProcessHangsAndWriteNothingWhenItResumes() throws Exception {
        failover(true);
    }

    /**
     * Partition: the bus between the two processes is cut (deploy/cell.sh drill partition) while qemu-io writes
     * through the leader's own portal and both processes keep the drives. The leader keeps the quorum lease, runs
     * unmirrored and acknowledges on; the follower's claims fail, so it never opens the pool (one writer). After the
     * cut heals the follower joins again with fresh mirrors, and every acknowledged write reads back through both
     * controllers' portals.
     */
    @Test
    void shouldKeepOneWriterWhileTheBusIsCutAndEveryAcknowledgedWriteAfterItHeals() throws Exception {
        Clients.require("qemu-io", "qemu-img", "stdbuf");
        long seed = Long.getLong("evasan.seed", System.nanoTime());
        System.out.println("ClusteredCellTest partition seed=" + seed + " (rerun with -Devasan.seed=" + seed + ")");
        Random rnd = new Random(seed);
        Cell cell = new Cell("p", seed);
        try {
            cell.up();
            ChildJvm a = cell.a;
            ChildJvm b = cell.b;
            Path data = cell.data;
            String viaB = cell.via(2);   // the leader's own portal
            String viaA = cell.via(0);   // the follower's, relayed
            try (PatternStream q = PatternStream.start(rnd, WRITES, LUN_BYTES, LEN, List.of("-t", "writeback"),
                    viaB)) {
                assertTrue(q.awaitFaultPoint(120), "fewer than " + q.faultAt() + " writes acknowledged: " + q.tail());
                Process drill = new ProcessBuilder("bash", CellScriptTest.ROOT.resolve("deploy/cell.sh").toString(),
                        "drill", "partition", "6", data.toString()).redirectErrorStream(true).start();
                String said = new String(drill.getInputStream().readAllBytes());
                assertEquals(0, drill.waitFor(), said);
                await(b, "the bus to proc-a is cut", 10_000);
                await(a, "the bus to proc-b is cut", 10_000);
                await(b, "its partner is down", 10_000);   // the leader runs unmirrored, acknowledging on
                await(a, "the lease stays with proc-b", 30_000);
                await(b, "the bus to proc-a is whole again", 30_000);
                assertTrue(q.finish(180), "qemu-io did not finish through the partition: " + q.tail());
                assertEquals(0, q.exitValue(), "qemu-io wrote on through the partition: " + q.tail());
                assertEquals(WRITES, q.acknowledgedLines(), "every write acknowledged");
                Map<Integer, Set<Integer>> allowed = q.allowed(false);
                // the follower joins again once the bus is whole: fresh mirrors, its portals relayed to the leader
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (a.lines().stream().filter(l -> l.contains("proc-a: follows proc-b")).count() < 2) {
                    if (System.nanoTime() - deadline > 0 || !a.isAlive()) {
                        throw new AssertionError("A did not follow again:\n" + String.join("\n", a.lines()));
                    }
                    Thread.sleep(20);
                }
                Path image = dir.resolve("image.raw");
                SlotImage.verify(image, viaB, LUN_BYTES, LEN, allowed,
                        "after the partition, through the leader B's portal (seed " + seed + ")");
                SlotImage.verify(image, viaA, LUN_BYTES, LEN, allowed,
                        "after the partition, through A's portal relayed to B (seed " + seed + ")");
                // one writer: A never held the lease nor opened the pool; B never lost it
                assertFalse(a.lines().stream().anyMatch(l -> l.contains("claimed the quorum lease")
                        || l.contains("took over as leader")), String.join("\n", a.lines()));
                assertFalse(b.lines().stream().anyMatch(l -> l.contains("halting")), String.join("\n", b.lines()));
                assertTrue(b.isAlive() && a.isAlive(), "both controllers run after the partition");
            }
        } finally {
            cell.close();
        }
    }

    /**
     * A drill through the leader B's management API on the follower A (issue 13): refused precisely without force,
     * for an unknown kind or controller; with force A's process is killed (SIGKILL), B reports when it saw A silent
     * and kept the report in GET /api/drills; a drill while A is down is refused naming why; the restart drill starts
     * A's process again and it follows.
     */
    @Test
    void shouldReportAKillOfTheFollowerProcessDrilledThroughTheLeadersApi() throws Exception {
        Cell cell = new Cell("fk", System.nanoTime());
        long restarted = -1;
        try {
            cell.up();
            Api api = new Api(cell);
            api.expect(409, "force", "POST", "/api/controllers/A/drills", "{\"kind\":\"kill\"}");
            api.expect(400, "kind", "POST", "/api/controllers/A/drills", "{\"kind\":\"melt\",\"force\":true}");
            api.expect(400, "id", "POST", "/api/controllers/C/drills", "{\"kind\":\"kill\",\"force\":true}");
            assertTrue(cell.a.isAlive(), "a refused drill changed nothing");

            io.vertx.core.json.JsonObject d = new io.vertx.core.json.JsonObject(api.call("POST",
                    "/api/controllers/A/drills", "{\"kind\":\"kill\",\"force\":true}", 200));
            assertEquals("A", d.getString("target"), d.encode());
            assertTrue(d.getLong("detectionMillis") >= 0, "B saw A silent: " + d.encode());
            assertTrue(d.getLong("takeoverMillis") >= d.getLong("detectionMillis"), d.encode());
            assertTrue(d.getString("outcome").contains("proc-a killed (SIGKILL)"), d.encode());
            cell.a.waitFor(30);
            assertFalse(cell.a.isAlive(), "A's process was killed");
            System.out.println("ClusteredCellTest follower kill through the API: detection " + d.getLong(
                    "detectionMillis") + " ms, cut loose " + d.getLong("takeoverMillis") + " ms (" + d.getString(
                    "outcome") + ")");
            io.vertx.core.json.JsonObject kept = api.drill(d.getLong("id"));
            assertEquals(d.getLong("detectionMillis"), kept.getLong("detectionMillis"), kept.encode());

            String refused = api.expect(409, "id", "POST", "/api/controllers/A/drills",
                    "{\"kind\":\"hang\",\"force\":true}");
            assertTrue(refused.contains("proc-a has not joined"), refused);

            api.call("POST", "/api/controllers/A/restart", "", 200);
            restarted = Long.parseLong(java.nio.file.Files.readString(cell.data.resolve("nsc-a.pid")).trim());
            Path out = cell.data.resolve("nsc-a.out");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!java.nio.file.Files.readString(out).contains("proc-a: follows proc-b")) {
                assertTrue(System.nanoTime() - deadline < 0 && ProcessHandle.of(restarted).map(ProcessHandle::isAlive)
                        .orElse(false), "the restarted A follows: " + java.nio.file.Files.readString(out));
                Thread.sleep(50);
            }
        } finally {
            if (restarted > 0) {
                ProcessHandle.of(restarted).ifPresent(ProcessHandle::destroyForcibly);
            }
            cell.close();
        }
    }

    /**
     * A kill of the leader B through its own API: answered 202 with the drill stored as started before B halts; A
     * takes over and completes that report, so GET /api/drills at the same address (A binds the management port once
     * it leads) lists it finished, with detection and takeover times counted from the request.
     */
    @Test
    void shouldCompleteOnTheSurvivorTheReportOfAKillOfTheLeaderDrilledThroughItsOwnApi() throws Exception {
        Cell cell = new Cell("lk", System.nanoTime());
        try {
            cell.up();
            Api api = new Api(cell);
            String verify = api.expect(400, "verify", "POST", "/api/controllers/B/drills",
                    "{\"kind\":\"kill\",\"force\":true,\"verify\":true}");
            assertTrue(verify.contains("verifier runs in the leader"), verify);
            drillTheLeader(cell, api, "kill", 137);
        } finally {
            cell.close();
        }
    }

    /**
     * A hang of the leader B through its own API: 202, B stops itself (SIGSTOP, its SIGCONT left to a detached
     * process); A takes over and completes the report; B, resumed, finds its lease fenced and halts (75) without
     * writing, and the report is listed at the management address A binds once B let it go.
     */
    @Test
    void shouldEndAHangOfTheLeaderDrilledThroughItsOwnApiWithTheResumedLeaderHaltingUnwritten() throws Exception {
        Cell cell = new Cell("lh", System.nanoTime());
        try {
            cell.up();
            drillTheLeader(cell, new Api(cell), "hang", 75);
            assertTrue(cell.b.lines().stream().anyMatch(l -> l.contains("halting without writing")),
                    String.join("\n", cell.b.lines()));
        } finally {
            cell.close();
        }
    }

    /**
     * A partition through the leader B's API: the partition file cuts the bus both ways; B keeps the quorum lease and
     * reports when it saw A silent; A's claims fail, and once the cut ends A follows again.
     */
    @Test
    void shouldReportAPartitionDrilledThroughTheLeadersApiWithTheLeaderKeepingTheLease() throws Exception {
        Cell cell = new Cell("pa", System.nanoTime());
        try {
            cell.up();
            Api api = new Api(cell);
            io.vertx.core.json.JsonObject d = new io.vertx.core.json.JsonObject(api.call("POST",
                    "/api/controllers/A/drills", "{\"kind\":\"partition\",\"force\":true}", 200));
            System.out.println("ClusteredCellTest partition through the API: " + d.encode());
            assertEquals("A", d.getString("target"), "the follower loses: " + d.encode());
            assertTrue(d.getLong("detectionMillis") >= 0, d.encode());
            assertTrue(d.getString("outcome").contains("proc-b kept the quorum lease"), d.encode());
            await(cell.a, "the lease stays with proc-b", 30_000);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (cell.a.lines().stream().filter(l -> l.contains("proc-a: follows proc-b")).count() < 2) {
                assertTrue(System.nanoTime() - deadline < 0 && cell.a.isAlive(), "A follows again after the cut:\n"
                        + String.join("\n", cell.a.lines()));
                Thread.sleep(20);
            }
            assertFalse(cell.a.lines().stream().anyMatch(l -> l.contains("took over as leader")),
                    String.join("\n", cell.a.lines()));
            assertFalse(cell.b.lines().stream().anyMatch(l -> l.contains("halting")), String.join("\n",
                    cell.b.lines()));
            assertEquals(d.getString("outcome"), api.drill(d.getLong("id")).getString("outcome"), "kept in the history");
        } finally {
            cell.close();
        }
    }

    /**
     * Drill {@code kind} on the leader B through its API: 202 with a started report, A takes over and completes it,
     * B ends with {@code exit}; returns the completed report as A's GET /api/drills lists it.
     */
    private static io.vertx.core.json.JsonObject drillTheLeader(Cell cell, Api api, String kind, int exit)
            throws Exception {
        io.vertx.core.json.JsonObject d = new io.vertx.core.json.JsonObject(api.call("POST",
                "/api/controllers/B/drills", "{\"kind\":\"" + kind + "\",\"force\":true}", 202));
        assertTrue(d.getString("outcome").startsWith("started: SIG"), d.encode());
        await(cell.a, "took over as leader", 30_000);
        await(cell.a, "completed the drill report proc-b stored before its drill", 30_000);
        assertEquals(exit, cell.b.waitFor(60), "B's end after the " + kind + ": " + String.join("\n", cell.b.lines()));
        io.vertx.core.json.JsonObject done = api.drill(d.getLong("id"));
        System.out.println("ClusteredCellTest leader " + kind + " through the API: " + done.encode());
        assertEquals(kind, done.getString("kind"));
        assertEquals("B", done.getString("target"));
        assertEquals(d.getLong("startedAt"), done.getLong("startedAt"), "the request time is kept");
        assertTrue(done.getLong("detectionMillis") >= 0, done.encode());
        assertTrue(done.getLong("takeoverMillis") >= done.getLong("detectionMillis"), done.encode());
        assertTrue(done.getString("outcome").startsWith("taken over by proc-a"), done.encode());
        return done;
    }

    /** The management API of the cell's leader, at the address every leader binds, with the admin token B printed. */
    private static final class Api {
        private final java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        private final String base;
        private final String token;

        Api(Cell cell) {
            base = "http://127.0.0.1:" + cell.mgmt;
            Pattern p = Pattern.compile("management API token \\(shown once[^)]*\\): (\\S+)");
            token = cell.b.lines().stream().map(p::matcher).filter(Matcher::find).map(m -> m.group(1)).findFirst()
                    .orElseThrow(() -> new AssertionError("B printed no token: " + String.join("\n", cell.b.lines())));
        }

        /** The answer's body; fails unless the status is {@code status}. */
        String call(String method, String path, String body, int status) throws Exception {
            java.net.http.HttpResponse<String> r = http.send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(base + path)).timeout(java.time.Duration.ofSeconds(90))
                    .header("Authorization", "Bearer " + token).header("content-type", "application/json")
                    .method(method, java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(status, r.statusCode(), method + " " + path + ": " + r.body());
            return r.body();
        }

        /** A refusal: {@code status} naming {@code field}; returns its message. */
        String expect(int status, String field, String method, String path, String body) throws Exception {
            io.vertx.core.json.JsonObject e = new io.vertx.core.json.JsonObject(call(method, path, body, status));
            assertEquals(field, e.getString("field"), e.encode());
            return e.getString("error");
        }

        /** Drill {@code id} as GET /api/drills lists it, waiting (up to 60 s) for the management API to answer. */
        io.vertx.core.json.JsonObject drill(long id) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            String last = "";
            while (System.nanoTime() - deadline < 0) {
                try {
                    java.net.http.HttpResponse<String> r = http.send(java.net.http.HttpRequest.newBuilder(
                            java.net.URI.create(base + "/api/drills")).timeout(java.time.Duration.ofSeconds(10))
                            .header("Authorization", "Bearer " + token).GET().build(),
                            java.net.http.HttpResponse.BodyHandlers.ofString());
                    last = r.statusCode() + " " + r.body();
                    if (r.statusCode() == 200) {
                        for (Object o : new io.vertx.core.json.JsonArray(r.body())) {
                            io.vertx.core.json.JsonObject j = (io.vertx.core.json.JsonObject) o;
                            if (j.getLong("id") == id && !j.getString("outcome").startsWith("started")) {
                                return j;
                            }
                        }
                    }
                } catch (java.io.IOException e) {
                    last = e.toString();   // the survivor binds the address once it leads
                }
                Thread.sleep(200);
            }
            throw new AssertionError("drill " + id + " not listed finished in GET /api/drills: " + last);
        }
    }

    /** Controllers B and A over one data directory, on free ports: B starts and leads, A follows. */
    private final class Cell implements AutoCloseable {
        final Path data = dir.resolve("data");
        final int iscsi;
        final int mgmt;
        final String cluster;
        ChildJvm b;
        ChildJvm a;

        Cell(String tag, long seed) throws IOException {
            iscsi = FreePorts.freePortBlock(4);
            int m = FreePorts.freePort();
            while (m >= iscsi && m < iscsi + 4) {
                m = FreePorts.freePort();
            }
            mgmt = m;
            cluster = "evasan-test-" + ProcessHandle.current().pid() + "-" + tag + (seed & 0xffffff);
        }

        ChildJvm start(String nsc) throws IOException {
            return controller(nsc, data, cluster, iscsi, mgmt);
        }

        /** B leads; A follows with both caches mirrored into it. */
        void up() throws Exception {
            b = start("B");
            await(b, "proc-b: leads the cell", 120_000);
            a = start("A");
            await(a, "proc-a: follows proc-b", 120_000);
            await(b, "its partner joined: caches mirrored into it", 30_000);
        }

        /** The iSCSI URL of LUN 0 through portal {@code index} (0, 1: A's; 2, 3: B's). */
        String via(int index) {
            return "iscsi://127.0.0.1:" + (iscsi + index) + "/" + IQN + "/0";
        }

        @Override
        public void close() throws Exception {
            if (a != null) {
                a.close();
            }
            if (b != null) {
                signal("CONT", b.pid());
                b.close();
            }
        }
    }

    private ChildJvm controller(String nsc, Path data, String cluster, int iscsi, int mgmt) throws IOException {
        return ChildJvm.of("io.evasan.deploy.Appliance").heap("768m")
                .args("--cluster=" + cluster, "--nsc=" + nsc, "--data-dir=" + data, "--iscsi-port=" + iscsi,
                        "--mgmt-port=" + mgmt, "--heartbeat-timeout-ms=500", "--first-lun-size=" + LUN_BYTES)
                .output(dir.resolve("nsc-" + nsc + "-" + System.nanoTime() + ".out")).mergeStderr().start();
    }

    private static void await(ChildJvm c, String text, long millis) throws InterruptedException {
        if (!c.awaitLine(l -> l.contains(text), millis)) {
            throw new AssertionError("no \"" + text + "\" within " + millis + " ms:\n" + String.join("\n", c.lines()));
        }
    }

    private void failover(boolean hang) throws Exception {
        String kind = hang ? "SIGSTOP" : "SIGKILL";
        Clients.require("qemu-io", "qemu-img", "stdbuf");
        long seed = Long.getLong("evasan.seed", System.nanoTime());
        System.out.println("ClusteredCellTest " + kind + " seed=" + seed + " (rerun with -Devasan.seed=" + seed + ")");
        Random rnd = new Random(seed);
        Cell cell = new Cell("", seed);
        ChildJvm b2 = null;
        try {
            cell.up();
            ChildJvm a = cell.a;
            ChildJvm b = cell.b;
            String viaB = cell.via(2);   // B's own portal (taken over)
            String viaA = cell.via(0);   // A's own portal
            try (PatternStream q = PatternStream.start(rnd, WRITES, LUN_BYTES, LEN, List.of("-t", "writeback"),
                    viaB)) {
                int faultAt = q.faultAt();
                assertTrue(q.awaitFaultPoint(120), "fewer than " + faultAt + " writes acknowledged: " + q.tail());
                long t0 = System.nanoTime();
                int ackedBefore = q.acknowledged();
                Path image = dir.resolve("image.raw");
                if (hang) {
                    signal("STOP", b.pid());
                    // a stopped process keeps its sockets: B's addresses stay unreachable until it exits (on loopback no
                    // address can move). A serves through its own portal meanwhile, every acknowledged write with it.
                    await(a, "took over as leader", 30_000);
                    Map<Integer, Set<Integer>> sofar = q.allowed(true);
                    SlotImage.verify(image, viaA, LUN_BYTES, LEN, sofar,
                            "while the old leader B is stopped, through A's own portal (seed " + seed + ")");
                    signal("CONT", b.pid());
                    assertEquals(75, b.waitFor(60), "the resumed old leader halts: " + String.join("\n", b.lines()));
                    // fenced at its next renewal, or when it sees its partner silent and proves the lease on the drives
                    assertTrue(b.lines().stream().anyMatch(l -> l.contains("quorum lease")
                            && l.contains("halting without writing")), String.join("\n", b.lines()));
                } else {
                    b.kill9();
                }
                assertTrue(q.finish(180), "qemu-io did not finish after the " + kind + ": " + q.tail());
                Map<Integer, Set<Integer>> allowed = q.allowed(false);
                int n = q.acknowledgedLines();
                long firstAfter = q.firstAckAfter(t0, ackedBefore);
                await(a, "took over as leader", 30_000);
                String took = a.lines().stream().filter(l -> l.contains("took over as leader")).findFirst().orElseThrow();
                Matcher tm = TOOK_OVER.matcher(took);
                assertTrue(tm.find(), took);
                assertTrue(took.contains("replayed from the mirror it held"), "the takeover used the mirror: " + took);
                System.out.println(kind + " of the leader B at acknowledgement " + faultAt + ": " + took);
                System.out.printf("%s -> first write acknowledged to qemu-io after the fault: %.0f ms (%d of %d writes "
                        + "acknowledged, qemu-io exit %d)%n", kind, firstAfter / 1e6, n, WRITES, q.exitValue());
                assertEquals(0, q.exitValue(), "qemu-io reconnected and carried on: " + q.tail());
                assertEquals(WRITES, n, "every write acknowledged after reconnecting");
                assertTrue(firstAfter > 0, "a write was served after the fault");
                SlotImage.verify(image, viaB, LUN_BYTES, LEN, allowed,
                        "after the " + kind + ", through B's portal served by A (seed " + seed + ")");
                SlotImage.verify(image, viaA, LUN_BYTES, LEN, allowed,
                        "after the " + kind + ", through A's own portal (seed " + seed + ")");

                b.close();
                // B comes back as a follower: its addresses are relayed to A again, the caches mirror into it
                b2 = cell.start("B");
                await(b2, "proc-b: follows proc-a", 120_000);
                SlotImage.verify(image, viaB, LUN_BYTES, LEN, allowed,
                        "after B came back as follower, through its relayed portal (seed " + seed + ")");
                assertFalse(a.lines().stream().anyMatch(l -> l.contains("takeover failed")), String.join("\n", a.lines()));
            }
        } finally {
            if (b2 != null) {
                b2.close();
            }
            cell.close();
        }
    }

    private static void signal(String sig, long pid) throws Exception {
        Process p = new ProcessBuilder("kill", "-" + sig, Long.toString(pid)).redirectErrorStream(true).start();
        p.waitFor(10, TimeUnit.SECONDS);
    }
}
