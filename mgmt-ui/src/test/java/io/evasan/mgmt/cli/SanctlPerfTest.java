package io.evasan.mgmt.cli;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static io.evasan.mgmt.cli.CliFixture.Run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code sanctl perf}: the query it sends for {@code --since}, {@code --resolution} and {@code --csv}, the table it
 * prints, the CSV passed through verbatim, and the capacity tables — against a small JDK HTTP server answering in
 * the shapes GET /api/perf and /api/capacity answer (the appliance side: PerfApiTest).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SanctlPerfTest {
    private static final String JSON = "{\"object\":\"lun/db\",\"resolution\":\"10s\",\"stepSeconds\":10,"
            + "\"from\":\"2027-01-15T08:00:00Z\",\"to\":\"2027-01-15T09:00:00Z\",\"points\":[{\"t\":1800000000000,"
            + "\"time\":\"2027-01-15T08:00:00Z\",\"iops\":5.1,\"mbps\":0.125,\"latencyP50Ms\":0.1,\"latencyP99Ms\":null}]}";
    private static final String CSV = "time,iops,read_iops,write_iops,mb_per_s,read_mb_per_s,write_mb_per_s,latency_p50_ms,"
            + "latency_p99_ms\n2027-01-15T08:00:00Z,5.100,5.000,0.100,0.125,0.020,0.105,0.100,5.000\n";
    private static final String CAPACITY = "{\"luns\":[{\"name\":\"db\",\"sizeBytes\":1073741824,\"allocatedBytes\":2097152}],"
            + "\"snapshots\":[{\"name\":\"s1\",\"lun\":\"db\",\"privateBytes\":null}],\"groups\":[{\"name\":\"dg0\","
            + "\"capacityBytes\":10737418240,\"usedBytes\":1073741824,\"freeBytes\":9663676416,\"provisionedBytes\":21474836480,"
            + "\"overcommitRatio\":2.0,\"forecast\":{\"growthBytesPerDay\":0.0,\"daysUntilFull\":null,\"points\":1,\"text\":\"no growth\"}}]}";
    private final List<String> queries = new CopyOnWriteArrayList<>();
    private HttpServer server;
    private String url;

    @BeforeAll
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/api/", ex -> {
            String q = ex.getRequestURI().getRawQuery();
            queries.add(ex.getRequestURI().getPath() + "?" + (q == null ? "" : URLDecoder.decode(q, StandardCharsets.UTF_8)));
            boolean csv = q != null && q.contains("format=csv");
            byte[] body = (ex.getRequestURI().getPath().equals("/api/capacity") ? CAPACITY : csv ? CSV : JSON)
                    .getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("content-type", csv ? "text/csv" : "application/json");
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
        url = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterAll
    void stop() {
        server.stop(0);
    }

    private Run sanctl(String... args) {
        return CliFixture.sanctl(Map.of("SANCTL_URL", url, "SANCTL_TOKEN", "t"), args);
    }

    @Test
    void shouldAskForTheLastHourAndPrintATable() {
        long before = System.currentTimeMillis();
        Run r = sanctl("perf", "lun", "db", "--since", "1h");
        long after = System.currentTimeMillis();
        assertEquals(0, r.exit(), r::toString);
        String q = queries.get(queries.size() - 1);
        assertTrue(q.startsWith("/api/perf?object=lun/db&from="), q);
        long from = Long.parseLong(q.substring(q.indexOf("from=") + 5));
        assertTrue(from >= before - 3_600_000 && from <= after - 3_600_000, q);
        List<String> lines = r.out().lines().toList();
        assertEquals("lun db: 10s points from 2027-01-15T08:00:00Z", lines.get(0));
        assertEquals(List.of("TIME", "IOPS", "MB/S", "P50", "MS", "P99", "MS"), List.of(lines.get(1).trim().split("\\s+")));
        assertTrue(lines.get(2).matches("2027-01-15 08:00:00Z\\s+5\\.10\\s+0\\.13\\s+0\\.10\\s+-"), lines.get(2));
    }

    @Test
    void shouldPassTheCsvThroughAndTheResolution() {
        Run r = sanctl("perf", "controller", "nsc0", "--since", "2d", "--resolution", "5m", "--csv");
        assertEquals(0, r.exit(), r::toString);
        assertEquals(CSV, r.out());
        String q = queries.get(queries.size() - 1);
        assertTrue(q.startsWith("/api/perf?object=controller/nsc0&from=") && q.endsWith("&resolution=5m&format=csv"), q);
    }

    @Test
    void shouldPrintCapacityAndRefuseAZeroSince() {
        Run r = sanctl("perf", "capacity");
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().contains("no growth"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("dg0\\s+10(\\.0)? GiB\\s+1(\\.0)? GiB\\s+9(\\.0)? GiB\\s+20(\\.0)? GiB\\s+2\\.00\\s+no growth")),
                r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("s1\\s+db\\s+-")), r.out());
        Run bad = sanctl("perf", "lun", "db", "--since", "0");
        assertEquals(2, bad.exit(), bad::toString);
        assertTrue(bad.err().contains("--since"), bad.err());
    }
}
