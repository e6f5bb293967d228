package io.evasan.e2e;

import io.evasan.deploy.EmbeddedAppliance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Issue 7's metrics test: an unmodified initiator (qemu-io over iSCSI) does I/O to the embedded
 * appliance's first LUN; afterwards {@code /metrics} parses line by line as Prometheus text format
 * 0.0.4 and the LUN's own counters moved by exactly what the initiator did (writes are counted
 * exactly; reads at least, because the initiator may read on its own at connect).
 */
class MetricsAfterIoTest {
    private static final int WRITES = 5;
    private static final int READS = 3;
    private static final int LEN = 64 << 10;

    /** name{labels} value [timestamp] — labels as name="value" with \\ \" \n escapes. */
    private static final Pattern SAMPLE = Pattern.compile(
            "([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{((?:[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\\\n]|\\\\[\\\\\"n])*\",?)*)})?"
                    + " ([-+]?(?:[0-9]*\\.?[0-9]+(?:[eE][-+]?[0-9]+)?|NaN|[-+]?Inf))( -?[0-9]+)?");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");
    private static final Pattern META = Pattern.compile("# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) .*");

    @TempDir
    Path dir;

    @Test
    void shouldParseAsPrometheusTextAndCountTheLunsIo() throws Exception {
        Clients.require("qemu-io");
        try (EmbeddedAppliance app = EmbeddedAppliance.start(EmbeddedAppliance.Options.forTest(dir.resolve("data")))) {
            String token = app.createdToken().orElseThrow();
            String lun = EmbeddedAppliance.FIRST_LUN;
            Map<String, Double> before = scrape(app, token);

            List<String> cmds = new ArrayList<>();
            for (int i = 0; i < WRITES; i++) {
                cmds.add("write -P " + (i + 1) + " " + (long) i * 3 * LEN + " " + LEN);
            }
            for (int i = 0; i < READS; i++) {
                cmds.add("read -P " + (i + 1) + " " + (long) i * 3 * LEN + " " + LEN);
            }
            Clients.Result r = Clients.qemuIo(app.iscsiUrl(0), cmds);
            assertEquals(WRITES, r.count("wrote "), r.toString());
            assertEquals(READS, r.count("read "), r.toString());

            Map<String, Double> after = scrape(app, token);
            String l = "{lun=\"" + lun + "\"}";
            assertEquals(WRITES, delta(before, after, "evasan_lun_writes_total", lun), 0.0, "writes " + l);
            assertEquals((double) WRITES * LEN, delta(before, after, "evasan_lun_write_bytes_total", lun), 0.0, "write bytes " + l);
            assertTrue(delta(before, after, "evasan_lun_reads_total", lun) >= READS, "reads " + l);
            assertTrue(delta(before, after, "evasan_lun_read_bytes_total", lun) >= (double) READS * LEN, "read bytes " + l);
            assertEquals(WRITES, delta(before, after, "evasan_lun_write_latency_seconds_count", lun), 0.0, "write latency count " + l);
            assertTrue(delta(before, after, "evasan_lun_write_latency_seconds_sum", lun) > 0, "write latency sum " + l);
            assertTrue(delta(before, after, "evasan_lun_read_latency_seconds_count", lun) >= READS, "read latency count " + l);
        }
    }

    /**
     * The cell's own meters: mirror latency and backlog, heartbeat round trip, per-NSC state and cache, and a
     * failover with its duration, after host writes and a kill drill of NSC B.
     */
    @Test
    void shouldExposeTheCellsMirrorHeartbeatAndFailoverMeters() throws Exception {
        Clients.require("qemu-io");
        try (EmbeddedAppliance app = EmbeddedAppliance.start(EmbeddedAppliance.Options.forTest(dir.resolve("data"))
                .withHeartbeatTimeout(EmbeddedAppliance.DEFAULT_HEARTBEAT_TIMEOUT_MS))) {
            String token = app.createdToken().orElseThrow();
            Clients.Result r = Clients.qemuIo(app.iscsiUrl(0), List.of("write -P 1 0 " + LEN, "write -P 2 " + LEN + " " + LEN));
            assertEquals(2, r.count("wrote "), r.toString());
            Map<String, Double> up = scrape(app, token);
            assertTrue(sum(up, "evasan_cell_mirror_latency_seconds_count", "") >= 2, "mirror round trips: " + cellKeys(up));
            assertTrue(up.keySet().stream().anyMatch(k -> k.startsWith("evasan_cell_mirror_backlog_bytes")), cellKeys(up).toString());
            assertTrue(sum(up, "evasan_cell_heartbeat_rtt_seconds_count", "") > 0, "heartbeat round trips: " + cellKeys(up));
            assertEquals(1.0, sum(up, "evasan_cell_nsc_online", "nsc=\"B\""), 0.0);
            assertEquals(1.0, sum(up, "evasan_cell_nsc_mirrored", "nsc=\"A\""), 0.0);
            assertEquals(0.0, sum(up, "evasan_cell_failovers_total", ""), 0.0);

            app.pair().kill(io.evasan.nsc.api.NscId.B);
            Map<String, Double> after = scrape(app, token);
            assertEquals(0.0, sum(after, "evasan_cell_nsc_online", "nsc=\"B\""), 0.0, "B is down");
            assertEquals(0.0, sum(after, "evasan_cell_nsc_mirrored", "nsc=\"A\""), 0.0, "A runs unmirrored");
            assertEquals(1.0, sum(after, "evasan_cell_failovers_total", ""), 0.0);
            assertEquals(1.0, sum(after, "evasan_cell_takeover_seconds_count", ""), 0.0, "the takeover's duration");
        }
    }

    /** The sum of the samples of {@code name} whose labels contain {@code label} (all when empty). */
    private static double sum(Map<String, Double> samples, String name, String label) {
        double total = 0;
        for (Map.Entry<String, Double> e : samples.entrySet()) {
            String k = e.getKey();
            if ((k.equals(name) || k.startsWith(name + "{")) && k.contains(label)) {
                total += e.getValue();
            }
        }
        return total;
    }

    private static List<String> cellKeys(Map<String, Double> samples) {
        return samples.keySet().stream().filter(k -> k.startsWith("evasan_cell")).sorted().toList();
    }

    private static double delta(Map<String, Double> before, Map<String, Double> after, String name, String lun) {
        String key = null;
        for (String k : after.keySet()) {
            if (k.startsWith(name + "{") && k.contains("lun=\"" + lun + "\"")) {
                key = k;
                break;
            }
        }
        if (key == null) {
            fail("no sample " + name + " for LUN " + lun + " in /metrics; samples: " + after.keySet().stream()
                    .filter(k -> k.startsWith("evasan_lun")).toList());
        }
        return after.get(key) - before.getOrDefault(key, 0.0);
    }

    /** Scrapes /metrics with the token; every line must be a comment, blank or a valid sample. */
    private static Map<String, Double> scrape(EmbeddedAppliance app, String token) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> res = http.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + app.mgmtPort() + "/metrics"))
                .header("Authorization", "Bearer " + token).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, res.statusCode(), res.body());
        assertTrue(res.headers().firstValue("content-type").orElse("").startsWith("text/plain"),
                "content type " + res.headers().firstValue("content-type"));
        Map<String, Double> samples = new HashMap<>();
        Map<String, String> types = new HashMap<>();
        int n = 0;
        for (String line : res.body().split("\n", -1)) {
            n++;
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("#")) {
                Matcher m = META.matcher(line);
                if (m.matches() && m.group(1).equals("TYPE")) {
                    String t = line.substring(line.lastIndexOf(' ') + 1);
                    assertTrue(List.of("counter", "gauge", "histogram", "summary", "untyped").contains(t), "line " + n + ": " + line);
                    assertTrue(types.put(m.group(2), t) == null, "TYPE given twice, line " + n + ": " + line);
                }
                continue;
            }
            Matcher m = SAMPLE.matcher(line);
            if (!m.matches()) {
                fail("line " + n + " is not Prometheus text format: " + line);
            }
            StringBuilder key = new StringBuilder(m.group(1)).append('{');
            if (m.group(3) != null) {
                Matcher lm = LABEL.matcher(m.group(3));
                List<String> labels = new ArrayList<>();
                while (lm.find()) {
                    labels.add(lm.group(1) + "=\"" + lm.group(2) + "\"");
                }
                labels.sort(null);
                key.append(String.join(",", labels));
            }
            key.append('}');
            assertTrue(samples.put(key.toString(), Double.parseDouble(m.group(4).replace("Inf", "Infinity"))) == null,
                    "sample given twice, line " + n + ": " + line);
        }
        assertTrue(samples.size() > 10, "only " + samples.size() + " samples");
        return samples;
    }
}
