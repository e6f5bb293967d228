package io.evasan.mgmt;

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
        f.controller.deleteLun("m1");
    }

    @Test
    void shouldUseOrAddAPrometheusRegistryInAComposite() {
        CompositeMeterRegistry c = new CompositeMeterRegistry();
        Counter early = Counter.builder("evasan.test.early").register(c);
        ManagementServer s = new ManagementServer(new ManagementConfig().port(0).credentialMld(f.mapping.mld()),
                f.pool, f.trees, f.controller, c);
        PrometheusMeterRegistry p = s.prometheusRegistry();
        assertTrue(c.getRegistries().contains(p));
        early.increment(3);
        assertTrue(p.scrape().contains("evasan_test_early_total 3.0"), "a meter created before the server counts into it: " + p.scrape());
        ManagementServer again = new ManagementServer(new ManagementConfig().port(0).credentialMld(f.mapping.mld()),
                f.pool, f.trees, f.controller, c);
        assertSame(p, again.prometheusRegistry(), "a Prometheus registry already in the composite is reused");
        assertThrows(IllegalArgumentException.class, () -> new ManagementServer(new ManagementConfig().port(0)
                .credentialMld(f.mapping.mld()), f.pool, f.trees, f.controller,
                new io.micrometer.core.instrument.simple.SimpleMeterRegistry()));
    }
}
