package io.evasan.mgmt.cli;

import com.sun.net.httpserver.HttpServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static io.evasan.mgmt.cli.CliFixture.Run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code sanctl events} reading a server-sent-event stream of the shape GET /api/events sends (retry line,
 * comments, {@code changed} and {@code jobs} frames, a multi-line data field), served by a small JDK HTTP
 * server that then ends the stream (against the appliance itself: SanctlContractCommandsTest); and an answer
 * slower than --timeout.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SanctlEventsTest {
    private static final String STREAM = "retry: 2000\n: evasan events pool,luns\n\n"
            + "event: changed\ndata: {\"topics\":[\"luns\",\"snapshots\"]}\n\n"
            + ": ping\n\n"
            + "event: jobs\ndata: {\"rebuilds\":[],\"bgcopies\":[{\"type\":\"bgcopy\",\"snapshot\":\"c1\",\"lun\":\"db\",\"disk\":4,"
            + "\"done\":3,\"total\":8,\"unit\":\"segments\",\"state\":\"RUNNING\"}],\"groups\":[],"
            + "\"jobs\":[{\"id\":\"bgcopy-c1\",\"type\":\"bgcopy\",\"target\":\"c1\",\"state\":\"RUNNING\",\"done\":3,\"total\":8,"
            + "\"unit\":\"segments\",\"percent\":37.5}]}\n\n"
            + "event: note\ndata: first line\ndata: second line\n\n";
    private HttpServer server;
    private String url;

    @BeforeAll
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/api/events", ex -> {
            boolean authorized = "Bearer ev-token".equals(ex.getRequestHeaders().getFirst("Authorization"));
            byte[] body = (authorized ? STREAM : "{\"error\":\"credential rejected\",\"field\":\"Authorization\"}")
                    .getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("content-type", authorized ? "text/event-stream" : "application/json");
            ex.sendResponseHeaders(authorized ? 200 : 401, 0);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.createContext("/api/openapi.json", ex -> {
            try {
                Thread.sleep(1500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "sse-test-server");
            t.setDaemon(true);
            return t;
        }));
        server.start();
        url = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterAll
    void stop() {
        server.stop(0);
    }

    private Run sanctl(String... args) {
        return CliFixture.sanctl(Map.of("SANCTL_URL", url, "SANCTL_TOKEN", "ev-token"), args);
    }

    @Test
    void shouldPrintEachEventOnOneLineUntilTheStreamEnds() {
        Run r = sanctl("events");
        assertEquals(3, r.exit(), r::toString);
        assertEquals("sanctl: the appliance at " + url + " ended the event stream\n", r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(3, lines.size(), r::toString);
        assertTrue(lines.get(0).matches("\\d\\d:\\d\\d:\\d\\dZ changed: luns, snapshots"), lines.get(0));
        assertTrue(lines.get(1).matches("\\d\\d:\\d\\d:\\d\\dZ jobs: bgcopy-c1 RUNNING 3/8 segments \\(37\\.5%\\)"), lines.get(1));
        assertTrue(lines.get(2).matches("\\d\\d:\\d\\d:\\d\\dZ note: first line second line"), lines.get(2));
    }

    @Test
    void shouldStopAfterCountEventsAndPrintJsonLines() {
        Run r = sanctl("events", "--count", "2", "--json");
        assertEquals(0, r.exit(), r::toString);
        assertEquals("", r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(2, lines.size(), r::toString);
        JsonObject changed = new JsonObject(lines.get(0));
        assertEquals("changed", changed.getString("event"));
        assertEquals(List.of("luns", "snapshots"), changed.getJsonObject("data").getJsonArray("topics").getList());
        JsonObject jobs = new JsonObject(lines.get(1));
        assertEquals("jobs", jobs.getString("event"));
        assertEquals("bgcopy-c1", jobs.getJsonObject("data").getJsonArray("jobs").getJsonObject(0).getString("id"));
        r = sanctl("events", "-n", "3", "--json");
        assertEquals(0, r.exit(), r::toString);
        assertEquals("first line\nsecond line", new JsonObject(r.out().lines().toList().get(2)).getString("data"));
    }

    @Test
    void shouldReportARefusedStreamLikeAnyRefusal() {
        Run r = CliFixture.sanctl(Map.of("SANCTL_URL", url, "SANCTL_TOKEN", "wrong"), "events");
        assertEquals(1, r.exit(), r::toString);
        assertTrue(r.err().startsWith("sanctl: 401 credential rejected (field Authorization)\n"), r::toString);
    }

    @Test
    void shouldGiveUpAfterTheTimeoutWithExitThree() {
        Run r = sanctl("--timeout", "1s", "openapi");
        assertEquals(3, r.exit(), r::toString);
        assertEquals("sanctl: cannot reach " + url + ": no answer within 1s (--timeout); the appliance may still complete the request\n",
                r.err());
    }
}
