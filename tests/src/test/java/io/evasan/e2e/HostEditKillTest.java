package io.evasan.e2e;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * LUN masking survives a real kill -9 in the middle of a host edit: the appliance runs in a child JVM, host
 * {@code kh} keeps initiator B and swaps A and C back and forth (PATCH), each swap moving {@value #HOST_LUNS}
 * presentations; the child is killed with SIGKILL while a PATCH is in flight, at a random moment within it
 * (seeded: {@code -Devasan.seed}). After the restart the presentation table must be exactly what the host
 * record says: every member sees each of the host's {@value #HOST_LUNS} LUNs at its host LUN, the initiator the record
 * does not name sees nothing. (One LUN per host LUN: an initiator sees a LUN at one host LUN only; host LUN 0 stays
 * the first start's LUN for everyone.) The step-by-step proof (a crash at every step boundary) is mgmt-ui's {@code impl.HostCrashSafetyTest}.
 */
class HostEditKillTest {
    static final int HOST_LUNS = 32;
    static final String A = "iqn.2026-11.io.evasan:kill-a";
    static final String B = "iqn.2026-11.io.evasan:kill-b";
    static final String C = "iqn.2026-11.io.evasan:kill-c";

    @TempDir
    Path dir;

    /** The admin token the first start printed; later starts keep it. */
    private String token;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private HttpResponse<String> api(ChildAppliance c, String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + c.mgmtPort() + path))
                .timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + token)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> ok(HttpResponse<String> r, int status) {
        assertEquals(status, r.statusCode(), r::body);
        return r;
    }

    @Test
    void shouldLeaveExactlyTheRecordedInitiatorsPresentedAfterAKill9MidEdit() throws Exception {
        long seed = Long.getLong("evasan.seed", System.nanoTime());
        System.out.println("HostEditKillTest seed=" + seed);
        Random rnd = new Random(seed);
        Path data = dir.resolve("data");
        ChildAppliance c = ChildAppliance.start(data, 16L << 20);
        token = c.createdToken();
        assertTrue(token != null, () -> "no token printed: " + c.log());
        try {
            for (int hl = 1; hl <= HOST_LUNS; hl++) {
                ok(api(c, "POST", "/api/luns", "{\"name\":\"k" + hl + "\",\"sizeBytes\":1048576}"), 201);
                for (String i : List.of(A, B)) {
                    ok(api(c, "POST", "/api/luns/k" + hl + "/present", "{\"initiator\":\"" + i + "\",\"hostLun\":" + hl + "}"), 200);
                }
            }
            ok(api(c, "POST", "/api/hosts", "{\"name\":\"kh\",\"initiators\":[\"" + A + "\",\"" + B + "\"]}"), 201);

            // swap A/C until killed; the kill lands at a random fraction of an edit that is in flight
            AtomicInteger done = new AtomicInteger();
            AtomicBoolean inFlight = new AtomicBoolean();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicBoolean cut = new AtomicBoolean();
            long[] nanos = new long[1];
            Thread editor = new Thread(() -> {
                try {
                    for (int n = 0; !stop.get(); n++) {
                        String other = n % 2 == 0 ? C : A;
                        long t0 = System.nanoTime();
                        inFlight.set(true);
                        HttpResponse<String> r = api(c, "PATCH", "/api/hosts/kh", "{\"initiators\":[\"" + B + "\",\"" + other + "\"]}");
                        inFlight.set(false);
                        assertEquals(200, r.statusCode(), r::body);
                        nanos[0] += System.nanoTime() - t0;
                        done.incrementAndGet();
                    }
                } catch (IOException e) {
                    cut.set(true);   // the child was killed under the request
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, "host-editor");
            editor.start();
            int warm = 3 + rnd.nextInt(4);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (done.get() < warm && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertTrue(done.get() >= warm, "edits did not complete");
            assertTrue(editor.isAlive(), "the editor stopped");
            long avg = nanos[0] / done.get();
            long delay = 0;
            int before = -1;
            boolean midEdit = false;
            for (int attempt = 0; attempt < 20 && !midEdit; attempt++) {
                int last = done.get();
                spin(() -> done.get() != last, editor);   // an edit has just finished
                spin(inFlight::get, editor);              // and the next one is sent
                before = done.get();
                delay = (long) (avg * (0.1 + 0.8 * rnd.nextDouble()));
                TimeUnit.NANOSECONDS.sleep(delay);
                midEdit = inFlight.get() && done.get() == before;
            }
            c.kill9();
            stop.set(true);
            editor.join(70_000);
            System.out.println("HostEditKillTest: " + before + " edits done, average " + avg / 1000 + " us; kill -9 "
                    + delay / 1000 + " us into edit " + (before + 1) + "; its response " + (cut.get() ? "never came" : "had come"));
            assertTrue(midEdit, "no kill point inside an edit found (seed " + seed + ")");
        } finally {
            c.kill9();
        }

        ChildAppliance again = ChildAppliance.start(data, 16L << 20);
        try {
            JsonObject host = new JsonObject(ok(api(again, "GET", "/api/hosts/kh", null), 200).body());
            Set<String> members = new TreeSet<>();
            host.getJsonArray("initiators").forEach(o -> members.add(((JsonObject) o).getString("initiator")));
            assertTrue(members.equals(Set.of(A, B)) || members.equals(Set.of(B, C)), members::toString);
            Map<String, Set<String>> actual = presentations(again);
            Set<String> all = new TreeSet<>();
            for (int hl = 1; hl <= HOST_LUNS; hl++) {
                all.add("k" + hl + "@" + hl);
            }
            Map<String, Set<String>> expected = new TreeMap<>();
            members.forEach(m -> expected.put(m, all));
            assertEquals(expected, actual, "after kill -9 and restart the presentations are what host kh's record says (seed " + seed + ")");
            // and the host can be edited and deleted normally afterwards
            ok(api(again, "PATCH", "/api/hosts/kh", "{\"initiators\":[\"" + B + "\"]}"), 200);
            ok(api(again, "DELETE", "/api/hosts/kh", null), 204);
            Map<String, Set<String>> left = presentations(again);
            assertTrue(left.isEmpty(), left::toString);
        } finally {
            again.stop();
        }
    }

    /** Initiator -> "LUN@host LUN" of every presentation of the k LUNs. */
    private Map<String, Set<String>> presentations(ChildAppliance c) throws Exception {
        Map<String, Set<String>> out = new TreeMap<>();
        JsonArray luns = new JsonArray(ok(api(c, "GET", "/api/luns", null), 200).body());
        luns.forEach(l -> {
            JsonObject lun = (JsonObject) l;
            if (lun.getString("name").startsWith("k")) {
                lun.getJsonArray("presentations").forEach(o -> out.computeIfAbsent(((JsonObject) o).getString("initiator"),
                        k -> new TreeSet<>()).add(lun.getString("name") + "@" + ((JsonObject) o).getInteger("hostLun")));
            }
        });
        return out;
    }

    /** Busy-waits (the kill point is chosen at microsecond scale) until {@code cond}, at most 60 s, while {@code t} lives. */
    private static void spin(java.util.function.BooleanSupplier cond, Thread t) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!cond.getAsBoolean()) {
            if (!t.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("the editor stopped or stalled");
            }
            Thread.onSpinWait();
        }
    }
}
