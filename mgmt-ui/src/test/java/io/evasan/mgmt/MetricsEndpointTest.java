package io.evasan.mgmt;

import io.evasan.nsc.lun.SnapshotRecord;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** /metrics: Prometheus text format, the stack's counters move after I/O, registry hand-in rules. */
class MetricsEndpointTest extends ApplianceTest {
    private static final Pattern SAMPLE = Pattern.compile(
            "([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{([a-zA-Z_][a-zA-Z0-9_]*=\"(\\\\.|[^\"\\\\])*\",?)*\\})? "
                    + "(-?[0-9.]+(E[-+]?[0-9]+)?|NaN|\\+Inf|-Inf)( -?[0-9]+)?");
    private static final Pattern TYPE = Pattern.compile("# TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram|summary|untyped)");



    /** Parses the exposition text strictly; returns sample name -> sum over its label sets. */
    static Map<String, Double> parse(String text) {
        Map<String, Double> sums = new HashMap<>();
        int n = 0;
        for (String line : text.split("\n")) {
            n++;
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("# TYPE")) {
                assertTrue(TYPE.matcher(line).matches(), "line " + n + ": " + line);
                continue;
            }
            if (line.startsWith("#")) {
                assertTrue(line.startsWith("# HELP "), "line " + n + ": " + line);
                continue;
            }
            Matcher m = SAMPLE.matcher(line);
            assertTrue(m.matches(), "line " + n + " is not a Prometheus sample: " + line);
            sums.merge(m.group(1), Double.parseDouble(m.group(5).replace("+Inf", "Infinity").replace("-Inf", "-Infinity")), Double::sum);
        }
        return sums;
    }

    Map<String, Double> scrape() {
        HttpResponse<String> r = f.call("GET", "/metrics", null);
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("text/plain"));
        return parse(r.body());
    }

    @Test
    void shouldServePrometheusTextWhoseCountersMoveAfterIo() {
        f.controller.createLun("m1", 8L << 20);
        Map<String, Double> before = scrape();
        assertTrue(before.containsKey("evasan_pool_psegs_free"), before.keySet()::toString);
        assertTrue(before.containsKey("evasan_cache_dirty_bytes"), before.keySet()::toString);
        int id = f.controller.lun("m1").id();
        byte[] data = new byte[128 * 1024];
        for (int i = 0; i < 8; i++) {
            f.controller.cache().write(0, id, (long) i * data.length, ByteBuffer.wrap(data), true);
        }
        f.controller.cache().synchronizeAll();
        Map<String, Double> after = scrape();
        double w0 = before.getOrDefault("evasan_cache_destaged_writes_total", 0.0);
        double w1 = after.get("evasan_cache_destaged_writes_total");
        assertTrue(w1 >= w0 + 1, "destaged writes " + w0 + " -> " + w1);
        assertTrue(after.get("evasan_raid_writes_total") > before.getOrDefault("evasan_raid_writes_total", 0.0));
        assertTrue(after.get("evasan_raid_bytes_written_bytes_total") >= before.getOrDefault("evasan_raid_bytes_written_bytes_total", 0.0)
                + 8 * data.length, "RAID bytes written count the LUN writes");
        assertTrue(after.get("evasan_mgmt_requests_total") > before.get("evasan_mgmt_requests_total"));
        assertTrue(after.get("evasan_pool_psegs_free") < before.get("evasan_pool_psegs_free"), "writes allocated PSEGs");
        assertTrue(after.containsKey("evasan_raid_rebuild_done") && after.containsKey("evasan_raid_rebuild_total_rows"),
                "rebuild progress per group: done and total rows " + after.keySet());
        f.controller.deleteLun("m1");
    }

    /** Value of one sample line {@code name{snapshot="snap",...} v}, or null when the series is absent. */
    static Double series(String text, String name, String snapshot) {
        Pattern p = Pattern.compile("^" + name + "\\{[^}]*snapshot=\"" + Pattern.quote(snapshot) + "\"[^}]*\\} (\\S+)$",
                Pattern.MULTILINE);
        Matcher m = p.matcher(text);
        return m.find() ? Double.valueOf(m.group(1)) : null;
    }

    @Test
    void shouldShowBgcopyProgressPerSnapcloneUntilItIsDeleted() throws Exception {
        HttpResponse<String> r = f.call("POST", "/api/luns", "{\"name\":\"mb1\",\"sizeBytes\":16777216}");
        assertEquals(201, r.statusCode(), r.body());
        int lunId = f.controller.lun("mb1").id();
        byte[] data = new byte[4096];
        for (int seg = 0; seg < 8; seg++) {
            f.controller.cache().write(0, lunId, (long) seg << 20, ByteBuffer.wrap(data), true);
        }
        r = f.call("POST", "/api/luns/mb1/snapshots", "{\"name\":\"mb1-clone\",\"snapclone\":true}");
        assertEquals(201, r.statusCode(), r.body());
        String text = f.call("GET", "/metrics", null).body();
        parse(text);
        // the fixture has no BGCOPY thread: the copy stays at 8 of 16 segments until stepped
        assertEquals(16.0, series(text, "evasan_bgcopy_total_segments", "mb1-clone"), text);
        assertEquals(8.0, series(text, "evasan_bgcopy_done_segments", "mb1-clone"), text);
        long disk = f.controller.listSnapshots().stream().filter(x -> x.name().equals("mb1-clone"))
                .mapToLong(SnapshotRecord::disk).findFirst().orElseThrow();
        assertEquals(3, f.trees.bgcopyStep(disk, 3));
        text = f.call("GET", "/metrics", null).body();
        assertEquals(11.0, series(text, "evasan_bgcopy_done_segments", "mb1-clone"), text);
        while (f.trees.bgcopyStep(disk, 16) > 0) {
            // copy the rest; the clone leaves the tree
        }
        // finished: the clone is promoted to a LUN (at once here; the controller also checks every 200 ms),
        // so it has no background copy any more and its series go
        f.controller.promoteDetachedSnapclones();
        assertEquals(disk, f.controller.lun("mb1-clone").disk());
        text = f.call("GET", "/metrics", null).body();
        parse(text);
        assertEquals(null, series(text, "evasan_bgcopy_done_segments", "mb1-clone"), text);
        assertEquals(null, series(text, "evasan_bgcopy_total_segments", "mb1-clone"), text);
        f.controller.deleteLun("mb1");
        f.controller.deleteLun("mb1-clone");
    }

    @Test
    void shouldUseOrAddAPrometheusRegistryInAComposite() {
        CompositeMeterRegistry c = new CompositeMeterRegistry();
        Counter early = Counter.builder("evasan.test.early").register(c);
        ManagementServer s = new ManagementServer(new ManagementConfig().port(0).records(f.cell().records()),
                f.cell(), c);
        PrometheusMeterRegistry p = s.prometheusRegistry();
        assertTrue(c.getRegistries().contains(p));
        early.increment(3);
        assertTrue(p.scrape().contains("evasan_test_early_total 3.0"), "a meter created before the server counts into it: " + p.scrape());
        ManagementServer again = new ManagementServer(new ManagementConfig().port(0).records(f.cell().records()),
                f.cell(), c);
        assertSame(p, again.prometheusRegistry(), "a Prometheus registry already in the composite is reused");
        assertThrows(IllegalArgumentException.class, () -> new ManagementServer(new ManagementConfig().port(0)
                .records(f.cell().records()), f.cell(),
                new io.micrometer.core.instrument.simple.SimpleMeterRegistry()));
    }
}
