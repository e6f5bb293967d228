package io.evasan.mgmt;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static io.evasan.mgmt.ManagementApiTest.assertError;
import static io.evasan.mgmt.ManagementApiTest.obj;
import static io.evasan.mgmt.ManagementApiTest.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GET /api/perf and /api/capacity over a manual clock (the test samples the meters itself): the points the
 * host I/O meters produce, the CSV export, every bad parameter refused naming it, and the history answered again
 * after a restart of the appliance over the same Chronicle Map files.
 */
class PerfApiTest {
    static final long T0 = 1_800_000_000_000L;   // 2027-01-15T08:00:00Z, a 5 min boundary
    static final AtomicLong now = new AtomicLong(T0);
    static Path perfDir;
    static ApplianceFixture f;

    @BeforeAll
    static void up() throws Exception {
        Files.createDirectories(Path.of("target"));
        perfDir = Files.createTempDirectory(Path.of("target"), "perf-");
        f = new ApplianceFixture(c -> c.clock(now::get).backgroundTickMillis(3_600_000).perfHistoryDir(perfDir));
    }

    @AfterAll
    static void down() throws Exception {
        if (f != null) {
            f.close();
        }
        try (java.util.stream.Stream<Path> s = Files.walk(perfDir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** The history opens on the timer thread after a start; a sample runs there after it (a first one: the baseline). */
    @BeforeEach
    void opened() {
        f.server.samplePerfNow();
    }

    private static HttpResponse<String> perf(String query) {
        return f.call("GET", "/api/perf?" + query, null);
    }

    private static void hostIo(String lun) {
        hostIo(f, lun);
    }

    /** 50 reads of 4 KiB at 80 µs and one 1 MiB write at 3 ms, recorded in the meters the SCSI target records into. */
    static void hostIo(ApplianceFixture f, String lun) {
        Counter reads = f.registry.find("evasan.lun.reads").tag("lun", lun).counter();
        Timer readLatency = f.registry.find("evasan.lun.read.latency").tag("lun", lun).timer();
        for (int i = 0; i < 50; i++) {
            reads.increment();
            f.registry.find("evasan.lun.read.bytes").tag("lun", lun).counter().increment(4096);
            readLatency.record(80, TimeUnit.MICROSECONDS);
        }
        f.registry.find("evasan.lun.writes").tag("lun", lun).counter().increment();
        f.registry.find("evasan.lun.write.bytes").tag("lun", lun).counter().increment(1 << 20);
        f.registry.find("evasan.lun.write.latency").tag("lun", lun).timer().record(3, TimeUnit.MILLISECONDS);
    }

    @Test
    void shouldAnswerThePointsAsJsonAndCsvAndAgainAfterARestart() throws Exception {
        ok(f.call("POST", "/api/luns", "{\"name\":\"pl\",\"sizeBytes\":4194304}"), 201);
        now.set(T0 + 1_000);
        f.server.samplePerfNow();   // the baseline
        hostIo("pl");
        now.set(T0 + 10_500);
        f.server.samplePerfNow();   // closes the window [T0, T0 + 10 s)

        JsonObject series = obj(ok(f.call("GET", "/api/perf/series", null), 200));
        assertTrue(series.getJsonArray("series").contains("lun/pl"), series.encode());
        assertTrue(series.getJsonArray("series").contains("group/dg0"), series.encode());
        assertEquals("controller/nsc0", series.getString("controller"));

        String q = "object=lun/pl&from=" + T0 + "&to=2027-01-15T08:01:00Z";
        JsonObject b = obj(ok(perf(q), 200));
        assertEquals("10s", b.getString("resolution"), "auto: within the last 24 h");
        JsonArray points = b.getJsonArray("points");
        assertEquals(1, points.size(), b.encode());
        JsonObject p = points.getJsonObject(0);
        assertEquals("2027-01-15T08:00:00Z", p.getString("time"));
        assertEquals(5.1, p.getDouble("iops"), 1e-9);
        assertEquals(0.1, p.getDouble("writeIops"), 1e-9);
        assertEquals((50 * 4096 + (1 << 20)) / 10.0 / 1e6, p.getDouble("mbps"), 1e-9);
        assertEquals(0.1, p.getDouble("latencyP50Ms"), 1e-9, "50 of 51 commands took at most 100 µs");
        assertEquals(5.0, p.getDouble("latencyP99Ms"), 1e-9, "the 51st took at most 5 ms");

        HttpResponse<String> csv = ok(perf(q + "&format=csv"), 200);
        assertTrue(csv.headers().firstValue("content-type").orElse("").startsWith("text/csv"));
        assertEquals("time,iops,read_iops,write_iops,mb_per_s,read_mb_per_s,write_mb_per_s,latency_p50_ms,latency_p99_ms\n"
                + "2027-01-15T08:00:00Z,5.100,5.000,0.100,0.125,0.020,0.105,0.100,5.000\n", csv.body());

        JsonObject c = obj(ok(perf("object=controller/nsc0&from=" + T0 + "&to=" + (T0 + 10_000)), 200));
        assertEquals(5.1, c.getJsonArray("points").getJsonObject(0).getDouble("iops"), 1e-9, "the controller sums its LUNs");
        JsonObject five = obj(ok(perf(q + "&resolution=5m"), 200));
        assertEquals(5.1 / 30, five.getJsonArray("points").getJsonObject(0).getDouble("iops"), 1e-9,
                "one busy 10 s point in a 5 min point");

        f.reopen();   // a clean restart: the history files are closed and reopened
        f.server.samplePerfNow();   // runs once the timer thread opened them
        assertTrue(Files.exists(perfDir.resolve("perf-points.cm")));
        assertEquals(points, obj(ok(perf(q), 200)).getJsonArray("points"), "the points written before the restart");
    }

    @Test
    void shouldRefuseBadParametersNamingThem() {
        assertError(perf("from=0"), 400, "object");
        assertError(perf("object=disk/x"), 400, "object");
        assertError(perf("object=lun/"), 400, "object");
        assertError(perf("object=controller/nsc0&from=yesterday"), 400, "from");
        assertError(perf("object=controller/nsc0&from=5&to=5"), 400, "from");
        assertError(perf("object=controller/nsc0&to=soon"), 400, "to");
        assertError(perf("object=controller/nsc0&resolution=1m"), 400, "resolution");
        assertError(perf("object=controller/nsc0&format=xml"), 400, "format");
        assertError(perf("object=controller/nsc0&format=csv&format=json"), 400, "format");
        assertError(perf("object=lun/no-such-lun"), 404, "object");
        assertError(perf("object=port/none"), 404, "object");
    }

    @Test
    void shouldReportCapacityAndForecast() {
        ok(f.call("POST", "/api/luns", "{\"name\":\"cap\",\"sizeBytes\":8388608}"), 201);
        f.server.samplePerfNow();
        JsonObject b = obj(ok(f.call("GET", "/api/capacity", null), 200));
        JsonObject g = b.getJsonArray("groups").getJsonObject(0);
        assertEquals("dg0", g.getString("name"));
        assertEquals(g.getLong("capacityBytes"), g.getLong("usedBytes") + g.getLong("freeBytes"));
        assertTrue(g.getLong("provisionedBytes") >= 8388608, g.encode());
        assertEquals((double) g.getLong("provisionedBytes") / g.getLong("capacityBytes"), g.getDouble("overcommitRatio"), 1e-12);
        assertNull(g.getJsonObject("forecast").getValue("daysUntilFull"), "one point: no growth to extrapolate");
        assertEquals("no growth", g.getJsonObject("forecast").getString("text"));
        JsonObject lun = b.getJsonArray("luns").stream().map(JsonObject.class::cast)
                .filter(o -> o.getString("name").equals("cap")).findFirst().orElseThrow();
        assertEquals(8388608, lun.getLong("sizeBytes"));
        assertEquals(0, lun.getLong("allocatedBytes"), "nothing written yet");
    }
}
